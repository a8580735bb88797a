"""pvecdk: Proxmox VE clusters as code, on CDK for Terraform and the ``bpg/proxmox`` provider.

The L1 classes (one per provider type) are imported by path: ``from pvecdk.bpg import storage_nfs``.
This package re-exports the public constructs and the errors.
"""

from __future__ import annotations

from pvecdk.errors import ConfigError, Problem, PvecdkError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Problem",
    "PvecdkError",
    "__version__",
]
