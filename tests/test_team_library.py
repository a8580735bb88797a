"""examples/team-library, as another team uses it: its wheel is built, installed into a fresh infra repo made by
`pvecdk init`, its own tests pass against the installed wheel, and a team stack built with it synthesizes and
passes `pvecdk validate`.

The infra repo's venv sees this venv's packages (as in test_cli_e2e.py: a fresh clone cannot fetch pvecdk
from an index); the library's wheel is installed into it with pip, from no index, so its requirement on
pvecdk must be met by the pvecdk installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from pvecdk import _cdk
from pvecdk.init import init_project
from test_cli_e2e import make_venv

from stacks.teams import PlatformStack

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "examples" / "team-library"

TEAM_STACK = '''"""Team web: its tenant space and two standard VMs, on the platform its saved exports describe."""

from __future__ import annotations

from pathlib import Path

from pvecdk._cdk import Construct, TerraformStack
from pvecdk.bpg import provider
from pvecdk.platform import Platform, PlatformExports
from pvecdk_tenants import Size, StandardVm, TenantSpace

EXPORTS = Path(__file__).resolve().parent.parent / "platform.json"


class TeamWebStack(TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        provider.ProxmoxProvider(self, "proxmox")
        platform = Platform.lookup(self, "Platform", PlatformExports.from_file(EXPORTS))
        space = TenantSpace(self, "web", name="web", zone="tenants", vlan=120)
        space.back_up_to(platform.storage("nfs-storage"))
        for i, node in enumerate(platform.nodes[:2]):
            StandardVm(self, f"web{i + 1}", space=space, node=node, vm_id=2001 + i,
                       storage=platform.storage("vm-pool"), size=Size.MEDIUM)
'''


def run(args: list[str], cwd: Path) -> str:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_library_wheel_installs_into_an_infra_repo_and_a_team_stack_validates(tmp_path: Path) -> None:
    project = tomllib.loads((LIBRARY / "pyproject.toml").read_text())["project"]
    source = tmp_path / "library"  # build from a copy: nothing is written into the checkout
    shutil.copytree(LIBRARY, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(source)],
        tmp_path)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == f"pvecdk_tenants-{project['version']}-py3-none-any.whl"

    infra = tmp_path / "infra"
    init_project(infra)
    make_venv(infra)
    python = str(infra / ".venv" / "bin" / "python")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index", str(wheel)], infra)
    where = run([python, "-c", "import pvecdk_tenants; print(pvecdk_tenants.__file__, pvecdk_tenants.__version__)"],
                infra).split()
    assert where[0].startswith(str(infra / ".venv")) and where[1] == project["version"]

    # The library's own tests, against the installed wheel (its source tree is not on the path).
    shutil.rmtree(source / "src")
    out = run([python, "-m", "pytest", "-q", str(source / "tests")], source)
    assert "4 passed" in out

    # The platform's exports, as the platform repo publishes them; the team stack registered beside `cluster`.
    (infra / "platform.json").write_text(PlatformStack(_cdk.App(), "platform").exports.to_json())
    (infra / "stacks" / "team_web.py").write_text(TEAM_STACK)
    init = infra / "stacks" / "__init__.py"
    init.write_text(init.read_text() + "\nfrom stacks.team_web import TeamWebStack  # noqa: E402\n\n"
                    "STACKS[\"team-web\"] = TeamWebStack\n")
    run([python, "main.py"], infra)
    stack = json.loads((infra / "cdktf.out" / "stacks" / "team-web" / "cdk.tf.json").read_text())
    assert set(stack["resource"]) == {
        "proxmox_virtual_environment_pool", "proxmox_virtual_environment_group", "proxmox_virtual_environment_role",
        "proxmox_acl", "proxmox_sdn_vnet", "proxmox_backup_job", "proxmox_virtual_environment_vm",
        "proxmox_haresource", "pvecdk_guest_placement"}
    vms = stack["resource"]["proxmox_virtual_environment_vm"].values()
    assert sorted((vm["vm_id"], vm["node_name"], vm["disk"][0]["datastore_id"]) for vm in vms) == [
        (2001, "pve1", "vm-pool"), (2002, "pve2", "vm-pool")]
    placements = stack["resource"]["pvecdk_guest_placement"].values()
    assert sorted((p["vm_id"], p["node_name"]) for p in placements) == [(2001, "pve1"), (2002, "pve2")]
    out = run([str(infra / ".venv" / "bin" / "pvecdk"), "validate", "--stack", "team-web"], infra)
    assert "team-web: ok" in out
