"""StateBackend: every stack's state in PostgreSQL (Terraform's ``pg`` backend), locked while a run holds it.

The synthesized stacks name only their schema; the connection string comes from PG_CONN_STR. Against a real
PostgreSQL server on loopback and the embedded Terraform (``pvecdk-terraform``): state is stored and read back
from another checkout; of two applies of one stack the second stops on the lock (or waits with -lock-timeout)
and the state is the first one's; a killed apply's lock goes with its database session; two stacks apply at
the same time. Every run briefly takes Terraform's creation lock, which is one for the whole database: a run
that meets it stops, unless it has the lock timeout ``pvecdk cdktf`` gives every locking command. The stacks
are ``terraform_data`` resources (built into Terraform) whose create runs a shell command, so an apply lasts as
long as a test needs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pgserver import USER, PgServer
from pvecdk import ConfigError, _cdk
from pvecdk.backend import StateBackend
from pvecdk.node_cli import cli_environment

PASSWORD = "pg-s3cret-Xq7"
TERRAFORM = str(Path(sys.executable).parent / "pvecdk-terraform")
LOCK_ERROR = "Error acquiring the state lock"


def synth(outdir: Path, stacks: dict[str, tuple[str, str]]) -> Path:
    """Synthesize one stack per name: a terraform_data whose create runs a command; returns cdktf.out."""
    app = _cdk.App(outdir=str(outdir))
    for name, (value, command) in stacks.items():
        stack = _cdk.TerraformStack(app, name)
        data = _cdk.TerraformResource(stack, "data", terraform_resource_type="terraform_data")
        data.add_override("input", value)
        data.add_override("triggers_replace", [value])  # a new value creates anew, so the command runs again
        data.add_override("provisioner", [{"local-exec": {"command": command}}])
    StateBackend.pg().apply_to(app)
    app.synth()
    return outdir


# -------------------------------------------------------------------------------------------- synthesis


def test_every_stack_gets_its_own_schema_and_no_connection_string(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_CONN_STR", f"postgres://u:{PASSWORD}@db/tfstate")
    out = synth(tmp_path, {"platform": ("a", "true"), "team-web": ("b", "true")})
    for stack, schema in (("platform", "pvecdk_platform"), ("team-web", "pvecdk_team_web")):
        text = (out / "stacks" / stack / "cdk.tf.json").read_text()
        assert json.loads(text)["terraform"]["backend"] == {"pg": {"schema_name": schema}}
    for path in out.rglob("*"):
        if path.is_file():
            assert PASSWORD not in path.read_text() and "PG_CONN_STR" not in path.read_text(), path


def test_schema_prefix_and_stack_names_are_checked() -> None:
    with pytest.raises(ConfigError) as caught:
        StateBackend.pg(schema_prefix="Team-A")
    assert "StateBackend: schema_prefix: 'Team-A' is not a schema prefix" in str(caught.value)

    app = _cdk.App()
    _cdk.TerraformStack(app, "team-a")
    _cdk.TerraformStack(app, "team_a")
    with pytest.raises(ConfigError) as caught:
        StateBackend.pg().apply_to(app)
    assert "team_a: schema_name: 'pvecdk_team_a' is also the schema of team-a" in str(caught.value)
    assert not any(isinstance(c, _cdk.TerraformBackend) for s in app.node.children for c in s.node.children)

    with pytest.raises(ConfigError, match="holds no TerraformStack"):
        StateBackend.pg().apply_to(_cdk.App())

    app = _cdk.App()
    stack = _cdk.TerraformStack(app, "platform")
    _cdk.PgBackend(stack, conn_str="postgres://db/x")
    with pytest.raises(ConfigError, match="platform: backend: the stack already has a backend"):
        StateBackend.pg().apply_to(app)

    app = _cdk.App()
    _cdk.TerraformStack(app, "t" * 60)
    with pytest.raises(ConfigError, match="longer than PostgreSQL's 63 characters"):
        StateBackend.pg().apply_to(app)


# ----------------------------------------------------------------------------------- a real PostgreSQL


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    server = PgServer(PASSWORD)
    try:
        yield server.start()
    finally:
        server.stop()


class Checkout:
    """One person's copy of the infra repo: a synthesized stack and its Terraform working directory."""

    def __init__(self, root: Path, pg: PgServer, stack: str) -> None:
        self.root, self.stack = root, stack
        rc = root / "terraform.rc"
        rc.parent.mkdir(parents=True, exist_ok=True)
        rc.write_text("")
        self.env = {**os.environ, "PG_CONN_STR": pg.conn_str, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
                    "TF_INPUT": "0", "TF_CLI_CONFIG_FILE": str(rc)}

    def synth(self, value: str, command: str = "true") -> None:
        synth(self.root / "cdktf.out", {self.stack: (value, command)})

    @property
    def dir(self) -> Path:
        return self.root / "cdktf.out" / "stacks" / self.stack

    def _args(self, *args: str) -> list[str]:
        return [TERRAFORM, f"-chdir={self.dir}", *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._args(*args), env=self.env, capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        result = self.run("init", "-input=false", "-no-color")
        assert result.returncode == 0, result.stdout + result.stderr

    def apply(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("apply", "-auto-approve", "-input=false", "-no-color", *extra)

    def start_apply(self, *extra: str) -> subprocess.Popen[str]:
        """An apply in the background, in its own process group (its command's shell included)."""
        return subprocess.Popen(self._args("apply", "-auto-approve", "-input=false", "-no-color", *extra),
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)

    def state(self) -> dict[str, Any]:
        result = self.run("state", "pull")
        assert result.returncode == 0, result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def value(self) -> str:
        return input_of(self.state())


def checkout(tmp_path: Path, pg: PgServer, stack: str, name: str, value: str, command: str = "true") -> Checkout:
    co = Checkout(tmp_path / name, pg, stack)
    co.synth(value, command)
    co.init()
    return co


def stored(pg: PgServer, schema: str) -> dict[str, Any]:
    """The state of the stack's default workspace as PostgreSQL holds it."""
    rows = pg.sql(f"SELECT data::jsonb::text FROM {schema}.states WHERE name = 'default'")  # on one line
    assert len(rows) == 1
    data: dict[str, Any] = json.loads(rows[0][0])
    return data


def input_of(state: dict[str, Any]) -> str:
    """The value of the stack's one terraform_data (its ``input`` is a dynamic value: type and value)."""
    (resource,) = state["resources"]
    return str(resource["instances"][0]["attributes"]["input"]["value"])


def cli_lock_timeouts() -> dict[str, str]:
    """The Terraform arguments ``pvecdk cdktf`` gives the CLI's runs (a lock timeout per locking command)."""
    env = cli_environment({"PATH": "", "TERRAFORM_BINARY_NAME": TERRAFORM})
    return {k: v for k, v in env.items() if k.startswith("TF_CLI_ARGS")}


def locks_held(pg: PgServer) -> int:
    return int(pg.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")[0][0])


def wait_for_lock(pg: PgServer, process: subprocess.Popen[str]) -> None:
    """Until the background apply holds its state lock (or fails the test if it ended first)."""
    deadline = time.monotonic() + 60
    while locks_held(pg) == 0:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the apply never took its lock"
        time.sleep(0.1)


def test_state_is_stored_in_postgresql_and_read_back_from_another_checkout(tmp_path: Path, pg: PgServer) -> None:
    first = checkout(tmp_path, pg, "alpha", "alice", "v1")
    result = first.apply()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (first.dir / "terraform.tfstate").exists()
    state = stored(pg, "pvecdk_alpha")
    assert input_of(state) == "v1"

    second = checkout(tmp_path, pg, "alpha", "bob", "v1")  # a fresh clone: nothing local but the code
    assert second.value() == "v1" and second.state()["lineage"] == state["lineage"]
    plan = second.run("plan", "-detailed-exitcode", "-no-color", "-input=false")
    assert plan.returncode == 0, plan.stdout + plan.stderr  # 0: nothing to change, the state was read


def test_second_apply_of_a_stack_stops_on_the_lock_and_the_first_ones_state_stands(tmp_path: Path,
                                                                                  pg: PgServer) -> None:
    alice = checkout(tmp_path, pg, "beta", "alice", "base")
    assert alice.apply().returncode == 0  # the stack exists (a first apply also takes the creation lock)
    alice.synth("alice", "sleep 4")
    bob = checkout(tmp_path, pg, "beta", "bob", "bob")

    running = alice.start_apply()
    wait_for_lock(pg, running)
    refused = bob.apply()
    output, _ = running.communicate(timeout=120)
    assert running.returncode == 0, output
    assert refused.returncode == 1
    assert LOCK_ERROR in refused.stderr and "Workspace is already locked: default" in refused.stderr
    state = stored(pg, "pvecdk_beta")
    assert input_of(state) == "alice"
    assert bob.value() == "alice"

    # With -lock-timeout the second apply waits for the first and then runs on its state.
    alice.synth("alice-2", "sleep 3")
    running = alice.start_apply()
    wait_for_lock(pg, running)
    started = time.monotonic()
    waited = bob.apply("-lock-timeout=90s")
    output, _ = running.communicate(timeout=120)
    assert running.returncode == 0, output
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert time.monotonic() - started > 1  # it was held up by the first apply
    after = stored(pg, "pvecdk_beta")
    assert input_of(after) == "bob"
    assert after["serial"] > state["serial"] and after["lineage"] == state["lineage"]


def test_a_killed_apply_releases_its_lock_with_its_session_and_a_hung_one_is_ended_in_postgresql(
        tmp_path: Path, pg: PgServer) -> None:
    alice = checkout(tmp_path, pg, "gamma", "alice", "base")
    assert alice.apply().returncode == 0
    bob = checkout(tmp_path, pg, "gamma", "bob", "bob")

    # Killed (kill -9, a lost CI runner): PostgreSQL ends its session, and the advisory lock with it.
    alice.synth("killed", "sleep 60")
    running = alice.start_apply()
    wait_for_lock(pg, running)
    os.killpg(running.pid, signal.SIGKILL)
    running.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while locks_held(pg) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert locks_held(pg) == 0
    unlocked = bob.run("force-unlock", "-force", "00000000-0000-0000-0000-000000000000")
    assert unlocked.returncode == 0 and "successfully unlocked" in unlocked.stdout  # nothing left to clear
    result = bob.apply()
    assert result.returncode == 0, result.stdout + result.stderr
    assert bob.value() == "bob"

    # Hung (stopped, its connection open): the lock stays; force-unlock from elsewhere cannot release a lock
    # another session holds, so the stuck session is ended in PostgreSQL.
    alice.synth("hung", "sleep 60")
    running = alice.start_apply()
    wait_for_lock(pg, running)
    os.killpg(running.pid, signal.SIGSTOP)
    try:
        assert LOCK_ERROR in bob.apply().stderr
        assert bob.run("force-unlock", "-force", "00000000-0000-0000-0000-000000000000").returncode == 0
        assert LOCK_ERROR in bob.apply().stderr
        ended = pg.sql("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        assert ended and all(row == ["t"] for row in ended)
        bob.synth("bob-2")
        result = bob.apply()
        assert result.returncode == 0, result.stdout + result.stderr
        assert bob.value() == "bob-2"
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.communicate(timeout=30)


def test_two_stacks_apply_at_the_same_time(tmp_path: Path, pg: PgServer) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    runs = {}
    for stack in ("delta", "epsilon"):
        co = checkout(tmp_path, pg, stack, stack, "base")
        assert co.apply().returncode == 0
        co.synth("run", f"date +%s.%N > {marks}/{stack}.start; sleep 3; date +%s.%N > {marks}/{stack}.end")
        runs[stack] = co
    for co in runs.values():
        co.env.update(cli_lock_timeouts())  # as `pvecdk cdktf deploy` runs them: see the test below
    processes = {stack: co.start_apply() for stack, co in runs.items()}
    for process in processes.values():
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, output

    def mark(stack: str, which: str) -> float:
        return float((marks / f"{stack}.{which}").read_text())

    # Each apply ran its 3-second command while the other ran its own: neither waited for the other's lock.
    assert mark("delta", "start") < mark("epsilon", "end") and mark("epsilon", "start") < mark("delta", "end")
    assert input_of(stored(pg, "pvecdk_delta")) == "run"
    assert input_of(stored(pg, "pvecdk_epsilon")) == "run"


def test_every_run_meets_the_database_wide_creation_lock_and_the_cli_lock_timeout_rides_it_out(
        tmp_path: Path, pg: PgServer) -> None:
    """Terraform's pg backend takes advisory lock -1 (its creation lock, one for the whole database) for an instant
    at the start of every run, so runs of two stacks starting together can collide. Another session holds it
    here for as long as the test needs: a plain apply stops, an apply with the CLI's lock timeout waits it out."""
    zeta = checkout(tmp_path, pg, "zeta", "zeta", "base")
    assert zeta.apply().returncode == 0  # the stack exists: the collision is not only a first apply's
    zeta.synth("after")
    holder = subprocess.Popen([str(pg.bin / "psql"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", USER,
                               "-d", "tfstate", "-AtX", "-q"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              env={**os.environ, "PGPASSWORD": PASSWORD}, text=True)
    try:
        assert holder.stdin is not None
        holder.stdin.write("SELECT pg_advisory_lock(-1);\n")
        holder.stdin.flush()
        deadline = time.monotonic() + 30
        while locks_held(pg) == 0:
            assert time.monotonic() < deadline, "the creation lock was never taken"
            time.sleep(0.1)

        stopped = zeta.apply()
        assert stopped.returncode == 1
        assert LOCK_ERROR in stopped.stderr
        assert "Cannot lock workspace; already locked for workspace creation" in stopped.stderr
        assert input_of(stored(pg, "pvecdk_zeta")) == "base"

        zeta.env.update(cli_lock_timeouts())
        waiting = zeta.start_apply()
        time.sleep(2)
        assert waiting.poll() is None, waiting.communicate()[0]  # still retrying the lock
        holder.stdin.write("SELECT pg_advisory_unlock(-1);\n")
        holder.stdin.flush()
        output, _ = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, output
        assert input_of(stored(pg, "pvecdk_zeta")) == "after"
    finally:
        holder.kill()
        holder.communicate(timeout=30)
