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
from pvecdk.errors import EngineProblem

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


@pytest.mark.parametrize("text, message", [
    ("totem {\n  version: 2\n", "block 'totem' is not closed"),
    ("}\n", "line 1: '}' closes no block"),
    ("totem {\n  cluster_name lab\n}\n", "line 2: 'cluster_name lab' is no 'key: value', 'name {' or '}'"),
    ("totem {\n  bad key: 1\n}\n", "line 2: 'bad key: 1' is no 'key: value'"),
    ("nodelist {\n  node {\n  }\n}\ntotem {\n config_version: 1\n}\n", "a node of the nodelist has no name"),
    ("quorum {\n}\n", "no totem block"),
    ("totem {\n  config_version: seven\n}\n", "totem.config_version 'seven' is no number"),
    ("totem {\n  config_version: 1\n}\n", "no nodelist block"),
])
def test_a_file_that_is_not_corosync_format_is_refused_with_its_line(text: str, message: str) -> None:
    with pytest.raises(ConfError) as caught:
        link_config(parse(text))
    assert str(caught.value) == message


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


# -- the edges of reading and writing


def test_older_spellings_are_read_and_rewritten_in_place() -> None:
    # corosync 2's ringnumber and the linkN_addr keys some hand-edited files use.
    text = ("nodelist {\n  node {\n    link0_addr: 10.0.0.11\n    link1_addr: 10.1.0.11\n    name: pve1\n  }\n}\n"
            "totem {\n  config_version: 2\n  interface {\n    ringnumber: 0\n  }\n  interface {\n    ringnumber: 1\n"
            "    knet_link_priority: 5\n  }\n}\n")
    config = link_config(parse(text))
    assert config == LinkConfig(None, 2, {"pve1": {0: "10.0.0.11", 1: "10.1.0.11"}}, {0: None, 1: 5})
    one = render(with_links(parse(text), WantedLinks({"pve1": ["10.0.0.21"]}, [3]), version=3))
    assert one == ("nodelist {\n  node {\n    link0_addr: 10.0.0.21\n    name: pve1\n  }\n}\n"
                   "totem {\n  config_version: 3\n  interface {\n    ringnumber: 0\n    knet_link_priority: 3\n"
                   "  }\n}\n")


def test_a_priority_change_edits_the_interface_of_its_link() -> None:
    two = parse(render(with_links(parse(PVE_CONF), _two_links(), version=8)))
    lower = WantedLinks(_two_links().addresses, [0, 0])
    change, problems = plan_links(link_config(two), lower, ONLINE, cluster="lab")
    assert problems == [] and change == LinkChange(reprioritized=(1,))  # 10 down to knet's default is a change
    text = render(with_links(two, lower, version=9))
    assert text.count("interface {") == 2
    assert "  interface {\n    linknumber: 1\n    knet_link_priority: 0\n  }\n" in text


def test_a_totem_without_interfaces_gets_them_after_its_last_key_and_new_addresses_follow_the_last_link() -> None:
    text = ("nodelist {\n  node {\n    ring0_addr: 10.0.0.11\n    name: pve1\n    nodeid: 1\n  }\n}\n"
            "totem {\n  cluster_name: lab\n  config_version: 4\n}\n")
    new = render(with_links(parse(text), WantedLinks({"pve1": ["10.0.0.11", "10.1.0.11"]}, [0, 1]), version=5))
    assert new == ("nodelist {\n  node {\n    ring0_addr: 10.0.0.11\n    name: pve1\n    ring1_addr: 10.1.0.11\n"
                   "    nodeid: 1\n  }\n}\n"
                   "totem {\n  cluster_name: lab\n  config_version: 5\n  interface {\n    linknumber: 0\n"
                   "    knet_link_priority: 0\n  }\n  interface {\n    linknumber: 1\n    knet_link_priority: 1\n  }\n"
                   "}\n")


def test_a_file_without_a_nodelist_is_refused_when_read_and_when_written() -> None:
    text = "totem {\n  config_version: 4\n}\n"
    with pytest.raises(ConfError, match="no nodelist block"):
        link_config(parse(text))
    for broken, message in ((text, "no nodelist block"), ("nodelist {\n}\n", "no totem block")):
        with pytest.raises(ConfError) as caught:
            with_links(parse(broken), WantedLinks({}, [0]), version=5)
        assert str(caught.value) == message


def test_a_member_the_model_does_not_list_keeps_its_links_in_a_write() -> None:
    wanted = WantedLinks({"pve1": ["10.0.0.11", "10.1.0.11"], "pve3": ["10.0.0.13", "10.1.0.13"]}, [0, 0])
    addresses = link_config(parse(render(with_links(parse(PVE_CONF), wanted, version=8)))).addresses
    assert addresses == {"pve1": {0: "10.0.0.11", 1: "10.1.0.11"}, "pve2": {0: "fd00::12"},
                         "pve3": {0: "10.0.0.13", 1: "10.1.0.13"}}


# -- every refusal, whole


def test_every_refusal_says_what_and_how_to_fix_it() -> None:
    current = link_config(parse(PVE_CONF))
    other = LinkConfig("prod", 1, current.addresses, current.priorities)
    assert plan_links(other, _two_links(), ONLINE, cluster="lab")[1] == [EngineProblem(
        "cluster lab", "corosync.conf names cluster 'prod'", "name the cluster the nodes form", "cluster_name")]
    short = WantedLinks({**_two_links().addresses, "pve2": ["fd00::12"]}, [0, 10])
    assert plan_links(current, short, ONLINE, cluster="lab")[1] == [EngineProblem(
        "pve2", "has 1 link addresses for 2 links", "give every node one address per link", "addresses")]
    unknown = WantedLinks({"pve1": ["10.0.0.11"], "pve2": ["fd00::12"], "pve4": ["10.0.0.14"]}, [0])
    assert plan_links(current, unknown, ONLINE, cluster="lab")[1] == [
        EngineProblem("pve3", "is a member the model does not list: every member needs the same links",
                      "add it to the model, or remove it from the cluster first", "addresses"),
        EngineProblem("pve4", "is not a member of the cluster yet",
                      "join it first (pvecdk_cluster does, in the same apply), then run again", "addresses")]
    assert plan_links(current, _two_links(), LiveStatus(unreachable={"pve1": "timed out", "pve2": "refused"}),
                      cluster="lab")[1] == [EngineProblem(
        "cluster lab", "no member answered as part of a cluster (pve1: timed out; pve2: refused)",
        "form the cluster first and check that its members answer", "node")]
    assert plan_links(current, _two_links(), LiveStatus(), cluster="lab")[1][0].problem == (
        "no member answered as part of a cluster")
    assert plan_links(current, _two_links(), LiveStatus("lab", False, dict.fromkeys(NODES, True), "pve1"),
                      cluster="lab")[1] == [EngineProblem(
        "cluster lab", "has no quorum: corosync.conf cannot be written",
        "bring enough nodes online until it is quorate again", "node")]
    # A member /cluster/status does not list counts as offline.
    assert plan_links(current, _two_links(), LiveStatus("lab", True, {"pve1": True, "pve3": True}, "pve1"),
                      cluster="lab")[1] == [EngineProblem(
        "pve2", "is offline: it would miss the reload and come back with the old links",
        "bring pve2 online (it then shows online in /cluster/status) and run again", "node")]
    assert plan_links(current, WantedLinks(dict.fromkeys(NODES, []), []), ONLINE, cluster="lab")[1] == [
        EngineProblem("cluster lab", "would be left with no corosync link", "keep at least link0",
                      "link_priorities")]
    moved = WantedLinks({"pve1": ["10.2.0.11"], "pve2": ["fd00::12"], "pve3": ["10.0.0.13"]}, [0])
    assert plan_links(current, moved, ONLINE, cluster="lab")[1] == [EngineProblem(
        "cluster lab", "would change every link at once (re-address link0 on pve1): if the new addresses do not "
        "connect, the members lose each other", "add the new addresses as another link first, apply, then remove "
        "the old link in a second apply", "addresses")]
