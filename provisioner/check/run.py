"""`check` end to end: which subscriptions (specs, --subscription), read them, evaluate, report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from provisioner.check.durations import parse_duration
from provisioner.check.read import SubscriptionLists, read_snapshot
from provisioner.check.report import CheckReport, build_report
from provisioner.errors import AlertsyncError
from provisioner.ids import ResourceId, is_guid
from provisioner.spec import desired as desired_state
from provisioner.spec import files as spec_files

MAX_WINDOW: Final = timedelta(days=366)


def parse_at(text: str | None, now: datetime | None = None) -> datetime:
    """ISO 8601 (`2026-12-05T02:00`, with an offset or Z; without one it is UTC) or "now"."""
    if text is None or text.strip().lower() == "now":
        return (now or datetime.now(UTC)).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise AlertsyncError(
            f"--at {text!r} is not a time: give ISO 8601 such as 2026-12-05T02:00:00Z "
            "(no offset means UTC)"
        ) from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_window(text: str | None) -> timedelta | None:
    """`7d`, `36h`, `1w2d`, `90m`: a positive duration of at most 366 days."""
    if text is None:
        return None
    return parse_duration(text, "--window", MAX_WINDOW, "366 days")


@dataclass(frozen=True, slots=True)
class SpecScope:
    """What the specs tell `check`: the subscriptions they use and the vaults they name."""

    subscriptions: frozenset[str] = frozenset()
    vaults: frozenset[ResourceId] = frozenset()


def spec_scope(paths: Sequence[Path]) -> SpecScope:
    """The subscriptions the specs use (their resources, resource groups and vaults)."""
    wanted = desired_state.build(spec_files.load(paths), env=None)
    ids = [*wanted.resources, *wanted.resource_groups, *wanted.vaults]
    return SpecScope(frozenset(i.subscription.lower() for i in ids), wanted.vaults)


def chosen_subscriptions(given: Iterable[str], from_specs: Iterable[str]) -> list[str]:
    """Spec subscriptions plus --subscription ones; each must be a GUID."""
    extra = {s.strip().lower() for s in given}
    bad = sorted(s for s in extra if not is_guid(s))
    if bad:
        raise AlertsyncError(
            f"--subscription {bad[0]!r} is not a subscription ID (a GUID such as "
            "00000000-0000-0000-0000-000000000000)"
        )
    chosen = sorted({*from_specs, *extra})
    if not chosen:
        raise AlertsyncError(
            "no subscription to check: give spec PATHs, --subscription ID or set "
            "AZURE_SUBSCRIPTION_ID"
        )
    return chosen


def run_check(
    azure: SubscriptionLists,
    subscriptions: Sequence[str],
    at: datetime,
    window: timedelta | None,
    named_vaults: Iterable[ResourceId] = (),
) -> CheckReport:
    """Every vault of the subscriptions, evaluated at `at` (and over the window); a warning
    for each vault the specs name that Azure does not have (nothing to evaluate)."""
    snapshot = read_snapshot(azure, subscriptions)
    report = build_report(snapshot, at, window)
    found = {v.id for v in snapshot.estate.vaults}
    missing = [
        f"{v.describe()} is named by the specs but does not exist in Azure"
        for v in sorted(set(named_vaults) - found)
    ]
    return replace(report, warnings=(*report.warnings, *missing))
