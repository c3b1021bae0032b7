"""Which alert processing rules apply to a fired alert, and what they do: pure functions.

The emulator's own reading of how Azure Monitor applies alert processing rules
(docs/azure-behaviour.md#alert-routing-what-check-evaluates): a rule applies when it is
enabled, the alert's target lies inside one of its scopes, every condition matches and its
schedule is active when the alert fires. Suppression wins over adding action groups.
Nothing here reads the world or the clock; callers pass the rules' ARM bodies and the time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from tzlocal.windows_tz import win_tz

REMOVE_ALL = "removeallactiongroups"
ADD = "addactiongroups"
# /subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{type}/{name}...]
TARGET = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/(?P<ns>[^/]+)/(?P<rest>.+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FiredAlert:
    """What a fired alert offers the rules' conditions (the alert's essentials and context)."""

    target_resource: str
    severity: str = "Sev1"
    monitor_service: str = "Azure Backup"
    monitor_condition: str = "Fired"
    signal_type: str = "Log"
    alert_rule: str = "Backup Failure"
    description: str = ""
    context: Mapping[str, Any] | None = None

    @property
    def target_type(self) -> str:
        """provider/type(/type...) of the target, e.g. microsoft.recoveryservices/vaults."""
        found = TARGET.match(self.target_resource)
        if found is None:
            return ""
        types = found["rest"].split("/")[::2]
        return f"{found['ns']}/{'/'.join(types)}".lower()

    @property
    def target_group(self) -> tuple[str, str]:
        """(resource group id, resource group name) of the target; empty when it has none."""
        found = TARGET.match(self.target_resource)
        if found is None:
            return "", ""
        return f"/subscriptions/{found['sub']}/resourceGroups/{found['rg']}", found["rg"]

    @property
    def rule_id(self) -> str:
        """The alert rule's ARM id, or "" when the alert came from no rule (built-in backup
        alerts name their rule, e.g. "Backup Failure", and carry no rule id)."""
        return self.alert_rule if self.alert_rule.lower().startswith("/subscriptions/") else ""

    @property
    def rule_name(self) -> str:
        """The alert rule's name: the last segment of a rule id, else the name as given."""
        return self.alert_rule.rstrip("/").rsplit("/", 1)[-1]


def field_values(alert: FiredAlert, field: str) -> tuple[str, ...]:
    """The strings a condition on `field` is matched against (several when Azure's accepted
    spellings differ, e.g. a resource group by id or by name)."""
    values: dict[str, tuple[str, ...]] = {
        "severity": (alert.severity,),
        "monitorservice": (alert.monitor_service,),
        "monitorcondition": (alert.monitor_condition,),
        "signaltype": (alert.signal_type,),
        "targetresourcetype": (alert.target_type,),
        "targetresource": (alert.target_resource,),
        "targetresourcegroup": alert.target_group,
        "alertruleid": (alert.rule_id,),
        "alertrulename": (alert.rule_name,),
        "description": (alert.description,),
        "alertcontext": (json.dumps(alert.context or {}, separators=(",", ":")),),
    }
    return values.get(field.lower(), ("",))


def condition_matches(condition: Mapping[str, Any], alert: FiredAlert) -> bool:
    """One condition: OR across its values; NotEquals/DoesNotContain match when none does.

    Values compare ignoring case but not whitespace (docs/azure-behaviour.md#alert-routing-what-check-evaluates).
    """
    actual = [v.lower() for v in field_values(alert, str(condition.get("field", "")))]
    wanted = [str(v).lower() for v in condition.get("values") or []]
    operator = str(condition.get("operator", "Equals")).lower()
    if operator in ("contains", "doesnotcontain"):
        hit = any(w in a for w in wanted for a in actual if a)
    else:
        hit = any(w == a for w in wanted for a in actual if a)
    return hit != operator.startswith(("not", "doesnot"))


def conditions_match(conditions: Iterable[Mapping[str, Any]], alert: FiredAlert) -> bool:
    """AND across conditions (no conditions: every alert matches)."""
    return all(condition_matches(c, alert) for c in conditions)


def in_scope(scopes: Iterable[str], target: str) -> bool:
    """The target is a scope or lies below one, on whole path segments, ignoring case."""
    target = target.rstrip("/").lower()
    for scope in scopes:
        prefix = scope.rstrip("/").lower()
        if target == prefix or target.startswith(prefix + "/"):
            return True
    return False


# ---- schedules ---------------------------------------------------------------------------


# Windows zone ids ignoring case: .NET's TimeZoneInfo.FindSystemTimeZoneById matches an id
# "exactly in length, but not in case" (docs/azure-behaviour.md#schedules).
WINDOWS_ZONES = {name.lower(): iana for name, iana in win_tz.items()}


def zone(name: str | None) -> tzinfo:
    """A Windows time-zone name (as rules carry them, in any case) as a zoneinfo zone; UTC when
    absent or unknown (the service's default and its answer to an unknown name are not
    documented)."""
    iana = WINDOWS_ZONES.get((name or "UTC").lower())
    return ZoneInfo(iana) if iana else UTC


def clock_time(value: Any) -> time | None:
    """ "HH:MM:SS" as a time; None when absent."""
    return time.fromisoformat(value) if isinstance(value, str) and value else None


def day_matches(recurrence: Mapping[str, Any], day: date) -> bool:
    """Whether a recurrence's window may start on `day` (Daily: every day)."""
    kind = str(recurrence.get("recurrenceType", "")).lower()
    if kind == "weekly":
        days = {str(d).lower() for d in recurrence.get("daysOfWeek") or []}
        return day.strftime("%A").lower() in days
    if kind == "monthly":
        return day.day in (recurrence.get("daysOfMonth") or [])
    return kind == "daily"


def recurrence_active(recurrence: Mapping[str, Any], local: datetime) -> bool:
    """A window from startTime to endTime on each matching day (omitted: the whole day); an
    endTime not after startTime runs past midnight into the next day."""
    start = clock_time(recurrence.get("startTime")) or time(0)
    end = clock_time(recurrence.get("endTime"))
    now, today = local.time(), local.date()
    if end is None:
        return day_matches(recurrence, today) and now >= start
    if start < end:
        return day_matches(recurrence, today) and start <= now < end
    return (day_matches(recurrence, today) and now >= start) or (
        day_matches(recurrence, today - timedelta(days=1)) and now < end
    )


def within_effective(schedule: Mapping[str, Any], local: datetime) -> bool:
    """effectiveFrom (inclusive) to effectiveUntil (exclusive), local times of the rule's zone."""
    start, until = schedule.get("effectiveFrom"), schedule.get("effectiveUntil")
    if start and local < datetime.fromisoformat(start):
        return False
    return not (until and local >= datetime.fromisoformat(until))


def schedule_active(schedule: Mapping[str, Any] | None, at: datetime) -> bool:
    """No schedule: always. Else inside the effective range and, if there are recurrences, in
    at least one of them (they add up)."""
    if not schedule:
        return True
    local = at.astimezone(zone(schedule.get("timeZone"))).replace(tzinfo=None)
    if not within_effective(schedule, local):
        return False
    recurrences = schedule.get("recurrences") or []
    return not recurrences or any(recurrence_active(r, local) for r in recurrences)


# ---- rules -------------------------------------------------------------------------------


def rule_applies(rule: Mapping[str, Any], alert: FiredAlert, at: datetime) -> bool:
    """An enabled rule whose scope holds the target, whose conditions match, active at `at`."""
    properties = rule.get("properties") or {}
    return (
        properties.get("enabled", True) is True
        and in_scope(properties.get("scopes") or [], alert.target_resource)
        and conditions_match(properties.get("conditions") or [], alert)
        and schedule_active(properties.get("schedule"), at)
    )


@dataclass(frozen=True)
class AppliedRule:
    """A rule that applied: its id and name, whether it suppresses, the groups it adds."""

    rule_id: str
    name: str
    suppresses: bool
    action_groups: tuple[str, ...]


@dataclass(frozen=True)
class Routing:
    """The outcome for one alert: the rules that applied, in the order given."""

    applied: tuple[AppliedRule, ...]

    @property
    def suppressed(self) -> bool:
        """Suppression wins: one applying RemoveAllActionGroups rule removes every group."""
        return any(rule.suppresses for rule in self.applied)

    @property
    def invocations(self) -> tuple[tuple[str, str], ...]:
        """(rule id, action group id) for each group invoked: none when suppressed. A group
        added by two rules is invoked twice (processing rules do not deduplicate)."""
        if self.suppressed:
            return ()
        return tuple((r.rule_id, g) for r in self.applied for g in r.action_groups)


def applied_rule(rule: Mapping[str, Any]) -> AppliedRule:
    """A rule's actions folded into one AppliedRule (groups deduplicated within the rule)."""
    actions = (rule.get("properties") or {}).get("actions") or []
    kinds = [str(a.get("actionType", "")).lower() for a in actions]
    groups: dict[str, str] = {}
    for action, kind in zip(actions, kinds, strict=True):
        if kind == ADD:
            groups.update({str(g).lower(): str(g) for g in action.get("actionGroupIds") or []})
    return AppliedRule(
        str(rule.get("id", "")), str(rule.get("name", "")), REMOVE_ALL in kinds, (*groups.values(),)
    )


def route(rules: Sequence[Mapping[str, Any]], alert: FiredAlert, at: datetime) -> Routing:
    """Evaluate every rule (ARM bodies) for an alert fired at `at` (an aware datetime)."""
    return Routing(tuple(applied_rule(r) for r in rules if rule_applies(r, alert, at)))
