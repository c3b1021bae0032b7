"""What every kind's spec entry shares when export writes it: the file's context and the start
of an entry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.ids import ResourceId
from provisioner.model import OWNERSHIP_TAGS, Tags

Document = dict[str, Any]


@dataclass(frozen=True)
class SpecContext:
    """What every entry of one file needs: the file's defaults and how to name other resources."""

    owner: str
    subscription: str
    resource_group: str
    # Action groups rules may name (the others are written as full IDs).
    group_names: Mapping[ResourceId, str]
    # The environment variable of each webhook receiver, by (group ID, receiver name).
    webhook_variables: Mapping[tuple[ResourceId, str], str]


def put(entry: Document, key: str, value: Any) -> None:
    """Set a key only when it says something: empty lists, mappings and text are defaults."""
    if value:
        entry[key] = value


def entry_start(resource_id: ResourceId, context: SpecContext) -> Document:
    """`name`, plus `resourceGroup`/`subscription` where they differ from the file's."""
    entry: Document = {"name": resource_id.name}
    if str(resource_id.resource_group).lower() != context.resource_group.lower():
        entry["resourceGroup"] = resource_id.resource_group
    if resource_id.subscription != context.subscription.lower():
        entry["subscription"] = resource_id.subscription
    return entry


def user_tags(tags: Tags) -> dict[str, str]:
    """The resource's tags without the ones alertsync itself sets (spec files may not declare them)."""
    return {name: value for name, value in tags if name.lower() not in OWNERSHIP_TAGS}
