"""Is a vault covered: does its backup job-failure alert reach an email, now and over a window.

Pure, over the canonical model: the vault's setting, every alert processing rule of its
subscription and the action groups they add. Suppression wins over adding action groups; a
MAYBE (an unconfirmed reading) counts against coverage either way: a possibly matching
suppression rule suppresses, a possibly matching add rule routes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Final

from provisioner.check import schedule as schedules
from provisioner.check.routing import (
    BackupFailureAlert,
    ConditionsVerdict,
    conditions_verdict,
    describe_condition,
)
from provisioner.check.verdict import Verdict
from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, AlertProcessingRule, VaultAlertSettings

# Problem codes, most decisive first: the first one of an uncovered instant names its gap.
JOB_ALERTS_DISABLED: Final = "job-failure-alerts-disabled"
SUPPRESSED: Final = "suppressed"
NO_RULE: Final = "no-rule"
ACTION_GROUP_MISSING: Final = "action-group-missing"
ACTION_GROUP_DISABLED: Final = "action-group-disabled"
NO_EMAIL: Final = "no-email"
RULE_DISABLED: Final = "rule-disabled"
CONDITION_EXCLUDES: Final = "condition-excludes"
CONDITION_UNCERTAIN: Final = "condition-uncertain"
SCHEDULE_INACTIVE: Final = "schedule-inactive"
SCHEDULE_UNCERTAIN: Final = "schedule-uncertain"
PROBLEM_CODES: Final = (
    JOB_ALERTS_DISABLED,
    SUPPRESSED,
    NO_RULE,
    ACTION_GROUP_MISSING,
    ACTION_GROUP_DISABLED,
    NO_EMAIL,
    RULE_DISABLED,
    CONDITION_EXCLUDES,
    CONDITION_UNCERTAIN,
    SCHEDULE_INACTIVE,
    SCHEDULE_UNCERTAIN,
)
# Receiver status Azure sets when the recipient unsubscribed (api 2023-01-01 ReceiverStatus).
_UNSUBSCRIBED: Final = "disabled"


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a vault is (or might be) not covered, and what to change; `unconfirmed`: the finding
    rests on a reading of Azure's behaviour that no public source confirms."""

    code: str
    message: str
    unconfirmed: bool = False


@dataclass(frozen=True, slots=True, order=True)
class Route:
    """An action group a rule adds to the vault's job-failure alerts."""

    rule: ResourceId
    action_group: ResourceId


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict at one instant."""

    covered: bool
    emails: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Gap:
    """An interval [start, until) in which the vault is not covered, and the first reason."""

    start: datetime
    until: datetime
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Estate:
    """What is evaluated: vaults, the rules of their subscriptions, the action groups rules add."""

    vaults: tuple[VaultAlertSettings, ...]
    rules: tuple[AlertProcessingRule, ...]
    action_groups: Mapping[ResourceId, ActionGroup] = field(default_factory=dict)
    # Subscriptions whose action groups could not be listed: their groups are unknown, not gone.
    unread_subscriptions: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Fit:
    """A rule whose scope contains the vault, with its conditions' verdict for the alert."""

    rule: AlertProcessingRule
    conditions: ConditionsVerdict

    @property
    def name(self) -> str:
        return self.rule.id.describe()


@dataclass(frozen=True, slots=True)
class _Delivery:
    routes: tuple[Route, ...]
    emails: frozenset[str]
    problems: tuple[Problem, ...]


class Evaluator:
    """Coverage of the estate's vaults; caches each rule's schedule verdicts across vaults."""

    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        # Rules by scope key: a vault's rules are those under its ID's prefixes, so the cost
        # per vault does not grow with the number of rules scoped elsewhere.
        self._by_scope: dict[tuple[str, ...], list[tuple[int, AlertProcessingRule]]] = {}
        for position, rule in enumerate(estate.rules):
            for key in {scope.key for scope in rule.scopes}:
                self._by_scope.setdefault(key, []).append((position, rule))
        # Keyed by id(rule): the estate holds its rules for the evaluator's life, and hashing
        # a ResourceId (case-folded segments) per lookup would dominate large estates.
        self._schedule_cache: dict[tuple[int, datetime], Verdict] = {}
        self._points_cache: dict[tuple[int, datetime, datetime], list[datetime]] = {}
        self._delivery_cache: dict[int, _Delivery] = {}

    def fits(self, vault: ResourceId) -> list[_Fit]:
        """The rules whose scope contains the vault (whole segments, ignoring case), in order;
        only rules of the vault's own subscription (Azure allows no other scopes)."""
        key = vault.key
        found = {
            position: rule
            for size in range(2, len(key) + 1)
            for position, rule in self._by_scope.get(key[:size], ())
            if rule.id.subscription.lower() == vault.subscription.lower()
        }
        alert = BackupFailureAlert(vault)
        return [_Fit(rule, conditions_verdict(rule, alert)) for _, rule in sorted(found.items())]

    def at(
        self, vault: VaultAlertSettings, at: datetime, fits: list[_Fit] | None = None
    ) -> Outcome:
        """Whether a job failure on the vault at `at` reaches an enabled email receiver."""
        fits = self.fits(vault.id) if fits is None else fits
        suppressions = list(self._suppressions(fits, at))
        routes, emails, route_problems = self._deliveries(fits, at)
        sent = vault.job_failure_alerts is not False and not suppressions
        covered = sent and bool(emails)
        problems: list[Problem] = []
        if vault.job_failure_alerts is False:
            problems.append(_job_alerts_disabled())
        problems += suppressions
        if not covered and not routes:
            problems.append(_no_rule())
        problems += route_problems
        if not covered:
            problems += self._near_misses(fits, at)
        # `emails` are the addresses that would get mail: none while a suppression or the vault's
        # own setting stops the alert, whatever groups the add rules reach.
        mailed = tuple(sorted(emails)) if sent else ()
        return Outcome(covered, mailed, tuple(sorted(routes)), tuple(problems))

    def assess(
        self, vault: VaultAlertSettings, at: datetime, until: datetime | None
    ) -> tuple[Outcome, tuple[Gap, ...]]:
        """The verdict at `at` and, given `until`, the gaps in [at, until)."""
        fits = self.fits(vault.id)
        gaps = self.gaps(vault, at, until, fits) if until is not None else ()
        return self.at(vault, at, fits), gaps

    def gaps(
        self,
        vault: VaultAlertSettings,
        start: datetime,
        until: datetime,
        fits: list[_Fit] | None = None,
    ) -> tuple[Gap, ...]:
        """Every interval in [start, until) in which the vault is not covered (exact bounds:
        the verdict is evaluated once between consecutive schedule change points)."""
        fits = self.fits(vault.id) if fits is None else fits
        points = sorted({p for f in fits for p in self._change_points(f.rule, start, until)})
        bounds = [start, *points, until]
        found: list[Gap] = []
        for low, high in pairwise(bounds):
            outcome = self.at(vault, low, fits)
            if outcome.covered:
                continue
            first = outcome.problems[0]
            last = found[-1] if found else None
            if last and (last.until, last.code, last.message) == (low, first.code, first.message):
                found[-1] = Gap(last.start, high, first.code, first.message)
            else:
                found.append(Gap(low, high, first.code, first.message))
        return tuple(found)

    # --- parts of a verdict ---

    def _schedule(self, rule: AlertProcessingRule, at: datetime) -> Verdict:
        key = (id(rule), at)
        verdict = self._schedule_cache.get(key)
        if verdict is None:
            verdict = schedules.verdict_at(rule.schedule, at)
            self._schedule_cache[key] = verdict
        return verdict

    def _change_points(
        self, rule: AlertProcessingRule, start: datetime, until: datetime
    ) -> list[datetime]:
        key = (id(rule), start, until)
        points = self._points_cache.get(key)
        if points is None:
            points = schedules.change_points(rule.schedule, start, until)
            self._points_cache[key] = points
        return points

    def _suppressions(self, fits: Iterable[_Fit], at: datetime) -> Iterator[Problem]:
        """Enabled suppression rules that (possibly) apply at `at`: suppression wins."""
        for fit in fits:
            rule = fit.rule
            if not rule.enabled or rule.action_type != "RemoveAllActionGroups":
                continue
            active = self._schedule(rule, at)
            if fit.conditions.verdict.possible and active.possible:
                yield _suppressed(fit, active)

    def _deliveries(
        self, fits: Iterable[_Fit], at: datetime
    ) -> tuple[list[Route], set[str], list[Problem]]:
        """Routes of the rules that certainly apply, the addresses they reach, broken routes."""
        routes: list[Route] = []
        emails: set[str] = set()
        problems: list[Problem] = []
        for fit in fits:
            if not _adds(fit.rule) or fit.conditions.verdict is not Verdict.YES:
                continue
            if self._schedule(fit.rule, at) is not Verdict.YES:
                continue
            delivery = self._delivery(fit)
            routes += delivery.routes
            emails.update(delivery.emails)
            problems += delivery.problems
        return routes, emails, problems

    def _delivery(self, fit: _Fit) -> _Delivery:
        """Where the rule's action groups send mail: the same for every vault and instant."""
        found = self._delivery_cache.get(id(fit.rule))
        if found is None:
            routes, emails, problems = [], set[str](), []
            for group_id in fit.rule.action_group_ids:
                routes.append(Route(fit.rule.id, group_id))
                reached, problem = _deliver(fit, group_id, self.estate)
                emails.update(reached)
                problems += [problem] if problem else []
            found = _Delivery(tuple(routes), frozenset(emails), tuple(problems))
            self._delivery_cache[id(fit.rule)] = found
        return found

    def _near_misses(self, fits: Iterable[_Fit], at: datetime) -> Iterator[Problem]:
        """Add rules in scope that do not (certainly) route the alert, and why."""
        for fit in fits:
            rule, verdict = fit.rule, fit.conditions.verdict
            if rule.action_type != "AddActionGroups" or not rule.action_group_ids:
                continue
            if not rule.enabled:
                if verdict.possible:
                    yield _rule_disabled(fit)
                continue
            if verdict is not Verdict.YES:
                yield _condition_problem(fit)
                continue
            active = self._schedule(rule, at)
            if active is not Verdict.YES:
                yield _schedule_problem(fit, active)


def _adds(rule: AlertProcessingRule) -> bool:
    return rule.enabled and rule.action_type == "AddActionGroups"


def _deliver(fit: _Fit, group_id: ResourceId, estate: Estate) -> tuple[list[str], Problem | None]:
    """The addresses an action group mails, or why it mails nobody."""
    group = estate.action_groups.get(group_id)
    by = f"added by {fit.name}"
    if group is None and group_id.subscription.lower() in estate.unread_subscriptions:
        return [], Problem(
            ACTION_GROUP_MISSING,
            f"{group_id.describe()} ({by}) could not be read (no access to its subscription), "
            "so it is not counted: check that it exists, is enabled and mails someone, or "
            "grant Reader there",
            unconfirmed=True,
        )
    if group is None:
        return [], Problem(
            ACTION_GROUP_MISSING,
            f"{group_id.describe()} ({by}) does not exist: create it, or change the rule "
            "to add an existing group",
        )
    if not group.enabled:
        return [], Problem(
            ACTION_GROUP_DISABLED,
            f"{group_id.describe()} ({by}) is disabled: enable it (enabled: true)",
        )
    reached = [
        r.address for r in group.email_receivers if (r.status or "").lower() != _UNSUBSCRIBED
    ]
    if reached:
        return reached, None
    return [], Problem(NO_EMAIL, _no_email_text(group, by))


def _no_email_text(group: ActionGroup, by: str) -> str:
    if group.email_receivers:
        names = ", ".join(f"{r.name} ({r.address})" for r in group.email_receivers)
        return (
            f"{group.id.describe()} ({by}): every email receiver has unsubscribed ({names}); "
            "re-subscribe them (Azure's unsubscribe mail) or add another receiver"
        )
    return f"{group.id.describe()} ({by}) has no email receiver: add one (emailReceivers)"


def _job_alerts_disabled() -> Problem:
    return Problem(
        JOB_ALERTS_DISABLED,
        "built-in job-failure alerts are turned off on the vault "
        "(alertsForAllJobFailures: Disabled), so a failed backup raises no alert at all: set "
        "jobFailureAlerts: true in the vault's spec and apply",
    )


def _no_rule() -> Problem:
    return Problem(
        NO_RULE,
        "no enabled alert processing rule adds an action group to this vault's job-failure "
        "alerts: add one whose scope holds the vault (the vault, its resource group or the "
        "subscription), e.g. with condition targetResourceType: [microsoft.recoveryservices/vaults]",
    )


def _suppressed(fit: _Fit, active: Verdict) -> Problem:
    doubts = _doubts(fit.conditions, active, fit.rule)
    might = "may suppress" if doubts else "suppresses"
    return Problem(
        SUPPRESSED,
        f"{fit.name} {might} every action group of this vault's job-failure alerts "
        "(RemoveAllActionGroups wins over rules that add groups, and nothing is sent later)"
        f"{_because(doubts)}: narrow its scope or schedule, add the condition "
        'monitorService notEquals "Azure Backup" so backup failures still reach someone, '
        "or disable it",
        unconfirmed=bool(doubts),
    )


def _rule_disabled(fit: _Fit) -> Problem:
    return Problem(
        RULE_DISABLED,
        f"{fit.name} would add action groups to this vault's job-failure alerts but is "
        "disabled: enable it (enabled: true)",
    )


def _condition_problem(fit: _Fit) -> Problem:
    deciding = fit.conditions.deciding
    text = describe_condition(deciding) if deciding else "its conditions"
    if fit.conditions.verdict is Verdict.NO:
        return Problem(
            CONDITION_EXCLUDES,
            f"{fit.name} does not apply: its condition {text} excludes a Sev1 "
            '"Backup Failure" alert from Azure Backup on this vault: widen or drop that condition',
        )
    return Problem(
        CONDITION_UNCERTAIN,
        f"{fit.name} may not apply: whether its condition {text} matches depends on the "
        "failure or on unconfirmed Azure behaviour, so it is not counted: drop or widen it",
        unconfirmed=True,
    )


def _schedule_problem(fit: _Fit, active: Verdict) -> Problem:
    if active is Verdict.NO:
        return Problem(
            SCHEDULE_INACTIVE,
            f"{fit.name} is outside its schedule at this time: widen the schedule or remove it",
        )
    notes = "; ".join(schedules.unconfirmed_readings(fit.rule.schedule))
    return Problem(
        SCHEDULE_UNCERTAIN,
        f"{fit.name} may be outside its schedule at this time ({notes}), so it is not "
        "counted: simplify the schedule",
        unconfirmed=True,
    )


def _doubts(conditions: ConditionsVerdict, active: Verdict, rule: AlertProcessingRule) -> list[str]:
    doubts: list[str] = []
    if conditions.verdict is Verdict.MAYBE and conditions.deciding is not None:
        doubts.append(f"its condition {describe_condition(conditions.deciding)} may match")
    if active is Verdict.MAYBE:
        doubts += schedules.unconfirmed_readings(rule.schedule)
    return doubts


def _because(doubts: list[str]) -> str:
    return f" (unconfirmed: {'; '.join(doubts)})" if doubts else ""
