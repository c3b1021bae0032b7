"""Alert processing rules: canonical `AlertProcessingRule` <-> SDK model (api 2021-08-08)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, cast

from azure.mgmt.alertprocessingrules import models as sdk

from provisioner.azure.mappings import optional_text, sdk_id, sdk_text
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

# The SDK enums are case-insensitive and the service echoes what it was sent
# (docs/azure-behaviour.md#processing-rule-values-echoed), so enum names are matched ignoring case.
_FIELDS: Final = {f.lower(): f for f in FIELD_OPERATORS}
_OPERATORS: Final = {o.lower(): o for o in ("Equals", "NotEquals", "Contains", "DoesNotContain")}
_RECURRENCE_TYPES: Final = {t.lower(): t for t in ("Daily", "Weekly", "Monthly")}


def _enum(known: Mapping[str, str], value: Any, what: str) -> str:
    """The known spelling of an extensible enum value; an unknown value is kept, not dropped."""
    text = sdk_text(value) or ""
    if text.lower() not in known:
        log.warning("unknown %s %r from Azure; keeping it as is", what, text)
    return known.get(text.lower(), text)


# --- conditions -------------------------------------------------------------------------------


def _condition_to_arm(c: Condition) -> sdk.Condition:
    return sdk.Condition(field=c.field, operator=c.operator, values_property=list(c.values))


def _condition_from_arm(c: sdk.Condition) -> Condition:
    return Condition.build(
        cast(ConditionField, _enum(_FIELDS, c.field, "condition field")),
        cast(Operator, _enum(_OPERATORS, c.operator, "condition operator")),
        c.values_property or (),
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


def _recurrence_from_arm(r: sdk.Recurrence) -> Recurrence:
    # The SDK picks the subclass by an exact-case discriminator: a `weekly` the service echoes
    # back (it keeps what it was sent) stays a base Recurrence, so read days from the raw JSON.
    kind = cast(RecurrenceType, _enum(_RECURRENCE_TYPES, r.recurrence_type, "recurrence type"))
    return Recurrence(
        type=kind,
        start_time=optional_text(r.start_time),
        end_time=optional_text(r.end_time),
        days_of_week=tuple(sdk_text(d) or "" for d in r.get("daysOfWeek") or ()),
        days_of_month=tuple(int(d) for d in r.get("daysOfMonth") or ()),
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


def _schedule_from_arm(s: sdk.Schedule | None) -> Schedule | None:
    """None for no schedule, and for an empty one: both mean "always"."""
    if s is None:
        return None
    schedule = Schedule(
        effective_from=optional_text(s.effective_from),
        effective_until=optional_text(s.effective_until),
        time_zone=_time_zone_from_arm(s.time_zone),
        recurrences=canonical_recurrences(map(_recurrence_from_arm, s.recurrences or ())),
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


def _actions_from_arm(actions: Sequence[sdk.Action]) -> tuple[ActionType, tuple[ResourceId, ...]]:
    """One action in the model; several live AddActionGroups are one set of group IDs."""
    kinds = {(sdk_text(a.action_type) or "").lower() for a in actions}
    if "removeallactiongroups" in kinds:
        return "RemoveAllActionGroups", ()
    # Read IDs from the raw JSON: a lower-case discriminator defeats the SDK's subclass choice.
    ids = {ResourceId.parse(i) for a in actions for i in a.get("actionGroupIds") or ()}
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


def from_arm(resource: sdk.AlertProcessingRule) -> AlertProcessingRule:
    """The canonical rule: IDs parsed and sorted, enums re-cased, conditions by field."""
    props = resource.properties or sdk.AlertProcessingRuleProperties(scopes=[], actions=[])
    action_type, group_ids = _actions_from_arm(props.actions or ())
    return AlertProcessingRule(
        id=sdk_id(resource.id, "an alert processing rule"),
        scopes=tuple(sorted({ResourceId.parse(s) for s in props.scopes or ()})),
        action_type=action_type,
        action_group_ids=group_ids,
        conditions=canonical_conditions(map(_condition_from_arm, props.conditions or ())),
        schedule=_schedule_from_arm(props.schedule),
        description=props.description or "",
        # `enabled` defaults to true when omitted (spec APR).
        enabled=True if props.enabled is None else bool(props.enabled),
        location=canonical_location(resource.location or "Global"),
        tags=make_tags(resource.tags),
    )
