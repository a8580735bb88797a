"""corosync.conf as the engine reads and writes it: the parser keeps every key, comment and order (a file PVE
wrote renders back byte for byte), and the change from the file's links to the model's is computed per link
and node, with its refusals at their boundaries."""

from __future__ import annotations

import pytest
from pvecdk.engine.corosync import (
    Block,
    ConfError,
    LinkChange,
    LinkConfig,
    LiveStatus,
    Pair,
    WantedLinks,
    link_config,
    parse,
    plan_links,
    render,
    with_links,
)

PVE_CONF = """logging {
  debug: off
  to_syslog: yes
}

nodelist {
  node {
    name: pve1
    nodeid: 1
    quorum_votes: 1
    ring0_addr: 10.0.0.11
  }
  node {
    name: pve2
    nodeid: 2
    quorum_votes: 1
    ring0_addr: fd00::12
  }
  node {
    name: pve3
    nodeid: 3
    quorum_votes: 1
    ring0_addr: 10.0.0.13
  }
}

quorum {
  provider: corosync_votequorum
}

totem {
  cluster_name: lab
  config_version: 7
  # a comment someone left
  interface {
    linknumber: 0
    knet_transport: sctp
  }
  ip_version: ipv4-6
  link_mode: passive
  secauth: on
  token: 10000
  version: 2
}
"""
NODES = ("pve1", "pve2", "pve3")
ONLINE = LiveStatus("lab", True, dict.fromkeys(NODES, True), "pve1")


def _two_links() -> WantedLinks:
    return WantedLinks({"pve1": ["10.0.0.11", "10.1.0.11"], "pve2": ["fd00::12", "10.1.0.12"],
                        "pve3": ["10.0.0.13", "10.1.0.13"]}, [0, 10])


def test_a_file_pve_wrote_renders_back_byte_for_byte() -> None:
    root = parse(PVE_CONF)
    assert render(root) == PVE_CONF
    totem = root.block("totem")
    assert totem is not None and totem.get("token") == "10000"
    nodelist = root.block("nodelist")
    assert nodelist is not None and nodelist.blocks("node")[1].get("ring0_addr") == "fd00::12"  # colons kept


def test_the_links_it_reads() -> None:
    config = link_config(parse(PVE_CONF))
    assert config == LinkConfig("lab", 7, {"pve1": {0: "10.0.0.11"}, "pve2": {0: "fd00::12"},
                                           "pve3": {0: "10.0.0.13"}}, {0: None})
    assert config.links == [0]


def test_adding_a_link_keeps_unknown_keys_order_and_comments_and_bumps_the_version() -> None:
    root = parse(PVE_CONF)
    text = render(with_links(root, _two_links(), version=8))
    assert render(root) == PVE_CONF  # the parsed file is not changed in place
    new = parse(text)
    assert link_config(new) == LinkConfig("lab", 8, {"pve1": {0: "10.0.0.11", 1: "10.1.0.11"},
                                                     "pve2": {0: "fd00::12", 1: "10.1.0.12"},
                                                     "pve3": {0: "10.0.0.13", 1: "10.1.0.13"}}, {0: 0, 1: 10})
    assert "  # a comment someone left\n  interface {\n    linknumber: 0\n    knet_link_priority: 0\n" \
           "    knet_transport: sctp\n  }\n  interface {\n    linknumber: 1\n    knet_link_priority: 10\n  }\n" \
           "  ip_version: ipv4-6\n" in text
    assert "    ring0_addr: 10.0.0.11\n    ring1_addr: 10.1.0.11\n  }" in text
    assert "token: 10000" in text and text.startswith("logging {\n  debug: off\n")
    # Removing it again gives the first file back but for the version and link0's explicit priority.
    back = render(with_links(new, WantedLinks({n: a[:1] for n, a in _two_links().addresses.items()}, [0]),
                             version=9))
    assert back == PVE_CONF.replace("config_version: 7", "config_version: 9").replace(
        "linknumber: 0\n", "linknumber: 0\n    knet_link_priority: 0\n")


@pytest.mark.parametrize("text, where", [
    ("totem {\n  version: 2\n", "block 'totem' is not closed"),
    ("}\n", "line 1: '}' closes no block"),
    ("totem {\n  cluster_name lab\n}\n", "line 2:"),
    ("nodelist {\n  node {\n  }\n}\ntotem {\n config_version: 1\n}\n", "no name"),
    ("quorum {\n}\n", "no totem block"),
    ("totem {\n  config_version: seven\n}\n", "config_version 'seven' is no number"),
])
def test_a_file_that_is_not_corosync_format_is_refused_with_its_line(text: str, where: str) -> None:
    with pytest.raises(ConfError, match=where):
        link_config(parse(text))


def test_block_set_folds_repeats_and_places_a_new_key() -> None:
    block = Block("node", [Pair("name", "a"), Pair("ring0_addr", "x"), Pair("ring0_addr", "y")])
    block.set("ring0_addr", "z")
    block.set("ring1_addr", "w", after=["ring0_addr"])
    assert block.entries == [Pair("name", "a"), Pair("ring0_addr", "z"), Pair("ring1_addr", "w")]


# -- the change


def test_the_change_per_link_and_node() -> None:
    current = link_config(parse(PVE_CONF))
    assert plan_links(current, _two_links(), ONLINE, cluster="lab") == (LinkChange(added=(1,)), [])
    two = link_config(parse(render(with_links(parse(PVE_CONF), _two_links(), version=8))))
    moved = WantedLinks({**_two_links().addresses, "pve2": ["fd00::12", "10.1.0.99"]}, [0, 20])
    change, problems = plan_links(two, moved, ONLINE, cluster="lab")
    assert problems == [] and change == LinkChange(readdressed=((1, ("pve2",)),), reprioritized=(1,))
    assert change.describe() == "re-address link1 on pve2; set the priority of link1"
    one = WantedLinks({n: a[:1] for n, a in _two_links().addresses.items()}, [0])
    assert plan_links(two, one, ONLINE, cluster="lab") == (LinkChange(removed=(1,)), [])
    # Equal (a missing priority is knet's 0): no change, and no refusal even without quorum.
    assert plan_links(current, one, LiveStatus("lab", False, {}, "pve1"), cluster="lab") == (LinkChange(), [])


@pytest.mark.parametrize("offline", NODES)
def test_a_member_offline_anywhere_in_the_list_refuses(offline: str) -> None:
    live = LiveStatus("lab", True, {n: n != offline for n in NODES}, "pve1")
    _, problems = plan_links(link_config(parse(PVE_CONF)), _two_links(), live, cluster="lab")
    assert [(p.subject, p.field) for p in problems] == [(offline, "node")]
    assert "is offline" in problems[0].problem and f"bring {offline} online" in problems[0].fix


def test_no_quorum_refuses() -> None:
    live = LiveStatus("lab", False, dict.fromkeys(NODES, True), "pve1")
    _, problems = plan_links(link_config(parse(PVE_CONF)), _two_links(), live, cluster="lab")
    assert [p.problem for p in problems] == ["has no quorum: corosync.conf cannot be written"]


def test_no_link_left_or_every_link_changed_refuses_but_one_kept_passes() -> None:
    current = link_config(parse(PVE_CONF))
    _, problems = plan_links(current, WantedLinks(dict.fromkeys(NODES, []), []), ONLINE, cluster="lab")
    assert [p.problem for p in problems] == ["would be left with no corosync link"]
    moved = WantedLinks({"pve1": ["10.2.0.11"], "pve2": ["fd00::12"], "pve3": ["10.0.0.13"]}, [0])
    _, problems = plan_links(current, moved, ONLINE, cluster="lab")
    assert len(problems) == 1 and problems[0].problem.startswith("would change every link at once")
    assert "add the new addresses as another link first" in problems[0].fix
    two = link_config(parse(render(with_links(parse(PVE_CONF), _two_links(), version=8))))
    link0_moved = WantedLinks({n: ["10.2.0.1" + n[-1], a[1]] for n, a in _two_links().addresses.items()}, [0, 10])
    change, problems = plan_links(two, link0_moved, ONLINE, cluster="lab")
    assert problems == [] and change.readdressed == ((0, NODES),)


def test_members_the_model_and_the_file_disagree_on_refuse() -> None:
    current = link_config(parse(PVE_CONF))
    wanted = WantedLinks({"pve1": ["10.0.0.11"], "pve2": ["fd00::12"], "pve4": ["10.0.0.14"]}, [0])
    _, problems = plan_links(current, wanted, ONLINE, cluster="lab")
    assert [(p.subject, p.problem.split(":")[0]) for p in problems] == [
        ("pve3", "is a member the model does not list"), ("pve4", "is not a member of the cluster yet")]
