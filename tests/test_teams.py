"""Stacks per concern: a platform stack exports its nodes and storage; team stacks reference them.

The team stacks hold only their own resources (pools, guests, HA, backups) and are checked as one stack is:
a disk on a storage without disk images, a bridge the node lacks, a VMID taken twice, HA on storage that is
not shared; a node or storage the platform does not export is refused with what it does export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pvecdk import ConfigError, Disk, NetworkInterface, Vm, _cdk
from pvecdk.platform import Platform, PlatformExports
from pvecdk.testing import assert_policy_problem, resource, resources
from pvecdk.validate import check_outdir

from stacks.teams import PlatformStack, TeamStack, many_teams_app

PLATFORM_TYPES = {"pvecdk_cluster", "pvecdk_ceph", "pvecdk_ceph_osd", "pvecdk_storage", "proxmox_storage_nfs",
                  "proxmox_storage_directory", "proxmox_network_linux_bridge", "proxmox_cluster_options"}


ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_example_is_this_app(tmp_path: Path) -> None:
    section = (ROOT / "README.md").read_text().split("## Many teams", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert "app = App()\n" in code
    # Where it writes: the jsii runtime keeps the working directory it started in, so the default cdktf.out
    # would be the checkout's.
    code = code.replace("app = App()", f"app = App(outdir={str(tmp_path / 'cdktf.out')!r})")
    exec(compile(code, "README.md", "exec"), {})
    manifest = json.loads((tmp_path / "cdktf.out" / "manifest.json").read_text())["stacks"]
    assert sorted(manifest) == ["platform", "team-1", "team-2"]
    assert load(tmp_path / "cdktf.out", "team-2")["terraform"]["backend"] == {"pg": {"schema_name": "pvecdk_team_2"}}


def load(outdir: Path, stack: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
    return data


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("teams") / "cdktf.out"
    many_teams_app(str(outdir), teams=2, guests=3).synth()
    return outdir


def test_team_stacks_hold_only_their_own_resources_and_wait_for_the_platform(synthesized: Path) -> None:
    manifest = json.loads((synthesized / "manifest.json").read_text())["stacks"]
    assert manifest["team-1"]["dependencies"] == ["platform"] == manifest["team-2"]["dependencies"]
    platform = load(synthesized, "platform")
    assert PLATFORM_TYPES - {"proxmox_storage_directory"} <= set(platform["resource"])
    for team, first in (("team-1", 1000), ("team-2", 2000)):
        config = load(synthesized, team)
        assert set(config["resource"]) == {"proxmox_virtual_environment_pool", "proxmox_virtual_environment_vm",
                                           "proxmox_haresource", "proxmox_backup_job", "pvecdk_guest_placement"}
        # Each guest's node is its placement's (a move migrates it), and the bpg VM never acts on node_name.
        placements = resources(config, "pvecdk_guest_placement")
        assert [(p["vm_id"], p["node_name"], p["type"]) for p in placements] == [
            (first, "pve1", "qemu"), (first + 1, "pve2", "qemu"), (first + 2, "pve3", "qemu")]
        assert set(config["provider"]) == {"proxmox", "pvecdk"}
        assert set(config["data"]) == {"proxmox_virtual_environment_nodes"}
        vms = resources(config, "proxmox_virtual_environment_vm")
        assert [(vm["vm_id"], vm["node_name"]) for vm in vms] == [
            (first, "pve1"), (first + 1, "pve2"), (first + 2, "pve3")]
        # Disks on the platform's RBD storage by its PVE id: no reference into the platform's state.
        assert {vm["disk"][0]["datastore_id"] for vm in vms} == {"vm-pool"}
        nodes = "data.proxmox_virtual_environment_nodes.Platform_Nodes_1DCBE3C1"
        assert all(vm["depends_on"] == [nodes] and vm["lifecycle"] == {"ignore_changes": ["node_name"]} for vm in vms)
        assert resource(config, "proxmox_haresource")["resource_id"] == f"vm:{first}"
        backup = resource(config, "proxmox_backup_job")
        pool = "${proxmox_virtual_environment_pool.Pool_D3F588B8.pool_id}"
        assert (backup["storage"], backup["pool"]) == ("nfs-storage", pool)
        assert config["terraform"]["backend"] == {"pg": {"schema_name": f"pvecdk_{team.replace('-', '_')}"}}
    assert "terraform_remote_state" not in json.dumps(load(synthesized, "team-1"))


def test_every_stack_passes_terraform_validation(synthesized: Path) -> None:
    checks = check_outdir(synthesized)
    assert [(c.stack, c.ok) for c in checks] == [("platform", True), ("team-1", True), ("team-2", True)], [
        str(f) for c in checks for f in c.findings]


def test_exports_are_the_platform_output_and_read_back_in_another_repo(synthesized: Path, tmp_path: Path) -> None:
    output = load(synthesized, "platform")["output"]["pvecdk_platform"]
    exports = PlatformExports.from_json(output["value"])
    assert exports.stack == "platform" and exports.cluster == "pve-cluster"
    assert [n.name for n in exports.nodes] == ["pve1", "pve2", "pve3"]
    assert {s.storage_id: (s.storage_type, s.content, s.shared) for s in exports.storage} == {
        "vm-pool": ("rbd", ("images", "rootdir"), True), "nfs-storage": ("nfs", ("backup", "iso"), True),
        "iso-store": ("dir", ("iso",), False)}
    saved = tmp_path / "platform.json"
    saved.write_text(output["value"])
    app = _cdk.App(outdir=str(tmp_path / "out"))  # another team's repo: no platform stack in its app
    team = TeamStack(app, "team-db", exports=PlatformExports.from_file(saved), first_vm_id=5000, guests=1)
    app.synth()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["stacks"]["team-db"]["dependencies"] == []
    assert team.guests[0].node_name == "pve1"

    with pytest.raises(ConfigError, match=r"platform\.json: exports: not pvecdk platform exports"):
        saved.write_text('{"nodes": []}')
        PlatformExports.from_file(saved)
    with pytest.raises(ConfigError, match="missing.json: path: no such file"):
        PlatformExports.from_file(tmp_path / "missing.json")


@pytest.fixture()
def team() -> tuple[_cdk.TerraformStack, Platform]:
    app = _cdk.App()
    exports = PlatformStack(app, "platform").exports
    stack = _cdk.TerraformStack(app, "team-x")
    return stack, Platform.lookup(stack, "Platform", exports)


def test_a_node_or_storage_the_platform_does_not_export_is_refused(team: tuple[_cdk.TerraformStack, Platform]) -> None:
    _, platform = team
    with pytest.raises(ConfigError) as caught:
        platform.node_named("pve9")
    assert str(caught.value).splitlines()[1].strip() == (
        "team-x/Platform: node: platform platform exports no node 'pve9' (it exports pve1, pve2, pve3); pick an "
        "exported node, or add the node to the platform cluster")
    with pytest.raises(ConfigError, match="exports no storage 'local-lvm' "
                       r"\(it exports iso-store, nfs-storage, vm-pool\); pick an exported storage"):
        platform.storage("local-lvm")


def test_a_team_stack_cannot_change_the_platforms_cluster(team: tuple[_cdk.TerraformStack, Platform]) -> None:
    _, platform = team
    with pytest.raises(ConfigError, match="team-x/Platform: add_node: cannot add node 'pve4' from a team stack: the "
                       "cluster belongs to platform stack platform; change it in the platform stack"):
        platform.add_node("pve4", node_id=4, management_interface="eno1", management_address="192.168.1.14")
    with pytest.raises(ConfigError, match="enable_ceph: cannot enable Ceph from a team stack"):
        platform.enable_ceph()
    assert [n.name for n in platform.nodes] == ["pve1", "pve2", "pve3"]


def test_team_guests_are_checked_as_in_one_stack(team: tuple[_cdk.TerraformStack, Platform]) -> None:
    stack, platform = team
    pve1 = platform.node_named("pve1")
    with pytest.raises(ConfigError, match=r"team-x/iso: disks\[0\]\.storage: storage iso-store does not "
                       r"hold images \(it holds iso\)"):
        Vm(stack, "iso", node=pve1, vm_id=100, disks=[Disk(platform.storage("iso-store"), size_gib=8)])
    with pytest.raises(ConfigError, match=r"networks\[0\]\.bridge: node pve1 has no bridge vmbr7"):
        Vm(stack, "bridge", node=pve1, vm_id=101, disks=[Disk(platform.storage("vm-pool"), size_gib=8)],
           networks=[NetworkInterface(bridge="vmbr7")])
    Vm(stack, "one", node=pve1, vm_id=102, disks=[Disk(platform.storage("vm-pool"), size_gib=8)])
    with pytest.raises(ConfigError, match="vm_id: VMID 102 is already taken by team-x/one"):
        Vm(stack, "two", node=pve1, vm_id=102, disks=[Disk(platform.storage("vm-pool"), size_gib=8)])


def test_ha_on_a_storage_only_one_node_sees_is_refused_in_a_team_stack(tmp_path: Path) -> None:
    app = _cdk.App(outdir=str(tmp_path))
    platform = PlatformStack(app, "platform")
    local = _cdk.TerraformStack(app, "local-only")  # a platform that exports a storage that is not shared
    exports = PlatformExports(**{**vars(platform.exports), "storage": tuple(
        s if s.storage_id != "vm-pool" else type(s)(**{**vars(s), "shared": False, "storage_type": "lvmthin"})
        for s in platform.exports.storage)})
    team = Platform.lookup(local, "Platform", exports)
    Vm(local, "db", node=team.node_named("pve1"), vm_id=300, disks=[Disk(team.storage("vm-pool"), size_gib=8)],
       ha=True)
    assert_policy_problem(local, "disks[0].storage", "storage vm-pool (lvmthin) is local to its node")
