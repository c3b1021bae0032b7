"""Desired against live → the changes that make Azure match the specs, and the problems that forbid it. Pure."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from provisioner.ids import ResourceId
from provisioner.model import (
    OWNER_TAG,
    ActionGroup,
    AlertProcessingRule,
    Resource,
    VaultAlertSettings,
    owner_of,
    resource_owner,
    tag_value,
)
from provisioner.sync.field_diff import FieldChange, field_changes, named_as_declared
from provisioner.sync.fields import resource_fields

Action = Literal["create", "update", "adopt", "delete"]


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
    """Declared receivers whose recipient unsubscribed: Azure sends them nothing until re-enabled.

    The status is read-only, so no apply can fix it; the plan says so instead of diffing it.
    """
    for rid in desired.resources:
        have = live.resources.get(rid)
        if not isinstance(have, ActionGroup):
            continue
        for kind, receivers in (
            ("emailReceivers", have.email_receivers),
            ("smsReceivers", have.sms_receivers),
        ):
            for receiver in receivers:
                if (receiver.status or "").lower() == "disabled":
                    yield (
                        f"{kind}[{receiver.name}] of {rid.describe()} is unsubscribed (status "
                        "Disabled) and gets no alerts; re-enable it with the subscribe API "
                        "(az monitor action-group enable-receiver), then check with "
                        "`alertsync test-notify`"
                    )


def _compare(
    rid: ResourceId, want: Resource, live: Live, source: str | None, takeover: Takeover
) -> Change | Problem | None:
    have = live.resources.get(rid)
    if isinstance(want, VaultAlertSettings):
        return _compare_vault(rid, want, have, live, source)
    if have is None:
        if rid.resource_group_id() in live.missing_resource_groups:
            return None  # reported once for the whole resource group
        return Change(
            "create", rid, want, None, tuple(field_changes({}, resource_fields(want))), source
        )
    assert isinstance(have, ActionGroup | AlertProcessingRule)
    assert isinstance(want, ActionGroup | AlertProcessingRule)
    change = _compare_owned(rid, want, have, source, takeover)
    unsupported = live.unsupported_receivers.get(rid, ())
    if isinstance(change, Change) and unsupported:
        return _unsupported(rid, unsupported, source)
    if isinstance(change, Change) and want.location.lower() != have.location.lower():
        return _moved(rid, have.location, want.location, source)
    return change


def _compare_vault(
    rid: ResourceId,
    want: VaultAlertSettings,
    have: Resource | None,
    live: Live,
    source: str | None,
) -> Change | Problem | None:
    if have is None or rid in live.missing_vaults:
        return Problem(
            rid, f"{rid.describe()} does not exist; alertsync never creates vaults", source
        )
    assert isinstance(have, VaultAlertSettings)
    # Only the settings the spec manages are compared; the others stay as Azure has them.
    managed_live = VaultAlertSettings(
        rid,
        have.job_failure_alerts if want.job_failure_alerts is not None else None,
        have.classic_alerts if want.classic_alerts is not None else None,
    )
    fields = tuple(field_changes(resource_fields(managed_live), resource_fields(want)))
    return Change("update", rid, want, have, fields, source) if fields else None


def _compare_owned(
    rid: ResourceId,
    want: ActionGroup | AlertProcessingRule,
    have: ActionGroup | AlertProcessingRule,
    source: str | None,
    takeover: Takeover,
) -> Change | Problem | None:
    owner = owner_of(have.tags)
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
    wanted_owner = tag_value(want.tags, OWNER_TAG) or ""
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


_NO_VAULT = "alertsync never creates vaults: fix the scope or create the vault first"
_NO_GROUP = "fix the ID, or declare or create the group first"


def _missing_references(desired: Desired, live: Live) -> list[Problem]:
    """Rules naming what does not exist: a vault as a scope (a vault also under `vaults:` is
    reported there), or an action group neither in Azure nor declared (Azure would refuse it)."""
    problems = []
    for rid, want in desired.resources.items():
        if not isinstance(want, AlertProcessingRule):
            continue
        missing = [
            *((s, "is scoped to", _NO_VAULT) for s in want.scopes if s in live.missing_vaults),
            *(
                (g, "adds", _NO_GROUP)
                for g in want.action_group_ids
                if g in live.missing_action_groups
            ),
        ]
        for target, verb, fix in missing:
            if target not in desired.resources:
                message = (
                    f"{rid.describe()} {verb} {target.describe()}, which does not exist; {fix}"
                )
                # The scope or group entry's own line: a rule may name a thousand of them.
                source = desired.reference_sources.get((rid, target), desired.sources.get(rid))
                problems.append(Problem(rid, message, source))
    return problems
