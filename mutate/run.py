"""Mutation testing of the safety logic with mutmut, one module at a time (``make mutate MODULE=name``).

mutmut expects the package under ``src/`` (it imports the mutated copy from ``mutants/src``), while pvecdk
lives under ``constructs/``. So each run stages a copy: ``build/mutate/<name>/`` holds ``src/pvecdk``, the tests
and a ``pyproject.toml`` that tells mutmut which one file to mutate and which test files cover it
(``mutate/modules.toml``). The working tree is never modified.

A survivor listed in ``mutate/equivalent.toml`` (a mutant that behaves exactly like the original) is counted
apart, not as a survivor. The score is killed / (mutants - equivalent); a timeout counts as killed (the tests
noticed), a mutant no test reaches counts as a survivor. Figures, not a gate: the exit status is 0 unless
mutmut itself failed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "mutate"
BUILD = ROOT / "build" / "mutate"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}


@dataclass(frozen=True)
class Equivalent:
    function: str
    original: str
    mutated: str
    reason: str

    def matches(self, name: str, diff: str) -> bool:
        if f"{self.function}__mutmut_" not in name:
            return False
        removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
        added = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
        return any(self.original in line for line in removed) and any(self.mutated in line for line in added)


def load_modules() -> dict[str, dict[str, object]]:
    return tomllib.loads((HERE / "modules.toml").read_text())


def load_equivalents(module: str) -> list[Equivalent]:
    data = tomllib.loads((HERE / "equivalent.toml").read_text())
    return [Equivalent(e["function"], e["original"], e["mutated"], e["reason"]) for e in data.get(module, [])]


def stage(name: str, module: dict[str, object]) -> Path:
    work = BUILD / name
    shutil.rmtree(work, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "constructs" / "pvecdk", work / "src" / "pvecdk", ignore=ignore)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=ignore)
    # The fake cluster reads the vendored PVE tables by path, beside the tests, never through the package.
    shutil.copytree(ROOT / "constructs" / "pvecdk" / "data", work / "constructs" / "pvecdk" / "data")
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    tests = list(module["tests"])  # type: ignore[call-overload]
    config = {
        "source_paths": ["src/pvecdk"],
        "only_mutate": [f"src/pvecdk/{module['path']}"],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
        "also_copy": ["constructs"],
        "use_git_change_detection": False,
        "timeout_multiplier": 2.0,
        "timeout_constant": 2.0,
    }
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in pytest_options.items()]
    lines += ["", "[tool.mutmut]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in config.items()]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return work


def mutmut(work: Path, *args: str, capture: bool = False) -> str:
    exe = Path(sys.executable).parent / "mutmut"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([str(exe), *args], cwd=work, env=env, text=True,
                          stdout=subprocess.PIPE if capture else None, check=False)
    if done.returncode != 0 and not capture:
        raise SystemExit(f"mutmut {' '.join(args)} failed with status {done.returncode}")
    return done.stdout or ""


def existing_at(ref: str, tests: list[str]) -> list[str]:
    """The test files of ``tests`` that existed at git revision ``ref`` (for a score before new tests)."""
    return [t for t in tests if subprocess.run(["git", "cat-file", "-e", f"{ref}:{t.partition('::')[0]}"], cwd=ROOT,
                                               capture_output=True, check=False).returncode == 0]


def run(name: str, module: dict[str, object], children: int, whole: bool, tests_at: str | None,
        only: list[str] | None = None) -> dict[str, object]:
    if only:
        module = {**module, "functions": only}
    if tests_at is not None:
        module = {**module, "tests": existing_at(tests_at, list(module["tests"]))}  # type: ignore[call-overload]
        if not module["tests"]:
            raise SystemExit(f"{name}: no test file of it existed at {tests_at}")
    work = stage(name if tests_at is None else f"{name}-at-{tests_at}", module)
    dotted = "pvecdk." + str(module["path"]).removesuffix(".py").replace("/", ".")
    # mutmut names a mutant module.x_function__mutmut_N (a method: module.xǁClassǁmethod__mutmut_N).
    functions = [] if whole else list(module.get("functions", []))  # type: ignore[call-overload]
    globs = [g for f in functions for g in (f"{dotted}.x_{f}__mutmut_*", f"{dotted}.xǁ*ǁ{f}__mutmut_*")]
    started = time.monotonic()
    mutmut(work, "run", "--max-children", str(children), *globs)
    seconds = time.monotonic() - started
    results = mutmut(work, "results", "--all", "true", capture=True)
    statuses = {k: v for k, v in re.findall(r"^\s+(\S+): (.+)$", results, re.M)
                if not globs or any(fnmatch.fnmatchcase(k, g) for g in globs)}
    equivalents = load_equivalents(name)
    survivors: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for mutant, status in statuses.items():
        if status in KILLED:
            continue
        diff = mutmut(work, "show", mutant, capture=True)
        reason = next((e.reason for e in equivalents if e.matches(mutant, diff)), None)
        if reason is not None and status == "survived":
            excluded[mutant] = reason
        else:
            survivors[mutant] = f"{status}\n{diff}"
    counted = len(statuses) - len(excluded)
    killed = counted - len(survivors)
    score = 100.0 * killed / counted if counted else 100.0
    summary = {"module": name, "path": module["path"], "mutants": len(statuses), "killed": killed,
               "equivalent": len(excluded), "survived": len(survivors), "score": round(score, 1),
               "seconds": round(seconds)}
    (work / "score.json").write_text(json.dumps({**summary, "survivors": survivors, "excluded": excluded},
                                                indent=2) + "\n")
    for mutant, text in survivors.items():
        print(f"\n--- {mutant}: {text}")
    return summary


def main() -> int:
    modules = load_modules()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", choices=[[], *modules], metavar="MODULE",
                        help=f"one or more of {', '.join(modules)} (default: all but those marked slow, one after "
                             "the other)")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--whole", action="store_true",
                        help="mutate every function of the module, not only its decisions (slow)")
    parser.add_argument("--tests-at", metavar="REF",
                        help="run only the test files that existed at git revision REF (the score before them)")
    parser.add_argument("--only", metavar="F1,F2", help="mutate only these functions of the module")
    args = parser.parse_args()
    chosen = args.modules or [name for name, module in modules.items() if not module.get("slow")]
    only = args.only.split(",") if args.only else None
    summaries = [run(name, modules[name], args.children, args.whole, args.tests_at, only) for name in chosen]
    print()
    for s in summaries:
        print(f"{s['module']:<12} {s['path']:<24} {s['score']:5.1f}%  killed {s['killed']} of "
              f"{s['mutants'] - s['equivalent']} ({s['equivalent']} equivalent excluded, {s['survived']} survived) "
              f"in {s['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
