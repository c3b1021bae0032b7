"""What a diff finds: the changes that make Azure match the specs, and the problems that forbid them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from provisioner.ids import ResourceId
from provisioner.model import Resource
from provisioner.sync.field_diff import FieldChange

Action = Literal["create", "update", "adopt", "delete"]


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    id: ResourceId
    desired: Resource | None
    live: Resource | None
    fields: tuple[FieldChange, ...]
    source: str | None = None  # where the spec declares it; None for a prune


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that makes the plan impossible or forbidden; the plan refuses while any exists."""

    id: ResourceId
    message: str
    source: str | None = None
    code: Literal["missing", "ownership", "unsupported", "immutable"] = "missing"


@dataclass(frozen=True, slots=True)
class Reference:
    """Something a declared resource names that must exist: `<resource> <verb> <target>`."""

    target: ResourceId
    verb: str  # "is scoped to", "adds"
    fix: str  # what to do when the target does not exist
