"""Read live state with LIST calls: one per resource group (or subscription) and kind, run concurrently."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, Protocol

from provisioner import kinds
from provisioner.errors import AzureError, ResourceGroupNotFound
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import Listed, Resource, VaultAlertSettings, VaultSelector
from provisioner.sync.footprint import Footprint, start_search
from provisioner.sync.footprint import warnings as footprint_warnings
from provisioner.sync.plan import RuleUsers

log = logging.getLogger(__name__)


class Reader(Protocol):
    """The reads plan needs (provisioner.azure.client.Azure; tests use an in-memory fake).

    A list of a resource group that does not exist raises ResourceGroupNotFound; any other
    failure an AzureError with the HTTP `status` Azure answered (403: access denied).
    """

    def list_resources(self, kind: Kind, scope: ResourceId) -> list[Listed]: ...

    def list_tagged(self, scope: ResourceId, name: str, value: str) -> list[ResourceId]: ...


class DesiredScope(Protocol):
    """What read_live needs of a DesiredState: where to look."""

    @property
    def resource_groups(self) -> frozenset[ResourceId]: ...  # homes of action groups and rules

    @property
    def vaults(self) -> frozenset[ResourceId]: ...  # vaults whose alert settings are managed

    @property
    def referenced_groups(self) -> frozenset[ResourceId]: ...  # action groups rules add

    @property
    def selectors(self) -> frozenset[VaultSelector]: ...  # vaults found by resource group or tags

    @property
    def owners(self) -> frozenset[str]: ...  # whose footprint to find

    @property
    def subscriptions(self) -> frozenset[str]: ...  # every subscription the specs use


@dataclass(frozen=True)
class LiveState:
    """Everything alertsync may compare against, read from Azure at one moment."""

    # Every action group and rule in the desired resource groups (managed or not, any owner),
    # plus the VaultAlertSettings (with tags) of every vault listed: each vault the specs name
    # that exists, and every vault in the resource groups and subscriptions selectors look in.
    resources: Mapping[ResourceId, Resource]
    missing_vaults: frozenset[ResourceId] = frozenset()  # named by the specs, not in Azure
    missing_resource_groups: frozenset[ResourceId] = frozenset()  # home groups not in Azure
    # Action groups rules add that are not in Azure (those the specs declare are created first).
    missing_action_groups: frozenset[ResourceId] = frozenset()
    # Action groups with receivers the model cannot carry (voice, ITSM, logic app, …), e.g.
    # {id: ("voiceReceivers[ops]",)}: a PUT from the model would delete them, so a plan must
    # refuse to update these groups. Groups without such receivers are absent.
    unsupported_receivers: Mapping[ResourceId, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    # What could not be checked, and why (a resource group of referenced groups not readable).
    warnings: tuple[str, ...] = ()
    # The owners' footprint these lists were chosen by (read first, or read_again's earlier).
    footprint: Footprint = field(default_factory=Footprint)
    # What each list call found, for read_again to reuse the lists nothing was written in.
    listed: Mapping[_Job, _Found] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    @property
    def vaults(self) -> tuple[VaultAlertSettings, ...]:
        """Every vault listed, in ID order: what vault selectors choose from."""
        return tuple(
            r for _, r in sorted(self.resources.items()) if isinstance(r, VaultAlertSettings)
        )


@dataclass(frozen=True, slots=True)
class _Found:
    """What one list call found (or that its resource group is missing)."""

    group: ResourceId
    resources: tuple[Resource, ...] = ()
    unsupported: tuple[tuple[ResourceId, tuple[str, ...]], ...] = ()
    missing: bool = False
    unreadable: str | None = None  # why a list only meant to check references could not be read


# Why a resource group is listed. A home holds declared groups and rules: everything in it is
# compared (orphans too), and a missing home is a problem of its own. The others are read only
# to see whether what the specs name exists: vaults of scopes, action groups of other resource
# groups that rules add by full ID; a missing one of those means missing vaults or groups.
# A footprint list reads a resource group where the owners' tag marks groups or rules that no
# home holds: what it finds is compared, kept or pruned as a home's is, but one the credential
# may not read is a warning naming it (the rest of the plan stands).
Role = Literal["home", "vaults", "references", "footprint"]


@dataclass(frozen=True, slots=True)
class _Job:
    """One list call: the resources of `kind` in `group`."""

    kind: Kind
    group: ResourceId
    role: Role = "home"

    def read(self, azure: Reader) -> _Found:
        found = azure.list_resources(self.kind, self.group)
        return _Found(
            self.group,
            tuple(r for r, _ in found),
            tuple((r.id, extra) for r, extra in found if extra),
        )


def _tolerating_missing(azure: Reader, job: _Job) -> _Found:
    try:
        return job.read(azure)
    except ResourceGroupNotFound:
        log.info("%s does not exist", job.group.describe())
        return _Found(job.group, missing=True)
    except AzureError as error:
        # Groups managed elsewhere are only checked to exist: a resource group the credential
        # may not read (Reader on the homes only) must not fail the whole plan. Any other
        # failure (5xx, network, throttling) is an error: the check must not be skipped.
        if job.role not in ("references", "footprint") or not _access_denied(error):
            raise
        return _Found(job.group, unreadable=str(error))


def _access_denied(error: AzureError) -> bool:
    return error.status == 403


def _jobs(desired: DesiredScope) -> list[_Job]:
    """One list per (resource group, kind): the request count grows with groups, not resources."""
    homes = sorted(desired.resource_groups)
    elsewhere = {g.resource_group_id() for g in desired.referenced_groups} - set(homes)
    return [
        *(_Job(kind, g) for kind in kinds.KINDS if kind.owned for g in homes),
        *_vault_jobs(desired),
        *(_Job(kinds.ACTION_GROUP, g, "references") for g in sorted(elsewhere)),
    ]


def _vault_jobs(desired: DesiredScope) -> list[_Job]:
    """Vaults of the resource groups that vaults are named or selected in; a selector by tags
    alone reads its whole subscription once, and that list serves every other vault there."""
    whole = {ResourceId(s.subscription) for s in desired.selectors if s.resource_group is None}
    groups = {v.resource_group_id() for v in desired.vaults} | {
        ResourceId(s.subscription, s.resource_group)
        for s in desired.selectors
        if s.resource_group is not None
    }
    return [
        *(_Job(kinds.VAULT, sub, "vaults") for sub in sorted(whole)),
        *(
            _Job(kinds.VAULT, g, "vaults")
            for g in sorted(groups)
            if ResourceId(g.subscription) not in whole
        ),
    ]


def _submit(
    pool: ThreadPoolExecutor, azure: Reader, jobs: Iterable[_Job]
) -> dict[_Job, Future[_Found]]:
    """Start the lists on the pool."""
    return {job: pool.submit(_tolerating_missing, azure, job) for job in jobs}


def _settle(futures: Iterable[Future[Any]], until: Iterable[Future[Any]] | None = None) -> None:
    """Wait until every future (or every one of `until`) is done; the first failure cancels
    those not started yet and is raised."""
    pending: set[Future[Any]] = set(futures)
    awaited = pending if until is None else set(until)
    first = FIRST_EXCEPTION if until is None else FIRST_COMPLETED
    while True:
        done, pending = wait(pending, return_when=first)
        for f in done:
            if (exc := f.exception()) is not None:
                for p in pending:
                    p.cancel()
                raise exc
        if not pending or all(f.done() for f in awaited):
            return


def _footprint_jobs(found: Footprint, jobs: list[_Job]) -> list[_Job]:
    """Lists of the resource groups where the footprint shows owned groups or rules that no
    other list reads (a home, or the last rule removed from a resource group's specs)."""
    listed = {(job.kind, job.group) for job in jobs if job.role == "home"}
    return [_Job(kind, group, "footprint") for kind, group in sorted(found.lists() - listed)]


def read_live(
    desired: DesiredScope,
    azure: Reader,
    max_workers: int = 8,
    subscriptions: Iterable[str] = (),
) -> LiveState:
    """The live state for `desired`: one LIST per resource group and kind, while the owners'
    footprint is found in every subscription the specs use (and `subscriptions`), then the
    lists of the resource groups it adds; all on one bounded pool."""
    search_in = desired.subscriptions | {s.lower() for s in subscriptions}
    return _read(desired, azure, {}, max_workers, search_in=search_in)


def read_again(
    earlier: LiveState,
    desired: DesiredScope,
    azure: Reader,
    changed: Iterable[ResourceId],
    max_workers: int = 8,
) -> LiveState:
    """`earlier` as it is now where `changed` were written: the lists that hold one of them
    (deletes too) are read again; every other list's earlier result is reused, and a list
    `earlier` lacks is read. The footprint is `earlier`'s: it is not read again."""
    # A list holds resources of its kind in its resource group, or in its whole subscription.
    touched = {
        (kind, scope)
        for rid in changed
        if (kind := kinds.by_arm_type(rid.resource_type)) is not None
        for scope in (rid.resource_group_id(), ResourceId(rid.subscription))
    }
    kept = {
        job: found for job, found in earlier.listed.items() if (job.kind, job.group) not in touched
    }
    return _read(desired, azure, kept, max_workers, earlier=earlier.footprint)


def _read(
    desired: DesiredScope,
    azure: Reader,
    kept: Mapping[_Job, _Found],
    max_workers: int,
    *,
    earlier: Footprint | None = None,
    search_in: Iterable[str] = (),
) -> LiveState:
    """The lists `desired` and the footprint call for, each from `kept` or read now.

    The footprint (`earlier`, or found now in the `search_in` subscriptions) is needed only by
    the lists it calls for: the others are read while it is found, on the same bounded pool.
    """
    jobs = _jobs(desired)
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="live") as pool:
        search = start_search(azure, pool, search_in, desired.owners)  # first: starts at once
        reading = _submit(pool, azure, (job for job in jobs if job not in kept))
        _settle([*search.lists, *reading.values()], until=search.lists)
        found_owned = search.result() if earlier is None else earlier
        more = _footprint_jobs(found_owned, jobs)
        reading |= _submit(pool, azure, (job for job in more if job not in kept))
        _settle(reading.values())
    jobs += more
    listed = {job: kept[job] if job in kept else reading[job].result() for job in jobs}
    resources: dict[ResourceId, Resource] = {}
    unsupported: dict[ResourceId, tuple[str, ...]] = {}
    missing_groups: set[ResourceId] = set()
    seen: set[ResourceId] = set()  # every resource listed, whatever the list's role
    unchecked: dict[ResourceId, str] = {}  # resource group -> why it could not be read
    unread: dict[ResourceId, str] = {}  # the same, of footprint lists
    for job, found in listed.items():
        if found.missing and job.role == "home":
            missing_groups.add(found.group)
        if found.unreadable is not None:
            (unread if job.role == "footprint" else unchecked)[found.group] = found.unreadable
        seen.update(r.id for r in found.resources)
        resources.update((r.id, r) for r in found.resources if _compared(job))
        unsupported.update(found.unsupported)
    return LiveState(
        resources=MappingProxyType(resources),
        missing_vaults=frozenset(v for v in desired.vaults if v not in seen),
        missing_resource_groups=frozenset(missing_groups),
        missing_action_groups=frozenset(
            g
            for g in desired.referenced_groups
            if g not in seen and g.resource_group_id() not in unchecked
        ),
        unsupported_receivers=MappingProxyType(unsupported),
        warnings=(
            *(
                f"cannot check that the action groups rules add in {group.describe()} exist: {why}"
                for group, why in sorted(unchecked.items())
            ),
            *footprint_warnings(found_owned, unread),
        ),
        footprint=found_owned,
        listed=MappingProxyType(listed),
    )


def _compared(job: _Job) -> bool:
    """All of a home, of a footprint list and of a vault list (selectors choose among the
    vaults; vault settings are never pruned); nothing of reference lists (what another owner keeps elsewhere is only
    checked to exist, never compared or pruned)."""
    return job.role in ("home", "vaults", "footprint")


def read_rule_users(azure: Reader, subscriptions: Iterable[str], max_workers: int = 8) -> RuleUsers:
    """Every alert processing rule of each subscription (one paged list each), for the safety
    rule on deleting action groups: any rule may use a group, whoever manages it."""
    subs = sorted({s.lower() for s in subscriptions})
    rules: dict[ResourceId, Resource] = {}
    unreadable: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="users") as pool:
        results = list(pool.map(lambda s: _subscription_rules(azure, s), subs))
    for sub, found in zip(subs, results, strict=True):
        if isinstance(found, str):
            unreadable[sub] = found
        else:
            rules.update((r.id, r) for r in found)
    return RuleUsers(MappingProxyType(rules), MappingProxyType(unreadable))


def _subscription_rules(azure: Reader, subscription: str) -> list[Resource] | str:
    """The rules, or why the credential may not read them (403); other failures raise."""
    try:
        found = azure.list_resources(kinds.PROCESSING_RULE, ResourceId(subscription))
    except AzureError as error:
        if not _access_denied(error):
            raise
        return str(error)
    return [r for r, _ in found]
