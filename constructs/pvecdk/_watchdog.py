"""The HA watchdog facts shared by :mod:`pvecdk.ha` and the engine (neither may import the other)."""

from __future__ import annotations

import re

__all__ = ["CONFIG_FILE", "MODULE_NAME"]

#: Where PVE's watchdog-mux reads ``WATCHDOG_MODULE=<module>`` (no line: softdog).
CONFIG_FILE = "/etc/default/pve-ha-manager"
#: A kernel module name: letters, digits, ``_`` and ``-``, at most 55 characters (the kernel's MODULE_NAME_LEN).
MODULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,55}")
