"""Read live state with LIST calls: one per resource group and kind, run concurrently."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
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


_Read = Callable[["Azure", ResourceId], _Found]


@dataclass(frozen=True, slots=True)
class _Job:
    """One list call: `read` over `group`."""

    read: _Read
    group: ResourceId
    # A vault list reads groups named by scopes, not homes: a missing one means missing vaults
    # (not a missing home group), and only the vaults the specs name are kept.
    of_vaults: bool = False


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


def _tolerating_missing(azure: Azure, job: _Job) -> _Found:
    try:
        return job.read(azure, job.group)
    except ResourceGroupNotFound:
        log.info("%s does not exist", job.group.describe())
        return _Found(job.group, missing=True)


def _jobs(desired: DesiredScope) -> list[_Job]:
    """One list per (resource group, kind): the request count grows with groups, not resources."""
    homes = sorted(desired.resource_groups)
    vault_groups = sorted({v.resource_group_id() for v in desired.vaults})
    return [
        *(_Job(_action_groups, g) for g in homes),
        *(_Job(_rules, g) for g in homes),
        *(_Job(_vaults, g, of_vaults=True) for g in vault_groups),
    ]


def _run(azure: Azure, jobs: list[_Job], max_workers: int) -> list[tuple[_Job, _Found]]:
    """Run the lists on a bounded pool; the first failure cancels the rest and is raised."""
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="live") as pool:
        futures = [(job, pool.submit(_tolerating_missing, azure, job)) for job in jobs]
        done, pending = wait([f for _, f in futures], return_when=FIRST_EXCEPTION)
        for f in pending:
            f.cancel()
        for f in done:
            if (exc := f.exception()) is not None:
                raise exc
        return [(job, f.result()) for job, f in futures]


def read_live(desired: DesiredScope, azure: Azure, max_workers: int = 8) -> LiveState:
    """The live state for `desired`, read with one LIST per resource group and kind."""
    resources: dict[ResourceId, Resource] = {}
    unsupported: dict[ResourceId, tuple[str, ...]] = {}
    missing_groups: set[ResourceId] = set()
    for job, found in _run(azure, _jobs(desired), max_workers):
        if found.missing and not job.of_vaults:
            missing_groups.add(found.group)
        resources.update((r.id, r) for r in found.resources if _wanted(r.id, job, desired))
        unsupported.update(found.unsupported)
    return LiveState(
        resources=MappingProxyType(resources),
        missing_vaults=frozenset(v for v in desired.vaults if v not in resources),
        missing_resource_groups=frozenset(missing_groups),
        unsupported_receivers=MappingProxyType(unsupported),
    )


def _wanted(resource_id: ResourceId, job: _Job, desired: DesiredScope) -> bool:
    """Every action group and rule; only the vaults the specs name (others are not managed)."""
    return not job.of_vaults or resource_id in desired.vaults
