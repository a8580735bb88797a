"""``pvecdk init``: write a new infra repo that synthesizes, tests and deploys on a fresh machine.

The files are in ``pvecdk/_init``; ``@@NAME@@``, ``@@REQUIREMENT@@``, ``@@CLI_PACKAGE@@`` and ``@@CLI_VERSION@@``
are filled in. ``gitignore`` is written as ``.gitignore`` (a file of that name would be skipped by packaging).
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

from pvecdk.errors import PvecdkError

__all__ = ["init_project", "pvecdk_requirement"]

_TEMPLATE = Path(__file__).resolve().parent / "_init"
_RENAMED = {"gitignore": ".gitignore"}


def pvecdk_requirement(runtime: str, spec: str | None = None) -> str:
    """How the new repo requires pvecdk: ``spec`` if given, else the git URL and commit this pvecdk was installed
    from (PEP 610), else ``pvecdk==<this version>``; with the runtime's extra and ``validate``."""
    extras = f"[{runtime},validate]"
    if spec:
        return re.sub(r"^pvecdk(\[[^]]*\])?", f"pvecdk{extras}", spec.strip())
    dist = metadata.distribution("pvecdk")
    direct = dist.read_text("direct_url.json")
    if direct:
        info = json.loads(direct)
        vcs = info.get("vcs_info", {})
        if vcs.get("vcs") == "git":
            return f"pvecdk{extras} @ git+{info['url']}@{vcs['commit_id']}"
    return f"pvecdk{extras}=={dist.version}"


def _runtime_named_in(spec: str | None) -> str | None:
    """The runtime a requirement's extras name (``pvecdk[cdktf] @ ...``): what the user asked for outranks
    whichever runtime the pvecdk running ``init`` happens to have."""
    extras = re.match(r"^\s*pvecdk\s*\[([^]]*)\]", spec or "")
    named = [e.strip() for e in extras.group(1).split(",") if e.strip() in ("cdktf", "cdktn")] if extras else []
    return named[0] if len(named) == 1 else None


def init_project(target: str | Path, *, runtime: str | None = None, requirement: str | None = None) -> list[Path]:
    """Write the infra repo into ``target``; return the files written. Refuses when any of them exists."""
    from pvecdk.node_cli import CLI_PACKAGES

    root = Path(target)
    # cdktf unless only cdktn is installed: a pvecdk installed without extras (to run init) has neither.
    only_cdktn = find_spec("cdktf") is None and find_spec("cdktn") is not None
    runtime = runtime or _runtime_named_in(requirement) or ("cdktn" if only_cdktn else "cdktf")
    package, version, _command = CLI_PACKAGES[runtime]
    values = {
        "@@NAME@@": re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-") or "infra",
        "@@REQUIREMENT@@": pvecdk_requirement(runtime, requirement),
        "@@CLI_PACKAGE@@": package,
        "@@CLI_VERSION@@": version,
    }
    sources = sorted(p for p in _TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    targets = {src: root / src.relative_to(_TEMPLATE).with_name(_RENAMED.get(src.name, src.name)) for src in sources}
    existing = sorted(str(t.relative_to(root)) for t in targets.values() if t.exists())
    if existing:
        raise PvecdkError(f"{root}: would overwrite {', '.join(existing)}; choose an empty directory")
    for src, dst in targets.items():
        text = src.read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text)
    return list(targets.values())
