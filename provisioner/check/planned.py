"""Coverage a plan would leave broken: the check's evaluation on the planned state (desired over live)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from provisioner.check.coverage import Estate, Evaluator, Outcome
from provisioner.check.read import SubscriptionLists, read_routing
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.model import (
    ActionGroup,
    AlertProcessingRule,
    EmailReceiver,
    Resource,
    VaultAlertSettings,
)
from provisioner.sync.diff import Change
from provisioner.sync.pipeline import Planned
from provisioner.sync.plan import Plan


def planned_estate(live: Estate, changes: Iterable[Change]) -> Estate:
    """The estate once the changes are applied: creates and updates replace, deletes remove."""
    rules = {r.id: r for r in live.rules}
    groups = dict(live.action_groups)
    vaults = {v.id: v for v in live.vaults}
    for change in changes:
        _apply(change, rules, groups, vaults)
    return Estate(tuple(vaults.values()), tuple(rules.values()), groups, live.unread_subscriptions)


def _apply(
    change: Change,
    rules: dict[ResourceId, AlertProcessingRule],
    groups: dict[ResourceId, ActionGroup],
    vaults: dict[ResourceId, VaultAlertSettings],
) -> None:
    if change.action == "delete":
        rules.pop(change.id, None)
        groups.pop(change.id, None)
        return
    wanted: Resource | None = change.desired
    if isinstance(wanted, AlertProcessingRule):
        rules[wanted.id] = wanted
    elif isinstance(wanted, ActionGroup):
        groups[wanted.id] = _keep_receiver_status(wanted, groups.get(wanted.id))
    elif isinstance(wanted, VaultAlertSettings) and wanted.id in vaults:
        vaults[wanted.id] = _merge_vault(vaults[wanted.id], wanted)


def _keep_receiver_status(wanted: ActionGroup, live: ActionGroup | None) -> ActionGroup:
    """A receiver who unsubscribed stays unsubscribed when the group is rewritten with the same
    address (the status is Azure's, read-only)."""
    if live is None:
        return wanted
    status = {(r.name.lower(), r.address.lower()): r.status for r in live.email_receivers}
    receivers = tuple(
        EmailReceiver(
            r.name,
            r.address,
            r.use_common_alert_schema,
            status.get((r.name.lower(), r.address.lower()), r.status),
        )
        for r in wanted.email_receivers
    )
    return replace(wanted, email_receivers=receivers)


def _merge_vault(live: VaultAlertSettings, wanted: VaultAlertSettings) -> VaultAlertSettings:
    """Only the settings the specs manage (not None) change."""
    if wanted.job_failure_alerts is None:
        return live
    return replace(live, job_failure_alerts=wanted.job_failure_alerts)


def coverage_warnings(
    azure: SubscriptionLists, planned: Planned, at: datetime, max_workers: int = 8
) -> tuple[str, ...]:
    """One warning per vault the specs name that the planned state leaves uncovered at `at`,
    saying whether the plan uncovers it or it was uncovered already, and why.

    Costs two lists per subscription of those vaults (every rule, every action group: a rule
    anywhere in the subscription may route or suppress); the vaults' settings are the plan's.
    Advisory: when those lists fail (a credential that may read only the specs' resource
    groups), the plan still stands and says coverage was not checked.
    """
    vaults = _declared_vaults(planned)
    if not vaults:
        return ()
    subs = sorted({v.id.subscription.lower() for v in vaults})
    try:
        with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
            routing = read_routing(azure, subs, pool)
    except AzureError as error:
        return (f"coverage not checked: {error}",)
    live = Estate(vaults, routing.rules, routing.groups, routing.unread)
    after = planned_estate(live, planned.plan.changes)
    before_verdicts = _verdicts(live, at)
    warnings = [f"coverage: {w}" for w in routing.warnings]
    warnings += [
        _warning(vault, before_verdicts.get(vault), outcome)
        for vault, outcome in sorted(_verdicts(after, at).items())
        if not outcome.covered
    ]
    return tuple(warnings)


def plan_with_coverage(azure: SubscriptionLists, planned: Planned, at: datetime) -> Plan:
    """The plan with coverage warnings added (none for a plan its problems refuse anyway)."""
    if planned.plan.problems:
        return planned.plan
    found = coverage_warnings(azure, planned, at)
    return replace(planned.plan, warnings=(*planned.plan.warnings, *found))


def _declared_vaults(planned: Planned) -> tuple[VaultAlertSettings, ...]:
    """Live settings of the vaults the specs name (entries and scopes) that exist."""
    found = (planned.live.resources.get(v) for v in sorted(planned.desired.vaults))
    return tuple(v for v in found if isinstance(v, VaultAlertSettings))


def _verdicts(estate: Estate, at: datetime) -> Mapping[ResourceId, Outcome]:
    evaluator = Evaluator(estate)
    return {v.id: evaluator.at(v, at) for v in estate.vaults}


def _warning(vault: ResourceId, before: Outcome | None, after: Outcome) -> str:
    verb = "would stop reaching anyone" if before and before.covered else "still reaches nobody"
    reasons = "; ".join(f"{p.code}: {p.message}" for p in after.problems)
    return f"coverage: a failed backup on {vault.describe()} {verb} after this plan ({reasons})"
