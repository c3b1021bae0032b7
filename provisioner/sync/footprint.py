"""The ownership footprint: every resource an owner's tag marks, one Resources - List per subscription."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from provisioner import kinds
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import OWNER_TAG

log = logging.getLogger(__name__)


class TagReader(Protocol):
    """The read the footprint needs (provisioner.azure.client.Azure; tests use a fake)."""

    def list_tagged(self, scope: ResourceId, name: str, value: str) -> list[ResourceId]: ...


@dataclass(frozen=True)
class Footprint:
    """What each owner's tag marks, in the subscriptions read."""

    owned: Mapping[str, frozenset[ResourceId]] = field(default_factory=dict)  # owner -> IDs
    # Subscription -> why its resources could not be listed (the footprint there is unknown).
    unreadable: Mapping[str, str] = field(default_factory=dict)

    def lists(self) -> frozenset[tuple[Kind, ResourceId]]:
        """(kind, resource group) of every owned group and rule: the lists that read them.

        Other types an owner's tag marks are not alertsync's (it tags only what it owns)."""
        return frozenset(
            (kind, rid.resource_group_id())
            for ids in self.owned.values()
            for rid in ids
            if (kind := kinds.by_arm_type(rid.resource_type)) is not None and kind.owned
        )

    def owned_in(self, group: ResourceId) -> dict[str, list[ResourceId]]:
        """Owner -> the owned resources in a resource group, sorted."""
        found = {
            owner: sorted(r for r in ids if r.resource_group_id() == group)
            for owner, ids in sorted(self.owned.items())
        }
        return {owner: ids for owner, ids in found.items() if ids}


@dataclass(frozen=True)
class Search:
    """The footprint's lists, started on a pool: one tag-filtered Resources - List per
    (subscription, owner)."""

    pairs: tuple[tuple[str, str], ...] = ()  # (subscription, owner) of each list
    lists: tuple[Future[list[ResourceId] | str], ...] = ()

    def result(self) -> Footprint:
        """The footprint the lists found (each waited for; a failure is raised)."""
        if not self.pairs:
            return Footprint()
        owned: dict[str, set[ResourceId]] = {}
        unreadable: dict[str, str] = {}
        for (subscription, owner), listing in zip(self.pairs, self.lists, strict=True):
            found = listing.result()
            if isinstance(found, str):
                unreadable.setdefault(subscription, found)
            else:
                owned.setdefault(owner, set()).update(found)
        return Footprint(
            MappingProxyType({o: frozenset(ids) for o, ids in owned.items()}),
            MappingProxyType(unreadable),
        )


def start_search(
    azure: TagReader, pool: Executor, subscriptions: Iterable[str], owners: Iterable[str]
) -> Search:
    """Submit the footprint's lists to `pool` (bounded, shared with the lists of live state)."""
    pairs = tuple(sorted({(s.lower(), o) for s in subscriptions for o in owners}))
    return Search(pairs, tuple(pool.submit(_tagged, azure, *pair) for pair in pairs))


def _tagged(azure: TagReader, subscription: str, owner: str) -> list[ResourceId] | str:
    """The IDs tagged with this owner, or why the credential may not list them (403: Reader on
    some resource groups only); any other failure raises, as a smaller footprint would hide
    what prune and the plan must see."""
    try:
        return azure.list_tagged(ResourceId(subscription), OWNER_TAG, owner)
    except AzureError as error:
        if error.status != 403:
            raise
        return str(error)


def warnings(footprint: Footprint, unread_groups: Mapping[ResourceId, str]) -> list[str]:
    """Where the footprint is unknown or could not be read: never a silently smaller one."""
    said = [
        f'cannot list the resources of subscription "{sub}" to find what these specs\' owners '
        f"manage there ({why}); only the resource groups the specs name were read, so "
        "resources of these owners elsewhere in it are neither listed as kept nor pruned"
        for sub, why in sorted(footprint.unreadable.items())
    ]
    for group, why in sorted(unread_groups.items()):
        for owner, ids in footprint.owned_in(group).items():
            names = ", ".join(rid.name for rid in ids)
            said.append(
                f'cannot read {group.describe()}, where owner "{owner}" has {len(ids)} '
                f"resource(s) ({names}): {why}; they are neither compared, kept nor pruned"
            )
    return said
