"""Read live state with LIST calls: one per resource group and kind, run concurrently."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from provisioner.azure import Azure, ResourceGroupNotFound
from provisioner.ids import ResourceId
from provisioner.model import Resource

log = logging.getLogger(__name__)


class DesiredScope(Protocol):
    """What read_live needs of a DesiredState: where to look."""

    @property
    def resource_groups(self) -> frozenset[ResourceId]: ...  # homes of action groups and rules

    @property
    def vaults(self) -> frozenset[ResourceId]: ...  # vaults whose alert settings are managed


@dataclass(frozen=True)
class LiveState:
    """Everything alertsync may compare against, read from Azure at one moment."""

    # Every action group and rule in the desired resource groups (managed or not, any owner),
    # plus the VaultAlertSettings of each desired vault that exists.
    resources: Mapping[ResourceId, Resource]
    missing_vaults: frozenset[ResourceId] = frozenset()  # named by the specs, not in Azure
    missing_resource_groups: frozenset[ResourceId] = frozenset()  # home groups not in Azure
    # Action groups with receivers the model cannot carry (voice, ITSM, logic app, …), e.g.
    # {id: ("voiceReceivers[ops]",)}: a PUT from the model would delete them, so a plan must
    # refuse to update these groups. Groups without such receivers are absent.
    unsupported_receivers: Mapping[ResourceId, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )


@dataclass(frozen=True, slots=True)
class _Found:
    """What one list call found (or that its resource group is missing)."""

    group: ResourceId
    resources: tuple[Resource, ...] = ()
    unsupported: tuple[tuple[ResourceId, tuple[str, ...]], ...] = ()
    missing: bool = False


def _action_groups(azure: Azure, group: ResourceId) -> _Found:
    found = azure.list_action_groups_detailed(group.subscription, _name(group))
    return _Found(
        group,
        tuple(g for g, _ in found),
        tuple((g.id, extra) for g, extra in found if extra),
    )


def _rules(azure: Azure, group: ResourceId) -> _Found:
    return _Found(group, tuple(azure.list_processing_rules(group.subscription, _name(group))))


def _vaults(azure: Azure, group: ResourceId) -> _Found:
    return _Found(group, tuple(azure.list_vaults(group.subscription, _name(group))))


def _name(group: ResourceId) -> str:
    return group.resource_group or ""


def _tolerating_missing(
    read: Callable[[Azure, ResourceId], _Found], azure: Azure, group: ResourceId
) -> _Found:
    try:
        return read(azure, group)
    except ResourceGroupNotFound:
        log.info("%s does not exist", group.describe())
        return _Found(group, missing=True)


def _jobs(desired: DesiredScope) -> list[tuple[Callable[[Azure, ResourceId], _Found], ResourceId]]:
    """One list per (resource group, kind): the request count grows with groups, not resources."""
    homes = sorted(desired.resource_groups)
    vault_groups = sorted({v.resource_group_id() for v in desired.vaults})
    jobs: list[tuple[Callable[[Azure, ResourceId], _Found], ResourceId]] = []
    jobs += [(_action_groups, g) for g in homes]
    jobs += [(_rules, g) for g in homes]
    jobs += [(_vaults, g) for g in vault_groups]
    return jobs


def _run(
    azure: Azure,
    jobs: list[tuple[Callable[[Azure, ResourceId], _Found], ResourceId]],
    max_workers: int,
) -> list[tuple[Callable[[Azure, ResourceId], _Found], _Found]]:
    """Run the lists on a bounded pool; the first failure cancels the rest and is raised."""
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="live") as pool:
        futures: list[tuple[Callable[[Azure, ResourceId], _Found], Future[_Found]]] = [
            (read, pool.submit(_tolerating_missing, read, azure, group)) for read, group in jobs
        ]
        done, pending = wait([f for _, f in futures], return_when=FIRST_EXCEPTION)
        for f in pending:
            f.cancel()
        for f in done:
            if (exc := f.exception()) is not None:
                raise exc
        return [(read, f.result()) for read, f in futures]


def read_live(desired: DesiredScope, azure: Azure, max_workers: int = 8) -> LiveState:
    """The live state for `desired`, read with one LIST per resource group and kind."""
    results = _run(azure, _jobs(desired), max_workers)
    resources: dict[ResourceId, Resource] = {}
    unsupported: dict[ResourceId, tuple[str, ...]] = {}
    missing_groups: set[ResourceId] = set()
    for read, found in results:
        if found.missing and read is not _vaults:
            missing_groups.add(found.group)
        resources.update((r.id, r) for r in found.resources if _wanted(r.id, read, desired))
        unsupported.update(found.unsupported)
    return LiveState(
        resources=MappingProxyType(resources),
        missing_vaults=frozenset(v for v in desired.vaults if v not in resources),
        missing_resource_groups=frozenset(missing_groups),
        unsupported_receivers=MappingProxyType(unsupported),
    )


def _wanted(
    resource_id: ResourceId, read: Callable[[Azure, ResourceId], _Found], desired: DesiredScope
) -> bool:
    """Every action group and rule; only the vaults the specs name (others are not managed)."""
    return read is not _vaults or resource_id in desired.vaults
