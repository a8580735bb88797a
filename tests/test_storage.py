"""Storage constructs: every PVE type with good and bad props, checked against PVE's option tables."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from built_stacks import storage_stack
from conftest import normalise
from pvecdk import (
    CephFsStorage,
    CifsStorage,
    Cluster,
    ConfigError,
    ContentType,
    DirStorage,
    GlusterFsStorage,
    IscsiDirectStorage,
    IscsiProvider,
    IscsiStorage,
    LvmStorage,
    LvmThinStorage,
    NfsStorage,
    PbsStorage,
    RbdStorage,
    Storage,
    ZfsOverIscsiStorage,
    ZfsPoolStorage,
    ZfsRaidLevel,
    _cdk,
)
from pvecdk._storage_types import create_defaults
from pvecdk.bpg import provider
from pvecdk.engine.storage import StorageSpec, check_storage
from pvecdk.storage import CONTENT, type_options

IQN = "iqn.2003-01.org.example:pve"


def lab(version: str = "9.1", nodes: int = 3) -> tuple[Any, Cluster]:
    """A stack with a cluster of ``nodes`` nodes on PVE ``version``."""
    app = _cdk.Testing.app()
    stack = _cdk.TerraformStack(app, "lab")
    provider.ProxmoxProvider(stack, "proxmox")
    cluster = Cluster(stack, "Cluster", name="lab", pve_version=version, management_network="192.168.1.0/24",
                      cluster_network="10.0.0.0/24")
    for i in range(1, nodes + 1):
        cluster.add_node(f"pve{i}", management_address=f"192.168.1.{10 + i}", cluster_address=f"10.0.0.{10 + i}",
                         cluster_interface="eno2",
                         management_interface="eno1")
    return stack, cluster


def secret(stack: Any, name: str = "secret") -> str:
    return str(_cdk.TerraformVariable(stack, name, type="string", sensitive=True).string_value)


def resources(stack: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_cdk.Testing.synth(stack))
    return data.get("resource", {})


def only(stack: Any, tf_type: str) -> dict[str, Any]:
    (item,) = resources(stack)[tf_type].values()
    return item  # type: ignore[no-any-return]


# One row per type: the class, the props of a good definition, the PVE version it needs, the Terraform type,
# a required prop, a content type it cannot hold, an option it does not take (props, on a PVE version), and a
# prop PVE fixes at creation with another value.
CASES: dict[str, dict[str, Any]] = {
    "dir": dict(cls=DirStorage, props=dict(path="/mnt/data"), tf="proxmox_storage_directory", required="path",
                option=None, fixed=("path", "/mnt/other")),
    "nfs": dict(cls=NfsStorage, props=dict(server="192.168.1.100", export="/srv/nfs"), tf="proxmox_storage_nfs",
                required="server", option=(dict(snapshot_as_volume_chain=True), "8.4"), fixed=("export", "/srv/x")),
    "cifs": dict(cls=CifsStorage, props=dict(server="nas", share="pve", username="pve", password="$secret"),
                 tf="proxmox_storage_cifs", required="share",
                 option=(dict(snapshot_as_volume_chain=True), "8.4"), fixed=("share", "other")),
    "lvm": dict(cls=LvmStorage, props=dict(volume_group="vg_san"), tf="proxmox_storage_lvm", required="volume_group",
                wrong=ContentType.ISO, option=None, fixed=("volume_group", "vg_other")),
    "lvmthin": dict(cls=LvmThinStorage, props=dict(volume_group="pve", thin_pool="data"),
                    tf="proxmox_storage_lvmthin", required="thin_pool", wrong=ContentType.BACKUP, option=None,
                    fixed=("thin_pool", "fast")),
    "zfspool": dict(cls=ZfsPoolStorage, props=dict(pool="rpool/data"), tf="proxmox_storage_zfspool",
                    required="pool", wrong=ContentType.VZTMPL, option=None, fixed=("pool", "tank")),
    "pbs": dict(cls=PbsStorage, props=dict(server="pbs", datastore="pve", username="pve@pbs", password="$secret"),
                tf="proxmox_storage_pbs", required="datastore", wrong=ContentType.IMAGES, option=None,
                fixed=("datastore", "other")),
    "rbd": dict(cls=RbdStorage, props=dict(pool="vm-pool"), tf="pvecdk_storage", required="pool",
                wrong=ContentType.ISO, option=(dict(extra_options={"export": "/srv"}), "9.1"), fixed=None),
    "cephfs": dict(cls=CephFsStorage, props=dict(fs_name="cephfs"), tf="pvecdk_storage", required=None,
                   wrong=ContentType.IMAGES, option=(dict(extra_options={"krbd": "1"}), "9.1"), fixed=None),
    "iscsi": dict(cls=IscsiStorage, props=dict(portal="10.0.5.10", target=IQN), tf="pvecdk_storage",
                  required="target", wrong=ContentType.ISO, option=(dict(extra_options={"pool": "x"}), "9.1"),
                  fixed=("target", IQN + "2")),
    "iscsidirect": dict(cls=IscsiDirectStorage, props=dict(portal="10.0.5.10", target=IQN), tf="pvecdk_storage",
                        required="portal", wrong=ContentType.ROOTDIR,
                        option=(dict(extra_options={"content-dirs": "iso=x"}), "9.1"), fixed=("portal", "10.0.5.11")),
    "zfs": dict(cls=ZfsOverIscsiStorage, props=dict(portal="10.0.5.20", target=IQN, pool="tank/pve", blocksize="16k",
                                                    iscsi_provider=IscsiProvider.LIO, lio_tpg="tpg1"),
                tf="pvecdk_storage", required="blocksize", wrong=ContentType.ROOTDIR,
                option=(dict(extra_options={"krbd": "1"}), "9.1"), fixed=("pool", "tank/other")),
    "glusterfs": dict(cls=GlusterFsStorage, props=dict(server="10.0.6.1", volume="pve"), tf="pvecdk_storage",
                      version="8.4", required="volume", wrong=ContentType.ROOTDIR,
                      option=(dict(extra_options={"krbd": "1"}), "8.4"), fixed=("volume", "other")),
}


def build(kind: str, version: str | None = None, **overrides: Any) -> tuple[Any, Any]:
    case = CASES[kind]
    stack, cluster = lab(version or case.get("version", "9.1"))
    props = {k: (secret(stack) if v == "$secret" else v) for k, v in {**case["props"], **overrides}.items()}
    return stack, case["cls"](stack, "store", **props)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_good_definition(kind: str) -> None:
    stack, storage = build(kind)
    case = CASES[kind]
    item = only(stack, case["tf"])
    assert storage.storage_type == kind and storage.resource.node.id == "Resource"
    assert item["id"] == "store"
    default = CONTENT[kind][1]
    assert storage.content == default and sorted(item["content"]) == sorted(c.value for c in default)
    assert storage.shared == (kind not in ("dir", "lvm", "lvmthin", "zfspool"))
    assert item["lifecycle"] == {"prevent_destroy": True}, "a storage holding data is protected"
    assert item["depends_on"] == [f"pvecdk_cluster.{next(iter(resources(stack)['pvecdk_cluster']))}"]
    if case["tf"] == "pvecdk_storage":
        assert item["type"] == kind and item["endpoint"] == "https://192.168.1.11:8006"
        assert item["pve_version"] == case.get("version", "9.1")
        assert item["allow_destroy"] is False


@pytest.mark.parametrize("kind", sorted(k for k in CASES if CASES[k]["required"]))
def test_rejects_missing_required(kind: str) -> None:
    field = CASES[kind]["required"]
    with pytest.raises(ConfigError) as excinfo:
        build(kind, **{field: None})
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem, problem.fix) == ("lab/store", field, "field required",
                                                                          "pass it")


@pytest.mark.parametrize("kind", sorted(k for k in CASES if CASES[k].get("wrong")))
def test_rejects_wrong_content(kind: str) -> None:
    wrong = CASES[kind]["wrong"]
    with pytest.raises(ConfigError) as excinfo:
        build(kind, content=[wrong])
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.type, problem.field) == ("lab/store", CASES[kind]["tf"], "content")
    assert problem.problem == f"{kind} storage cannot hold {wrong.value}"
    assert problem.fix.startswith("pick from ") and all(c.value in problem.fix for c in CONTENT[kind][0])


@pytest.mark.parametrize("kind", sorted(k for k in CASES if CASES[k]["option"]))
def test_rejects_option_the_type_does_not_take(kind: str) -> None:
    props, version = CASES[kind]["option"]
    with pytest.raises(ConfigError) as excinfo:
        build(kind, version=version, **props)
    (problem,) = excinfo.value.problems
    assert problem.path == "lab/store"
    if "extra_options" in props:
        (name,) = props["extra_options"]
        assert problem.field == f"extra_options[{name}]"
        if kind == "cephfs" or name != "pool":
            assert problem.problem == f"{kind} storage takes no {name!r} option on PVE {version}"
        assert problem.fix == "remove it"
    else:
        assert problem.field == "snapshot_as_volume_chain"
        assert problem.problem == f"{kind} storage takes no 'snapshot-as-volume-chain' option on PVE 8.4"
        assert problem.fix == "it needs PVE 9; remove it or target that release"


def test_version_only_option_is_taken_on_pve_9() -> None:
    stack, _ = build("nfs", snapshot_as_volume_chain=True)
    assert only(stack, "proxmox_storage_nfs")["snapshot_as_volume_chain"] is True


@pytest.mark.parametrize("kind", sorted(k for k in CASES if CASES[k]["fixed"]))
def test_fixed_option_change_replaces_a_protected_storage(kind: str) -> None:
    """PVE cannot change a fixed option in place: the provider replaces the storage, and prevent_destroy then
    makes Terraform refuse the plan instead of dropping the definition guests' volumes live on."""
    prop, other = CASES[kind]["fixed"]
    case = CASES[kind]
    option = case["cls"]._OPTION_NAMES[prop]
    first_stack, first = build(kind)
    second_stack, second = build(kind, **{prop: other})
    assert option in first.fixed_options
    before, after = only(first_stack, case["tf"]), only(second_stack, case["tf"])
    for item, value in ((before, case["props"][prop]), (after, other)):
        shown = item.get("options", item).get(option, item.get(prop, item.get("zfs_pool")))
        assert shown == str(value)
        assert item["lifecycle"] == {"prevent_destroy": True}


def test_fixed_options_follow_pves_table() -> None:
    for kind, case in CASES.items():
        version = case.get("version", "9.1")
        table = type_options(kind, int(version[0]))
        assert table is not None
        _, storage = build(kind)
        assert storage.fixed_options == {name for name, spec in table.items() if spec["fixed"]}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_required_options_are_required_props(kind: str) -> None:
    """Every option PVE requires on create (and does not fill itself) is a required keyword of the construct,
    and every typed prop is an option the type takes on some PVE release."""
    cls = CASES[kind]["cls"]
    params = inspect.signature(cls.__init__).parameters
    required = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
    names = dict(cls._OPTION_NAMES)
    for major in (8, 9):
        table = type_options(kind, major)
        if table is None:
            continue
        for option, spec in table.items():
            if not spec["optional"] and option not in create_defaults(kind):
                assert option in names.values(), (kind, option)
                assert next(p for p, o in names.items() if o == option) in required, (kind, option)
    every = {*(type_options(kind, 8) or {}), *(type_options(kind, 9) or {})}
    assert set(names.values()) <= every, set(names.values()) - every


def test_rejects_glusterfs_on_pve_9() -> None:
    with pytest.raises(ConfigError) as excinfo:
        build("glusterfs", version="9.1")
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field, problem.problem) == ("lab/store", "(type)", "PVE 9.1 has no glusterfs storage")
    assert "GlusterFS storage ended with PVE 9" in problem.fix


def test_rejects_cephfs_pool_option() -> None:
    with pytest.raises(ConfigError) as excinfo:
        build("cephfs", extra_options={"pool": "cephfs_data"})
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field) == ("lab/store", "extra_options[pool]")
    assert problem.problem.startswith("CephFS storage has no pool option")
    assert problem.fix == "remove pool; choose the file system with fs_name (RBD storage is the one that takes pool)"


def test_rejects_typed_option_through_extra_options() -> None:
    with pytest.raises(ConfigError) as excinfo:
        build("rbd", extra_options={"pool": "other", "content": "iso"})
    assert [(p.field, p.fix) for p in excinfo.value.problems] == [
        ("extra_options[pool]", "use pool= instead of extra_options"),
        ("extra_options[content]", "use content= instead of extra_options")]
    assert [(p.path, p.problem) for p in excinfo.value.problems] == [
        ("lab/store", "pool is set through a prop"), ("lab/store", "content is set through a prop")]


def test_extra_options_reach_the_provider() -> None:
    stack, _ = build("rbd", extra_options={"bwlimit": "default=102400"}, krbd=True, namespace="pve")
    assert only(stack, "pvecdk_storage")["options"] == {"pool": "vm-pool", "bwlimit": "default=102400",
                                                        "krbd": "1", "namespace": "pve"}


def test_iscsi_without_content_uses_no_luns_directly() -> None:
    stack, storage = build("iscsi", content=[])
    item = only(stack, "pvecdk_storage")
    assert item["content"] == ["none"] and storage.content == frozenset()
    assert "lifecycle" not in item, "a target whose LUNs no guest uses directly holds no data"


# ----------------------------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("kind", ["cifs", "pbs"])
def test_rejects_literal_password(kind: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        build(kind, password="hunter2")
    (problem,) = excinfo.value.problems
    assert (problem.path, problem.field) == ("lab/store", "password")
    assert problem.problem.endswith("was given as a literal value (value hidden)")
    assert "sensitive TerraformVariable" in problem.fix
    assert "hunter2" not in str(excinfo.value)


def test_rejects_literal_encryption_key() -> None:
    with pytest.raises(ConfigError) as excinfo:
        build("pbs", encryption_key="{\"kdf\": null}")
    assert [p.field for p in excinfo.value.problems] == ["encryption_key"]
    (problem,) = excinfo.value.problems
    assert problem.path == "lab/store"
    assert problem.problem == "the encryption key was given as a literal value (value hidden)"
    assert "sensitive TerraformVariable" in problem.fix
    assert "kdf" not in str(excinfo.value)


def test_external_rbd_takes_its_keyring_as_a_token() -> None:
    stack, cluster = lab()
    RbdStorage(stack, "ext", pool="pve", monhost=["10.9.0.1", "10.9.0.2:6789"], username="pve",
               keyring=secret(stack, "keyring"))
    item = only(stack, "pvecdk_storage")
    assert item["keyring"] == "${var.keyring}"
    assert item["options"]["monhost"] == "10.9.0.1,10.9.0.2:6789"
    with pytest.raises(ConfigError) as excinfo:
        RbdStorage(stack, "ext2", pool="pve", monhost=["10.9.0.1"], keyring="AQBsecret==")
    (problem,) = excinfo.value.problems
    assert problem.field == "keyring" and "AQBsecret" not in str(excinfo.value)
    assert problem.path == "lab/ext2" and "sensitive TerraformVariable" in problem.fix


def test_rejects_monhost_without_keyring_and_keyring_without_monhost() -> None:
    stack, _ = lab()
    with pytest.raises(ConfigError) as excinfo:
        RbdStorage(stack, "ext-a", pool="pve", monhost=["10.9.0.1"])
    assert "needs the client's keyring" in excinfo.value.problems[0].problem
    # A rule between two props is reported at the prop to change: here the keyring it lacks.
    assert [(p.path, p.field, p.fix) for p in excinfo.value.problems] == [
        ("lab/ext-a", "keyring", "pass keyring= as a sensitive variable's token")]
    with pytest.raises(ConfigError) as excinfo:
        CephFsStorage(stack, "ext-b", keyring=secret(stack))
    assert "only taken for an external Ceph cluster" in excinfo.value.problems[0].problem
    assert [(p.path, p.field, p.fix) for p in excinfo.value.problems] == [
        ("lab/ext-b", "keyring", "pass monhost=[...] too, or remove keyring (the cluster's own Ceph needs none)")]


# ----------------------------------------------------------------------------------------------- nodes


def test_nodes_restrict_the_storage() -> None:
    stack, cluster = lab()
    pve1, pve2, _ = cluster.nodes
    storage = DirStorage(stack, "backup", path="/mnt/backup", content=[ContentType.BACKUP], nodes=[pve2, pve1])
    assert only(stack, "proxmox_storage_directory")["nodes"] == ["pve1", "pve2"]
    assert storage.nodes == (pve2, pve1) and storage.available_on(pve1)
    assert not storage.available_on(cluster.nodes[2])


def test_rejects_nodes_of_another_cluster() -> None:
    stack, cluster = lab()
    other = Cluster(stack, "Other", name="other", management_network="192.168.9.0/24", cluster_network="10.9.0.0/24",
                    provider=provider.ProxmoxProvider(stack, "other", alias="other"))
    stray = other.add_node("px1", management_address="192.168.9.11", cluster_address="10.9.0.11",
                           cluster_interface="eno2",
                           management_interface="eno1")
    with pytest.raises(ConfigError) as excinfo:
        NfsStorage(stack, "nfs", server="nas", export="/srv", cluster=cluster, nodes=[cluster.nodes[0], stray])
    (problem,) = excinfo.value.problems
    assert (problem.field, problem.problem) == ("nodes", "node px1 is not a node of cluster lab")
    assert (problem.path, problem.fix) == ("lab/nfs", "list nodes of lab only")


@pytest.mark.parametrize(("nodes", "words", "fix"), [
    ([], "an empty node list defines the storage nowhere", "list nodes, or leave nodes unset for every node"),
    (["pve1"], "is not a Node", "pass the nodes cluster.add_node(...) returned"),
    ("twice", "is listed twice", "list each node once"),
])
def test_rejects_bad_node_list(nodes: Any, words: str, fix: str) -> None:
    stack, cluster = lab()
    if nodes == "twice":
        nodes = [cluster.nodes[0], cluster.nodes[0]]
    with pytest.raises(ConfigError) as excinfo:
        LvmThinStorage(stack, "thin", volume_group="pve", thin_pool="data", nodes=nodes)
    (problem,) = excinfo.value.problems
    assert problem.field == "nodes" and words in problem.problem
    assert (problem.path, problem.fix) == ("lab/thin", fix)


@pytest.mark.parametrize("kind", ["nfs", "rbd"])
def test_rejects_cluster_that_is_not_a_cluster(kind: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        build(kind, cluster="lab")
    (problem,) = excinfo.value.problems
    assert (problem.field, problem.problem, problem.fix) == ("cluster", "'lab' is not a Cluster",
                                                             "pass the Cluster construct")
    assert problem.path == "lab/store"
    assert problem.type == CASES[kind]["tf"]


def test_rejects_pvecdk_storage_without_a_cluster() -> None:
    app = _cdk.Testing.app()
    stack = _cdk.TerraformStack(app, "bare")
    with pytest.raises(ConfigError) as excinfo:
        RbdStorage(stack, "rbd", pool="vm")
    (problem,) = excinfo.value.problems
    assert problem.field == "cluster" and "needs a member's API endpoint" in problem.problem
    assert (problem.path, problem.fix) == ("bare/rbd",
                                           "define the storage after cluster.add_node(...), or pass cluster=")


def test_bpg_storage_without_a_cluster_has_no_dependency() -> None:
    app = _cdk.Testing.app()
    stack = _cdk.TerraformStack(app, "bare")
    provider.ProxmoxProvider(stack, "proxmox")
    NfsStorage(stack, "nfs", server="nas", export="/srv")
    assert "depends_on" not in only(stack, "proxmox_storage_nfs")


# ----------------------------------------------------------------------------------------------- protection


def test_media_only_storage_is_not_protected() -> None:
    stack, _ = build("nfs", content=[ContentType.ISO, ContentType.VZTMPL])
    assert "lifecycle" not in only(stack, "proxmox_storage_nfs")


def test_allow_destroy_lifts_the_protection() -> None:
    stack, storage = build("rbd", allow_destroy=True)
    item = only(stack, "pvecdk_storage")
    assert "lifecycle" not in item and item["allow_destroy"] is True
    assert storage.holds_data and storage.allow_destroy


def test_disabled_storage() -> None:
    stack, _ = build("lvm", enabled=False)
    assert only(stack, "proxmox_storage_lvm")["disable"] is True


# ----------------------------------------------------------------------------------------------- ZFS pools


def test_zfs_pool_created_on_each_node() -> None:
    stack, cluster = lab()
    pve1, pve2, _ = cluster.nodes
    storage = ZfsPoolStorage(stack, "tank", pool="tank", nodes=[pve1, pve2],
                             devices=["/dev/sdb", "/dev/sdc", "/dev/sdd", "/dev/sde"], ashift=12, compression="lz4")
    zpools = resources(stack)["proxmox_node_disk_zfs"]
    assert sorted(z["node_name"] for z in zpools.values()) == ["pve1", "pve2"]
    for z in zpools.values():
        assert (z["name"], z["raidlevel"], z["ashift"], z["compression"]) == ("tank", "raid10", 12, "lz4")
        assert z["add_storage"] is False, "the storage definition is the construct's own"
        assert z["lifecycle"] == {"prevent_destroy": True}
    item = only(stack, "proxmox_storage_zfspool")
    assert {f"proxmox_node_disk_zfs.{name}" for name in zpools} <= set(item["depends_on"])
    assert sorted(storage.zpools) == ["pve1", "pve2"]


@pytest.mark.parametrize(("devices", "level"), [(1, "single"), (2, "mirror"), (3, "raidz"), (6, "raid10")])
def test_zfs_raid_level_default(devices: int, level: str) -> None:
    stack, cluster = lab()
    ZfsPoolStorage(stack, "tank", pool="tank", nodes=[cluster.nodes[0]],
                   devices=[f"/dev/sd{chr(98 + i)}" for i in range(devices)])
    assert only(stack, "proxmox_node_disk_zfs")["raidlevel"] == level


def test_rejects_zpool_options_without_devices_at_each() -> None:
    stack, _ = lab()
    with pytest.raises(ConfigError) as excinfo:
        ZfsPoolStorage(stack, "tank", pool="tank", raid_level=ZfsRaidLevel.MIRROR, ashift=12)
    assert [(p.path, p.field, p.fix) for p in excinfo.value.problems] == [
        ("lab/tank", "raid_level", "pass devices=[...] to create the pool, or remove raid_level"),
        ("lab/tank", "ashift", "pass devices=[...] to create the pool, or remove ashift")]


@pytest.mark.parametrize(("props", "field", "words", "fix"), [
    (dict(devices=["/dev/sdb"]), "nodes", "not on which nodes to create the zpool",
     "pass nodes=[...]"),
    (dict(devices=["/dev/sdb", "/dev/sdc"], raid_level=ZfsRaidLevel.RAIDZ2, nodes="pve1"), "raid_level",
     "raidz2 takes at least 4 device(s), got 2",
     "pass raid_level=ZfsRaidLevel.MIRROR for 2 device(s), or list at least 4 device(s) in devices"),
    (dict(devices=["/dev/sdb", "/dev/sdc", "/dev/sdd"], raid_level=ZfsRaidLevel.RAID10, nodes="pve1"),
     "raid_level", "raid10 takes at least 4 device(s) in pairs, got 3",
     "pass raid_level=ZfsRaidLevel.RAIDZ for 3 device(s), or list at least 4 device(s) in pairs in devices"),
    (dict(devices=["/dev/sdb", "/dev/sdb"], nodes="pve1"), "devices", "listed twice",
     "list each disk once"),
    (dict(devices=["sdb"], nodes="pve1"), "devices", "is not a device path",
     "give disks as /dev/sdX or /dev/disk/by-id/..."),
    (dict(pool="rpool/data", devices=["/dev/sdb"], nodes="pve1"), "pool", "is a dataset",
     "give a pool name without '/'"),
    (dict(raid_level="mirror"), "raid_level", "raid_level is given but no zpool is created",
     "pass devices=[...] to create the pool, or remove raid_level"),
    (dict(ashift=20, devices=["/dev/sdb"], nodes="pve1"), "ashift", "ashift must be 9-16",
     "use 12 for 4K-sector disks"),
])
def test_rejects_bad_zpool(props: dict[str, Any], field: str, words: str, fix: str) -> None:
    stack, cluster = lab()
    if props.get("nodes") == "pve1":
        props["nodes"] = [cluster.nodes[0]]
    with pytest.raises(ConfigError) as excinfo:
        ZfsPoolStorage(stack, "tank", **{"pool": "tank", **props})
    (problem,) = excinfo.value.problems
    assert problem.field == field and words in problem.problem, problem
    assert (problem.path, problem.fix) == ("lab/tank", fix)


# ----------------------------------------------------------------------------------------------- other props


@pytest.mark.parametrize(("kind", "props", "field", "words", "fix"), [
    ("nfs", dict(export="srv/nfs"), "export", "is not an export path",
     "give the exported directory, such as /srv/nfs"),
    ("nfs", dict(server="nas:/srv"), "server", "is not a server address",
     "give a host name or IP address, without the export"),
    ("dir", dict(path="data"), "path", "is not an absolute directory",
     "give a path such as /mnt/data"),
    ("pbs", dict(username="pve"), "username", "is not a PBS user",
     "give user@realm, or user@realm!token for an API token"),
    ("pbs", dict(fingerprint="AA:BB"), "fingerprint", "is not a SHA-256 fingerprint",
     "give 32 hex pairs separated by ':' (proxmox-backup-manager cert info)"),
    ("iscsi", dict(target="pve-target"), "target", "is not an iSCSI target name",
     "give an IQN such as iqn.2003-01.org.example:storage"),
    ("iscsi", dict(portal="10.0.5.10/24"), "portal", "is not an iSCSI portal",
     "give an address, optionally with :port (3260 by default)"),
    ("zfs", dict(lio_tpg=None), "lio_tpg", "the LIO provider needs its target portal group",
     "pass lio_tpg='tpg1'"),
    ("zfs", dict(iscsi_provider="istgt"), "lio_tpg", "lio_tpg applies to the LIO provider",
     "remove it"),
    ("zfs", dict(comstar_tg="tg0"), "comstar_tg", "comstar_tg applies to COMSTAR, not LIO",
     "remove it"),
    ("zfs", dict(iscsi_provider="ctld"), "iscsi_provider", "input should be",
     "pass one of the listed values"),
    ("lvm", dict(volume_group="vg san"), "volume_group", "is not an LVM volume group name",
     "use letters, digits, '+', '_', '.', '-'"),
    ("cifs", dict(share="pve/sub"), "share", "is not a share name",
     "give the share's name alone, such as proxmox"),
    ("dir", dict(storage_id="1st"), "storage_id", "is not a storage id",
     "start with a letter, then letters, digits, '-', '_' or '.', ending in a letter or digit"),
    ("dir", dict(content=["disks"]), "content[0]", "input should be",
     "pass one of the listed values"),
])
def test_rejects_bad_prop(kind: str, props: dict[str, Any], field: str, words: str, fix: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        build(kind, **props)
    problem = excinfo.value.problems[0]
    assert problem.field == field and words.lower() in problem.problem.lower(), problem
    assert (problem.path, problem.fix) == ("lab/store", fix)


@pytest.mark.parametrize("storage_id", ["a", "nas-", "nas.", "nas\n"])
def test_rejects_storage_id_pve_refuses(storage_id: str) -> None:
    # PVE's pve-storage-id, as the engine checks it: one character, or a last one not a letter or digit, is refused.
    with pytest.raises(ConfigError) as excinfo:
        build("dir", storage_id=storage_id)
    assert [(p.path, p.field, p.problem, p.fix) for p in excinfo.value.problems] == [
        ("lab/store", "storage_id", f"{storage_id!r} is not a storage id",
         "start with a letter, then letters, digits, '-', '_' or '.', ending in a letter or digit")]
    # The engine refuses it too; both take the shortest id PVE does.
    assert [p for p in check_storage(StorageSpec(id=storage_id, type="rbd")) if p.field == "id"]
    assert not [p for p in check_storage(StorageSpec(id="a1", type="rbd")) if p.field == "id"]
    build("dir", storage_id="a1")


def test_rejection_message_shape() -> None:
    stack, _ = lab(version="8.4")
    with pytest.raises(ConfigError) as excinfo:
        PbsStorage(stack, "pbs", server="pbs", datastore="pve", username="pve@pbs", password=secret(stack),
                   content=[ContentType.IMAGES, ContentType.ISO])
    assert str(excinfo.value) == "\n".join([
        "2 problems in the configuration",
        "  lab/pbs (proxmox_storage_pbs): content: pbs storage cannot hold images; pick from backup",
        "  lab/pbs (proxmox_storage_pbs): content: pbs storage cannot hold iso; pick from backup",
    ])


def test_nothing_enters_the_tree_when_rejected() -> None:
    stack, _ = lab()
    with pytest.raises(ConfigError):
        LvmStorage(stack, "lvm", volume_group="vg", content=[ContentType.ISO])
    assert stack.node.try_find_child("lvm") is None
    LvmStorage(stack, "lvm", volume_group="vg")


# ----------------------------------------------------------------------------------------------- references


def test_from_id_refers_to_the_installers_storage() -> None:
    stack, _ = lab()
    local_lvm = Storage.from_id(stack, "local-lvm")
    assert (local_lvm.storage_id, local_lvm.storage_type, local_lvm.shared) == ("local-lvm", "lvmthin", False)
    assert local_lvm.holds(ContentType.IMAGES) and local_lvm.holds("rootdir") and not local_lvm.holds("iso")
    assert not local_lvm.holds("nonsense")
    assert Storage.from_id(stack, "local-lvm") is local_lvm
    assert Storage.from_id(stack, "local").holds(ContentType.ISO)
    nas = Storage.from_id(stack, "nas", content=["backup"], storage_type="nfs")
    assert nas.shared and nas.content == {ContentType.BACKUP} and nas.nodes is None
    assert "resource" not in json.loads(_cdk.Testing.synth(_cdk.TerraformStack(_cdk.Testing.app(), "empty")))
    assert "proxmox_storage_nfs" not in resources(stack), "a reference adds nothing to the plan"


def test_from_id_rejects_unknown_attributes() -> None:
    stack, _ = lab()
    with pytest.raises(ConfigError) as excinfo:
        Storage.from_id(stack, "nas")
    assert [p.field for p in excinfo.value.problems] == ["content", "storage_type"]
    assert [(p.path, p.problem, p.fix) for p in excinfo.value.problems] == [
        ("lab/nas", "what 'nas' holds is unknown",
         "pass content=[ContentType.IMAGES, ...] as the storage is configured"),
        ("lab/nas", "the type of 'nas' is unknown", "pass storage_type=, such as 'nfs' or 'lvmthin'")]
    with pytest.raises(ConfigError) as excinfo:
        Storage.from_id(stack, "nas", content=["disks"], storage_type="nfs")
    assert [p.field for p in excinfo.value.problems] == ["content"]
    assert [(p.path, p.fix) for p in excinfo.value.problems] == [
        ("lab/nas", "pick from images, rootdir, vztmpl, iso, backup, snippets, import")]
    with pytest.raises(ConfigError) as excinfo:
        Storage.from_id(stack, "local-zfs", nodes=["pve1"])  # type: ignore[list-item]
    assert [(p.field, p.problem) for p in excinfo.value.problems] == [("nodes", "'pve1' is not a Node")]
    assert [(p.path, p.fix) for p in excinfo.value.problems] == [
        ("lab/local-zfs", "pass the nodes cluster.add_node(...) returned")]
    with pytest.raises(ConfigError) as excinfo:  # every problem of one call at once
        Storage.from_id(stack, "", shared="sometimes", nodes=["pve1"])  # type: ignore[arg-type, list-item]
    assert [(p.field, p.problem.split(",")[0]) for p in excinfo.value.problems] == [
        ("storage_id", "'' is not a storage id"), ("shared", "input should be a valid boolean"),
        ("content", "what '' holds is unknown"), ("storage_type", "the type of '' is unknown"),
        ("nodes", "'pve1' is not a Node")]
    Storage.from_id(stack, "local")
    with pytest.raises(ConfigError) as excinfo:
        Storage.from_id(stack, "local", content=["images"])
    assert "already referenced here with other attributes" in excinfo.value.problems[0].problem
    assert [(p.path, p.field, p.fix) for p in excinfo.value.problems] == [
        ("lab/local", "storage_id", "refer to it once, or with the same attributes")]


def test_owned_storage_id_is_a_reference() -> None:
    stack, storage = build("lvm")
    assert _cdk.is_unresolved(storage.storage_id)
    assert storage.props.storage_id == "store"


# ----------------------------------------------------------------------------------------------- stack


def test_storage_stack_snapshot(synth: Any, snapshot_json: Any) -> None:
    config = synth(storage_stack, "storage")
    res = config["resource"]
    assert sorted(s["type"] for s in res["pvecdk_storage"].values()) == [
        "cephfs", "glusterfs", "iscsi", "iscsidirect", "rbd", "zfs"]
    for tf_type in ("proxmox_storage_directory", "proxmox_storage_cifs", "proxmox_storage_lvm",
                    "proxmox_storage_lvmthin", "proxmox_storage_zfspool", "proxmox_storage_pbs"):
        assert len(res[tf_type]) == 1, tf_type
    nfs = {n["id"]: n for n in res["proxmox_storage_nfs"].values()}
    assert "lifecycle" not in nfs["isos"] and nfs["nfs"]["lifecycle"] == {"prevent_destroy": True}
    assert len(res["proxmox_node_disk_zfs"]) == 2
    assert "hunter" not in json.dumps(config)
    # The snapshot's firewall, pinned: no Ceph in this stack, so no Ceph port; corosync's knet range and
    # migration on the cluster network, each rule within its own network.
    (group,) = res["proxmox_virtual_environment_cluster_firewall_security_group"].values()
    opened = {(r["proto"], r["dport"], r["source"]) for r in group["rule"]}
    assert ("udp", "5405:5412", "+cluster") in opened and ("tcp", "60000:60050", "+cluster") in opened
    assert not any(port in r["dport"] for r in group["rule"] for port in ("6789", "6800", "5404"))
    assert all(r["dest"] == r["source"] for r in group["rule"])
    # What the snapshot shows, pinned: secrets are variable references, ...
    (smb,) = res["proxmox_storage_cifs"].values()
    (pbs,) = res["proxmox_storage_pbs"].values()
    ours = {s["id"]: s for s in res["pvecdk_storage"].values()}
    assert (smb["password"], pbs["password"]) == ("${var.smb_password}", "${var.pbs_secret}")
    assert ours["ext-rbd"]["keyring"] == ours["ext-cephfs"]["keyring"] == "${var.ceph_keyring}"
    assert smb["backups"] == {"keep_daily": 7, "keep_weekly": 4, "max_protected_backups": 3}
    # ... every pvecdk_storage goes through the first node's API, checked against the cluster's release, ...
    assert {(s["endpoint"], s["pve_version"], s["allow_destroy"]) for s in ours.values()} == {
        ("https://192.168.30.1:8006", "8.4", False)}
    assert ours["ext-rbd"]["options"] == {"krbd": "1", "monhost": "10.9.0.1,10.9.0.2,10.9.0.3", "pool": "pve",
                                          "username": "pve"}
    assert ours["gluster"]["options"] == {"bwlimit": "default=102400", "prune-backups": "keep-last=2",
                                          "server": "172.16.40.210", "server2": "172.16.40.211", "volume": "pve"}
    # ... what holds data is protected (the target whose LUNs no guest uses and the media stores are not), ...
    assert ours["san"]["content"] == ["none"]
    assert {i for i, s in ours.items() if "lifecycle" not in s} == {"san", "ext-cephfs"}
    # ... and everything is created after the membership, the ZFS pool after its zpools.
    membership = f"pvecdk_cluster.{next(iter(res['pvecdk_cluster']))}"
    (tank,) = res["proxmox_storage_zfspool"].values()
    assert tank["depends_on"] == [membership, *(f"proxmox_node_disk_zfs.{z}" for z in res["proxmox_node_disk_zfs"])]
    for tf_type in ("pvecdk_storage", "proxmox_storage_nfs", "proxmox_storage_cifs", "proxmox_node_disk_zfs"):
        assert all(item["depends_on"] == [membership] for item in res[tf_type].values()), tf_type
    assert normalise(config) == snapshot_json


def test_secret_of_the_wrong_type_is_not_shown() -> None:
    with pytest.raises(ConfigError) as excinfo:
        build("cifs", password=987654321)
    (problem,) = excinfo.value.problems
    assert problem.field == "password" and problem.problem.endswith("(value hidden)")
    assert (problem.path, problem.fix) == ("lab/store", "pass a string")
    assert "987654321" not in str(excinfo.value)


# ----------------------------------------------------------------------------------------------- retention


@pytest.mark.parametrize("kind", ["dir", "nfs", "cifs", "pbs"])
def test_retention_on_bpg_storage(kind: str) -> None:
    from pvecdk import Retention

    content = None if kind == "pbs" else [ContentType.BACKUP]
    stack, _ = build(kind, content=content, retention=Retention(keep_last=3, keep_daily=7), max_protected_backups=2)
    item = only(stack, CASES[kind]["tf"])
    assert item["backups"] == {"keep_last": 3, "keep_daily": 7, "max_protected_backups": 2}


@pytest.mark.parametrize("kind", ["cephfs", "glusterfs"])
def test_retention_on_pvecdk_storage(kind: str) -> None:
    from pvecdk import Retention

    stack, _ = build(kind, content=[ContentType.BACKUP], retention=Retention(keep_weekly=4, keep_monthly=6))
    assert only(stack, "pvecdk_storage")["options"]["prune-backups"] == "keep-weekly=4,keep-monthly=6"


def test_rejects_retention_without_backups() -> None:
    from pvecdk import Retention

    with pytest.raises(ConfigError) as excinfo:
        build("nfs", content=[ContentType.IMAGES], retention=Retention(keep_last=1))
    (problem,) = excinfo.value.problems
    assert problem.problem == "retention applies to backups, but the storage holds none"
    assert (problem.path, problem.field, problem.fix) == (
        "lab/store", "retention", "add ContentType.BACKUP to content, or remove retention and max_protected_backups")
    with pytest.raises(ConfigError) as excinfo:
        build("nfs", content=[ContentType.IMAGES], max_protected_backups=3)
    assert [(p.field, p.problem) for p in excinfo.value.problems] == [
        ("max_protected_backups", "retention applies to backups, but the storage holds none")]
    with pytest.raises(ConfigError) as excinfo:
        build("dir", content=[ContentType.BACKUP], retention={"keep_last": 1})
    assert excinfo.value.problems[0].field == "retention"
    assert [(p.path, p.problem, p.fix) for p in excinfo.value.problems] == [
        ("lab/store", "{'keep_last': 1} is not a Retention", "pass Retention(keep_daily=7, ...)")]
