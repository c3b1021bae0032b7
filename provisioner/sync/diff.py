"""Desired against live → the changes that make Azure match the specs, and the problems that forbid it. Pure."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol, cast

from provisioner.ids import ResourceId
from provisioner.model import (
    OWNER_TAG,
    OwnedModel,
    Resource,
    owner_of,
    resource_owner,
    tag_value,
)
from provisioner.sync import kinds
from provisioner.sync.changes import Action, Change, Problem
from provisioner.sync.field_diff import field_changes, named_as_declared
from provisioner.sync.kinds import resource_fields

__all__ = ["Action", "Change", "Desired", "Diff", "Live", "Problem", "Takeover", "compute"]


class Desired(Protocol):
    """What the diff needs of the desired state (provisioner.spec.desired.DesiredState)."""

    @property
    def resources(self) -> Mapping[ResourceId, Resource]: ...
    @property
    def sources(self) -> Mapping[ResourceId, str]: ...
    @property
    def owners(self) -> frozenset[str]: ...
    @property
    def reference_sources(self) -> Mapping[tuple[ResourceId, ResourceId], str]: ...


class Live(Protocol):
    """What the diff needs of the live state (provisioner.sync.live.LiveState)."""

    @property
    def resources(self) -> Mapping[ResourceId, Resource]: ...
    @property
    def missing_vaults(self) -> frozenset[ResourceId]: ...
    @property
    def missing_resource_groups(self) -> frozenset[ResourceId]: ...
    @property
    def missing_action_groups(self) -> frozenset[ResourceId]: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def unsupported_receivers(self) -> Mapping[ResourceId, tuple[str, ...]]: ...


@dataclass(frozen=True, slots=True)
class Diff:
    changes: tuple[Change, ...]
    problems: tuple[Problem, ...]
    # Owned by these specs, no longer declared: kept without --prune.
    orphans: tuple[ResourceId, ...]
    # Worth knowing, changes nothing (e.g. unsubscribed receivers).
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Takeover:
    """What the plan may take over: unmanaged resources (--adopt), an old owner's (--adopt-from)."""

    unmanaged: bool = False
    from_owner: str | None = None


def compute(
    desired: Desired,
    live: Live,
    *,
    prune: bool = False,
    adopt: bool = False,
    adopt_from: str | None = None,
) -> Diff:
    """Compare every declared resource with its live twin, and find owned leftovers.

    `adopt_from` hands an owner's resources over to these specs (an owner renamed): those
    declared are adopted (re-tagged), those not declared are orphans like this owner's own.
    """
    changes: list[Change] = []
    problems: list[Problem] = []
    takeover = Takeover(adopt, adopt_from)
    for rid, want in desired.resources.items():
        outcome = _compare(rid, want, live, desired.sources.get(rid), takeover)
        if isinstance(outcome, Problem):
            problems.append(outcome)
        elif outcome is not None:
            changes.append(outcome)
    orphans = tuple(sorted(_orphans(desired, live, adopt_from)))
    if prune:
        changes += [_delete(rid, live.resources[rid]) for rid in orphans]
    problems += _missing_resource_groups(desired, live)
    problems += _missing_references(desired, live)
    warnings = (*_unsubscribed(desired, live), *live.warnings)
    return Diff(tuple(changes), tuple(problems), () if prune else orphans, warnings)


def _unsubscribed(desired: Desired, live: Live) -> Iterator[str]:
    """What each kind notes of the live twins of declared resources (unsubscribed receivers)."""
    for rid in desired.resources:
        have = live.resources.get(rid)
        if have is not None:
            yield from kinds.of(have).notes(rid, have)


def _compare(
    rid: ResourceId, want: Resource, live: Live, source: str | None, takeover: Takeover
) -> Change | Problem | None:
    have = live.resources.get(rid)
    if not want.KIND.owned:
        return _compare_tuned(rid, want, have, live, source)
    if have is None:
        if rid.resource_group_id() in live.missing_resource_groups:
            return None  # reported once for the whole resource group
        return Change(
            "create", rid, want, None, tuple(field_changes({}, resource_fields(want))), source
        )
    change = _compare_owned(rid, want, have, source, takeover)
    unsupported = live.unsupported_receivers.get(rid, ())
    if isinstance(change, Change) and unsupported:
        return _unsupported(rid, unsupported, source)
    owned_want, owned_have = cast(OwnedModel, want), cast(OwnedModel, have)
    if isinstance(change, Change) and owned_want.location.lower() != owned_have.location.lower():
        return _moved(rid, owned_have.location, owned_want.location, source)
    return change


def _compare_tuned(
    rid: ResourceId,
    want: Resource,
    have: Resource | None,
    live: Live,
    source: str | None,
) -> Change | Problem | None:
    """A kind alertsync never creates nor deletes, only tunes some settings of (vaults)."""
    if have is None or rid in live.missing_vaults:
        return Problem(
            rid,
            f"{rid.describe()} does not exist; alertsync never creates {want.KIND.plural}",
            source,
        )
    # Only the settings the spec manages are compared; the others stay as Azure has them.
    want_fields = resource_fields(want)
    managed_live = {k: v for k, v in resource_fields(have).items() if k in want_fields}
    fields = tuple(field_changes(managed_live, want_fields))
    return Change("update", rid, want, have, fields, source) if fields else None


def _compare_owned(
    rid: ResourceId,
    want: Resource,
    have: Resource,
    source: str | None,
    takeover: Takeover,
) -> Change | Problem | None:
    owner = owner_of(have.tags)
    wanted_owner = tag_value(want.tags, OWNER_TAG) or ""
    if owner is not None and owner == wanted_owner and have == want:
        # Equal models have equal field trees (both compare IDs ignoring case): nothing to
        # write, known without building the trees (a read-back compares thousands of these).
        return None
    want_fields = resource_fields(want)
    fields = tuple(
        field_changes(named_as_declared(resource_fields(have), want_fields), want_fields)
    )
    if owner is None:
        if takeover.unmanaged:
            return Change("adopt", rid, want, have, fields, source)
        return Problem(
            rid,
            f"{rid.describe()} already exists and is not managed by alertsync; "
            "run with --adopt to take it over (the plan then shows it as an adopt)",
            source,
            "ownership",
        )
    if owner == takeover.from_owner and owner != wanted_owner:
        return Change("adopt", rid, want, have, fields, source)
    if owner != wanted_owner:
        return _foreign(rid, owner, wanted_owner, source)
    return Change("update", rid, want, have, fields, source) if fields else None


def _foreign(rid: ResourceId, owner: str, wanted_owner: str, source: str | None) -> Problem:
    """Another owner's resource. Owners compare exactly, as Azure compares tag values
    (docs/azure-behaviour.md#resources--list-tags-and-provider-metadata): `Backup-Alerts` is not `backup-alerts`."""
    hint = (
        f"; owners are exact and differ here only in case: if the owner was renamed, hand its "
        f"resources over with --adopt-from {owner}"
        if owner.casefold() == wanted_owner.casefold()
        else ""
    )
    return Problem(
        rid,
        f'{rid.describe()} is managed by owner "{owner}", not "{wanted_owner}"; '
        f"alertsync never changes another owner's resources{hint}",
        source,
        "ownership",
    )


def _unsupported(rid: ResourceId, receivers: tuple[str, ...], source: str | None) -> Problem:
    # A PUT replaces the whole group: writing it from the model would silently drop these.
    return Problem(
        rid,
        f"{rid.describe()} has receivers alertsync cannot manage yet ({', '.join(receivers)}); "
        "a change would delete them: remove them in Azure first, or stop declaring this group",
        source,
        "unsupported",
    )


def _moved(rid: ResourceId, live_location: str, location: str, source: str | None) -> Problem:
    # ARM cannot move a resource: a PUT with another location fails (409 InvalidResourceLocation)
    # on every apply, so planning it as an update would never converge
    # (docs/azure-behaviour.md#arm-immutable-location).
    return Problem(
        rid,
        f"{rid.describe()} is in location {live_location!r} and Azure cannot move it to "
        f"{location!r}: declare location {live_location!r}, or delete it (remove it from the "
        "specs and apply with --prune) and declare it again",
        source,
        "immutable",
    )


def _orphans(desired: Desired, live: Live, adopt_from: str | None) -> Iterator[ResourceId]:
    """Live resources this set of specs owns (by tag, exactly) that no spec declares any more;
    with --adopt-from, the old owner's too (they are handed over as a whole)."""
    owners = {*desired.owners, *([adopt_from] if adopt_from else [])}
    for rid, have in live.resources.items():
        if rid in desired.resources:
            continue
        owner = resource_owner(have)
        if owner is not None and owner in owners:
            yield rid


def _delete(rid: ResourceId, have: Resource) -> Change:
    return Change("delete", rid, None, have, tuple(field_changes(resource_fields(have), {})))


def _missing_resource_groups(desired: Desired, live: Live) -> list[Problem]:
    problems = []
    for group in sorted(live.missing_resource_groups):
        users = [rid for rid in desired.resources if rid.resource_group_id() == group]
        source = desired.sources.get(users[0]) if users else None
        problems.append(
            Problem(
                group,
                f"{group.describe()} does not exist; create it first "
                "(alertsync does not create resource groups)",
                source,
            )
        )
    return problems


def _missing_references(desired: Desired, live: Live) -> list[Problem]:
    """Resources naming what does not exist: a rule's vault scope (a vault also under `vaults:`
    is reported there), or an action group neither in Azure nor declared (Azure would refuse it)."""
    missing = live.missing_vaults | live.missing_action_groups
    problems = []
    for rid, want in desired.resources.items():
        for ref in kinds.of(want).references(want):
            if ref.target in missing and ref.target not in desired.resources:
                message = (
                    f"{rid.describe()} {ref.verb} {ref.target.describe()}, which does not exist; "
                    f"{ref.fix}"
                )
                # The scope or group entry's own line: a rule may name a thousand of them.
                source = desired.reference_sources.get((rid, ref.target), desired.sources.get(rid))
                problems.append(Problem(rid, message, source))
    return problems
