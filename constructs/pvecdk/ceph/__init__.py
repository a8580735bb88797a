"""Ceph on the cluster's own nodes: monitors, managers, OSDs, pools, CephFS, and the storage on them.

``cluster.enable_ceph(public_network=..., cluster_network=...)`` returns a :class:`Ceph` construct. It
initialises Ceph (``pvecdk_ceph``) and puts monitors and managers on chosen nodes (the first three by default);
OSDs, pools and file systems are added with :meth:`Ceph.add_osd` (or ``node.add_osd``), :meth:`Ceph.add_pool`
and :meth:`Ceph.add_filesystem`, and ``pool.as_storage()`` / ``fs.as_storage()`` define the RBD and CephFS
storage on them.

Terraform applies everything in the order Ceph needs, whatever order the calls came in: cluster membership and
Ceph's packages on every node (``pveceph install`` over SSH, ``pvecdk_ceph_packages``), init, monitors,
managers, OSDs, pools, metadata servers, file systems, storage (each stage ``depends_on`` the one before,
rendered at synthesis). Props are checked when a thing is added; rules over the whole Ceph (an odd
number of monitors, pool sizes against the nodes with OSDs, a metadata server for each file system) are
checked before synthesis by :mod:`pvecdk.policy`.
"""

from __future__ import annotations

from pvecdk.ceph.core import Ceph, add_osd, enable
from pvecdk.ceph.parts import CephFs, CephPool, Osd
from pvecdk.ceph.values import DeviceClass, ErasureCoding, PgAutoscaleMode, PoolApplication

__all__ = [
    "Ceph",
    "CephFs",
    "CephPool",
    "DeviceClass",
    "ErasureCoding",
    "Osd",
    "PgAutoscaleMode",
    "PoolApplication",
    "add_osd",
    "enable",
]
