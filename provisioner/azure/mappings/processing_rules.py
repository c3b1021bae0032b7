"""Alert processing rules: canonical `AlertProcessingRule` <- ARM JSON, -> SDK model (api 2021-08-08)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, cast

from azure.mgmt.alertprocessingrules import models as sdk

from provisioner.azure.mappings import arm_json, optional_text, sdk_id, sdk_text
from provisioner.azure.mappings.arm_json import member, objects, optional_member, text, texts
from provisioner.ids import ResourceId
from provisioner.model import (
    FIELD_OPERATORS,
    ActionType,
    AlertProcessingRule,
    Condition,
    ConditionField,
    Operator,
    Recurrence,
    RecurrenceType,
    Schedule,
    canonical_location,
    canonical_recurrences,
    make_tags,
)
from provisioner.timezones import canonical_time_zone

log = logging.getLogger(__name__)

# The version of the Alert Processing Rules API alertsync speaks, typed calls and JSON lists alike.
API_VERSION: Final = "2021-08-08"

# The SDK enums are case-insensitive and the service echoes what it was sent
# (docs/azure-behaviour.md#processing-rule-values-echoed), so enum names are matched ignoring case.
_FIELDS: Final = {f.lower(): f for f in FIELD_OPERATORS}
_OPERATORS: Final = {o.lower(): o for o in ("Equals", "NotEquals", "Contains", "DoesNotContain")}
_RECURRENCE_TYPES: Final = {t.lower(): t for t in ("Daily", "Weekly", "Monthly")}


def _enum(known: Mapping[str, str], value: Any, what: str) -> str:
    """The known spelling of an extensible enum value; an unknown value is kept, not dropped."""
    spelled = sdk_text(value) or ""
    if spelled.lower() not in known:
        log.warning("unknown %s %r from Azure; keeping it as is", what, spelled)
    return known.get(spelled.lower(), spelled)


# --- conditions -------------------------------------------------------------------------------


def _condition_to_arm(c: Condition) -> sdk.Condition:
    return sdk.Condition(field=c.field, operator=c.operator, values_property=list(c.values))


def _condition_from_arm(c: Mapping[str, Any]) -> Condition:
    return Condition.build(
        cast(ConditionField, _enum(_FIELDS, text(c, "field"), "condition field")),
        cast(Operator, _enum(_OPERATORS, text(c, "operator"), "condition operator")),
        texts(c, "values"),
    )


def canonical_conditions(conditions: Iterable[Condition]) -> tuple[Condition, ...]:
    """Conditions as a set keyed by field (the model keeps at most one per field)."""
    return tuple(sorted(conditions, key=lambda c: (c.field, c.operator, c.values)))


# --- schedule ---------------------------------------------------------------------------------


def _recurrence_to_arm(r: Recurrence) -> sdk.Recurrence:
    if r.type == "Weekly":
        return sdk.WeeklyRecurrence(
            days_of_week=list(r.days_of_week), start_time=r.start_time, end_time=r.end_time
        )
    if r.type == "Monthly":
        return sdk.MonthlyRecurrence(
            days_of_month=list(r.days_of_month), start_time=r.start_time, end_time=r.end_time
        )
    return sdk.DailyRecurrence(start_time=r.start_time, end_time=r.end_time)


def _recurrence_from_arm(r: Mapping[str, Any]) -> Recurrence:
    # Read by the wire names: the service echoes the case it was sent (`weekly`), which an
    # exact-case discriminator would not recognise.
    kind = cast(
        RecurrenceType, _enum(_RECURRENCE_TYPES, text(r, "recurrenceType"), "recurrence type")
    )
    return Recurrence(
        type=kind,
        start_time=optional_text(text(r, "startTime")),
        end_time=optional_text(text(r, "endTime")),
        days_of_week=tuple(texts(r, "daysOfWeek")),
        days_of_month=tuple(arm_json.integers(r, "daysOfMonth")),
    )


def _schedule_to_arm(s: Schedule | None) -> sdk.Schedule | None:
    if s is None:
        return None
    return sdk.Schedule(
        effective_from=s.effective_from,
        effective_until=s.effective_until,
        time_zone=s.time_zone,
        recurrences=[_recurrence_to_arm(r) for r in s.recurrences] or None,
    )


def _schedule_from_arm(s: Mapping[str, Any] | None) -> Schedule | None:
    """None for no schedule, and for an empty one: both mean "always"."""
    if s is None:
        return None
    schedule = Schedule(
        effective_from=optional_text(text(s, "effectiveFrom")),
        effective_until=optional_text(text(s, "effectiveUntil")),
        time_zone=_time_zone_from_arm(text(s, "timeZone")),
        recurrences=canonical_recurrences(map(_recurrence_from_arm, objects(s, "recurrences"))),
    )
    return None if schedule == Schedule() else schedule


def _time_zone_from_arm(name: str | None) -> str | None:
    """The Windows spelling, as the specs build it; the service keeps whatever case it was sent."""
    text = optional_text(name)
    return (canonical_time_zone(text) or text) if text else None


# --- actions ----------------------------------------------------------------------------------


def _actions_to_arm(rule: AlertProcessingRule) -> list[sdk.Action]:
    if rule.action_type == "RemoveAllActionGroups":
        return [sdk.RemoveAllActionGroups()]
    return [sdk.AddActionGroups(action_group_ids=[str(i) for i in rule.action_group_ids])]


def _actions_from_arm(
    actions: Sequence[Mapping[str, Any]],
) -> tuple[ActionType, tuple[ResourceId, ...]]:
    """One action in the model; several live AddActionGroups are one set of group IDs."""
    kinds = {(text(a, "actionType") or "").lower() for a in actions}
    if "removeallactiongroups" in kinds:
        return "RemoveAllActionGroups", ()
    ids = {ResourceId.parse(i) for a in actions for i in texts(a, "actionGroupIds")}
    return "AddActionGroups", tuple(sorted(ids))


# --- the resource -----------------------------------------------------------------------------


def to_arm(rule: AlertProcessingRule) -> sdk.AlertProcessingRule:
    """The PUT body for a rule; name and resource group travel in the URL, not the body."""
    properties = sdk.AlertProcessingRuleProperties(
        scopes=[str(s) for s in rule.scopes],
        actions=_actions_to_arm(rule),
        conditions=[_condition_to_arm(c) for c in rule.conditions] or None,
        schedule=_schedule_to_arm(rule.schedule),
        description=rule.description or None,
        enabled=rule.enabled,
    )
    return sdk.AlertProcessingRule(
        location=rule.location, tags=dict(rule.tags), properties=properties
    )


def from_arm(resource: Mapping[str, Any]) -> AlertProcessingRule:
    """The canonical rule from its ARM JSON (a list item, or the SDK model of a write's answer,
    which is a mapping of the same wire names): IDs parsed and sorted, enums re-cased,
    conditions by field. A value of the wrong type raises ArmShapeError."""
    rid = sdk_id(arm_json.text(resource, "id"), "an alert processing rule")
    props = member(resource, "properties")
    action_type, group_ids = _actions_from_arm(objects(props, "actions"))
    enabled = arm_json.flag(props, "enabled")
    return AlertProcessingRule(
        id=rid,
        scopes=tuple(sorted({ResourceId.parse(s) for s in texts(props, "scopes")})),
        action_type=action_type,
        action_group_ids=group_ids,
        conditions=canonical_conditions(map(_condition_from_arm, objects(props, "conditions"))),
        schedule=_schedule_from_arm(optional_member(props, "schedule")),
        description=text(props, "description") or "",
        # `enabled` defaults to true when omitted (spec APR).
        enabled=True if enabled is None else enabled,
        location=canonical_location(text(resource, "location") or "Global"),
        tags=make_tags(arm_json.tags(resource)),
    )
