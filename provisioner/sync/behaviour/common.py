"""Safety rules that several kinds share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from provisioner.sync.changes import Change


class Switchable(Protocol):
    @property
    def enabled(self) -> bool: ...


def disables(change: Change, want: Switchable, have: Switchable) -> Iterable[str]:
    """An update or adopt that switches the resource off."""
    if have.enabled and not want.enabled:
        yield f"disables {change.id.describe()}"


def updates(change: Change) -> bool:
    """Whether the change rewrites a resource that exists (its safety rules compare both sides)."""
    return change.action in ("update", "adopt") and None not in (change.desired, change.live)
