"""What every plan of the engine is made of: steps, each one change through the PVE API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Action", "Step"]


class Action(StrEnum):
    """What a step does. Membership, Ceph, storage and guest placement each have their own."""

    # membership
    CREATE = "create"
    JOIN = "join"
    REMOVE = "remove"
    OPTIONS = "options"
    # Ceph
    INIT = "init"
    CREATE_MONITOR = "create_monitor"
    DESTROY_MONITOR = "destroy_monitor"
    CREATE_MANAGER = "create_manager"
    DESTROY_MANAGER = "destroy_manager"
    CREATE_OSD = "create_osd"
    OUT_OSD = "out_osd"
    STOP_OSD = "stop_osd"
    DESTROY_OSD = "destroy_osd"
    CREATE_MDS = "create_mds"
    DESTROY_MDS = "destroy_mds"
    CREATE_FS = "create_fs"
    RESIZE_FS = "resize_fs"
    # storage
    CREATE_STORAGE = "create_storage"
    UPDATE_STORAGE = "update_storage"
    DELETE_STORAGE = "delete_storage"
    # guests
    MIGRATE = "migrate"

    @property
    def creates(self) -> bool:
        """Whether the step brings a Ceph object into being (then the object is read back after it)."""
        return self.value.startswith("create_")


@dataclass(frozen=True)
class Step:
    """One change the engine makes: a membership step, or one step of a Ceph object or storage definition."""

    action: Action
    node: str
    detail: str

    def __str__(self) -> str:
        return f"{self.action} {self.node}: {self.detail}"
