"""An alert processing rule as its `alertProcessingRules[]` spec entry: scopes and groups as
names where the specs can say so."""

from __future__ import annotations

from collections.abc import Iterable

from provisioner.export.behaviour.common import Document, SpecContext, entry_start, put, user_tags
from provisioner.ids import VAULT_TYPE, ResourceId
from provisioner.model import FIELD_OPERATORS, AlertProcessingRule, Condition, Recurrence, Schedule


def rule_entry(rule: AlertProcessingRule, context: SpecContext) -> Document:
    """An `alertProcessingRules[]` entry: scopes and groups as names where the specs can say so."""
    entry = entry_start(rule.id, context)
    put(entry, "description", rule.description)
    if not rule.enabled:
        entry["enabled"] = False
    put(entry, "tags", user_tags(rule.tags))
    entry["scopes"] = [scope_entry(s, rule.id) for s in rule.scopes]
    put(entry, "conditions", conditions_entry(rule.conditions))
    if rule.action_type == "RemoveAllActionGroups":
        entry["suppressNotifications"] = True
    else:
        entry["actionGroups"] = [context.group_names.get(g, str(g)) for g in rule.action_group_ids]
    if rule.schedule is not None:
        entry["schedule"] = schedule_entry(rule.schedule)
    return entry


def scope_entry(scope: ResourceId, rule_id: ResourceId) -> str | Document:
    """A vault, resource group or subscription as a mapping; any other scope as its full ID."""
    if scope.is_subscription:
        return {"subscription": scope.subscription}
    other_subscription = (
        {} if scope.subscription == rule_id.subscription else {"subscription": scope.subscription}
    )
    if scope.is_resource_group:
        return {"resourceGroup": scope.resource_group, **other_subscription}
    if _is_vault(scope):
        return {"vault": scope.name, "resourceGroup": scope.resource_group, **other_subscription}
    return str(scope)


def _is_vault(scope: ResourceId) -> bool:
    return (scope.resource_type or "").lower() == VAULT_TYPE.lower() and len(scope.names) == 1


def _camel(pascal: str) -> str:
    return pascal[0].lower() + pascal[1:]


def conditions_entry(conditions: Iterable[Condition]) -> Document:
    """Conditions by field in the docs' order; `equals` as the list shorthand."""
    by_field = {c.field: c for c in conditions}
    entry: Document = {}
    for name in FIELD_OPERATORS:  # the docs' (and the schema's) order
        condition = by_field.get(name)
        if condition is not None:
            values = list(condition.values)
            entry[_camel(name)] = (
                values if condition.operator == "Equals" else {_camel(condition.operator): values}
            )
    return entry


def schedule_entry(schedule: Schedule) -> Document:
    entry: Document = {}
    put(entry, "effectiveFrom", schedule.effective_from)
    put(entry, "effectiveUntil", schedule.effective_until)
    put(entry, "timeZone", schedule.time_zone)
    put(entry, "recurrences", [recurrence_entry(r) for r in schedule.recurrences])
    return entry


def recurrence_entry(recurrence: Recurrence) -> Document:
    window: Document = {}
    put(window, "daysOfWeek", list(recurrence.days_of_week))
    put(window, "daysOfMonth", list(recurrence.days_of_month))
    put(window, "startTime", recurrence.start_time)
    put(window, "endTime", recurrence.end_time)
    return {recurrence.type.lower(): window}
