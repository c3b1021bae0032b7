"""Classify the emulator's request log: ARM requests only, reads and writes, lists and pages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# A list ends with the collection (…/actionGroups, or …/resources for Resources - List); an item
# read names the resource after it.
_LIST = re.compile(
    r"(/providers/[^/]+/(actionGroups|actionRules|vaults)|^/subscriptions/[^/]+/resources)/?$",
    re.IGNORECASE,
)
_WRITES = frozenset({"PUT", "PATCH", "POST", "DELETE"})


def is_arm(entry: dict[str, Any]) -> bool:
    """An ARM request: not the control API, metadata or sign-in (token) routes."""
    return str(entry["path"]).lower().startswith("/subscriptions/")


@dataclass(frozen=True, slots=True)
class Traffic:
    """What one run sent to ARM."""

    total: int
    reads: int
    writes: int
    list_reads: int  # list pages, first or further
    item_reads: int  # GETs of one resource (what the baseline does)

    @classmethod
    def of(cls, log: Iterable[dict[str, Any]]) -> Traffic:
        arm = [e for e in log if is_arm(e)]
        reads = [e for e in arm if e["method"] == "GET"]
        lists = sum(1 for e in reads if _LIST.search(str(e["path"])))
        return cls(
            total=len(arm),
            reads=len(reads),
            writes=sum(1 for e in arm if e["method"] in _WRITES),
            list_reads=lists,
            item_reads=len(reads) - lists,
        )
