"""Alert processing rules in the sync stage: their field tree, safety rules and what they reference."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, cast

from provisioner.model import AlertProcessingRule, Condition, Recurrence, Schedule
from provisioner.sync.behaviour.common import disables, updates
from provisioner.sync.changes import Change, Reference
from provisioner.sync.fields import Keyed, Tree, item_set


def processing_rule_fields(rule: AlertProcessingRule) -> Tree:
    tree: Tree = {
        "description": rule.description,
        "enabled": rule.enabled,
        "location": rule.location,
        "tags": Keyed(rule.tags),
        "scopes": item_set(rule.scopes),
        "conditions": Keyed({c.field: _condition_fields(c) for c in rule.conditions}),
    }
    if rule.action_type == "AddActionGroups":
        tree["actionGroups"] = item_set(rule.action_group_ids)
    else:
        tree["suppressNotifications"] = True
    if rule.schedule is not None:
        tree["schedule"] = _schedule_fields(rule.schedule)
    return tree


def _condition_fields(condition: Condition) -> Tree:
    return {"operator": condition.operator, "values": item_set(condition.values)}


def _schedule_fields(schedule: Schedule) -> Tree:
    return {
        "effectiveFrom": schedule.effective_from,
        "effectiveUntil": schedule.effective_until,
        "timeZone": schedule.time_zone,
        "recurrences": _recurrences(schedule.recurrences),
    }


def _recurrences(recurrences: Iterable[Recurrence]) -> Keyed:
    """Each recurrence under its key; two of one key (their days differ) are told apart by a
    number, in the canonical order both sides share, so that no recurrence is ever lost."""
    tree = Keyed()
    for recurrence in recurrences:
        key = unique = _recurrence_key(recurrence)
        number = 2
        while unique in tree:
            unique, number = f"{key} #{number}", number + 1
        tree[unique] = _recurrence_fields(recurrence)
    return tree


def _recurrence_key(recurrence: Recurrence) -> str:
    """A recurrence by its kind and window, e.g. `weekly 22:00:00-06:00:00` or `weekly all day`:
    its days are then a set of their own, so adding Monday is one line."""
    window = (
        f"{recurrence.start_time or '00:00:00'}-{recurrence.end_time or '24:00:00'}"
        if recurrence.start_time or recurrence.end_time
        else "all day"
    )
    return f"{recurrence.type.lower()} {window}"


def _recurrence_fields(recurrence: Recurrence) -> Tree:
    return {
        "startTime": recurrence.start_time,
        "endTime": recurrence.end_time,
        "daysOfWeek": item_set(recurrence.days_of_week),
        "daysOfMonth": item_set(recurrence.days_of_month),
    }


def risks(change: Change) -> Iterable[str]:
    yield from _silences(change)
    if updates(change):
        want, have = (
            cast(AlertProcessingRule, change.desired),
            cast(AlertProcessingRule, change.live),
        )
        yield from disables(change, want, have)


def _silences(change: Change) -> Iterable[str]:
    """A rule that starts suppressing notifications: worse than disabling one rule, it removes
    every action group from every alert in its scopes."""
    want = cast(AlertProcessingRule | None, change.desired)
    have = cast(AlertProcessingRule | None, change.live)
    if want is None or want.action_type != "RemoveAllActionGroups":
        return
    rule = change.id.describe()
    if have is not None and have.action_type == "AddActionGroups":
        yield f"turns {rule} from adding action groups into suppressing notifications"
    if _suppresses_at_all_times(want) and not (have is not None and _suppresses_at_all_times(have)):
        # Enabling it, dropping its schedule or its end date: each starts a silence nobody
        # ends, as surely as creating one.
        always = "at all times (no end date, no recurrence)"
        if have is None:
            yield f"creates {rule}, which suppresses notifications {always}"
        else:
            yield f"makes {rule} suppress notifications {always}"


def _suppresses_at_all_times(rule: AlertProcessingRule) -> bool:
    """An enabled suppression rule whose schedule never ends and never pauses: a schedule of
    only a start date or a time zone suppresses from then on, as no schedule does."""
    schedule = rule.schedule
    return (
        rule.enabled
        and rule.action_type == "RemoveAllActionGroups"
        and (schedule is None or (schedule.effective_until is None and not schedule.recurrences))
    )


_NO_VAULT: Final = "alertsync never creates vaults: fix the scope or create the vault first"
_NO_GROUP: Final = "fix the ID, or declare or create the group first"


def references(rule: AlertProcessingRule) -> Iterable[Reference]:
    """Its vaults (scopes) and the action groups it adds: Azure refuses a rule naming either
    when it does not exist."""
    yield from (Reference(scope, "is scoped to", _NO_VAULT) for scope in rule.scopes)
    yield from (Reference(group, "adds", _NO_GROUP) for group in rule.action_group_ids)
