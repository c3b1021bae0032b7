"""Backend for Microsoft.AlertsManagement/actionRules (api 2021-08-08, alert processing rules)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from provisioner.emulator import action_groups
from provisioner.emulator.exceptions import BadRequest
from provisioner.emulator.models import (
    ARM_ID,
    STRING,
    JsonObject,
    World,
    check_field_types,
    optional_list,
    optional_tags,
    require_bool,
    require_object,
    require_string,
    utc_now,
)
from provisioner.emulator.resource_types import (
    ResourceType,
    patch_tags_and_enabled,
    store,
    stored,
)

RESPONSE_TYPE = "Microsoft.AlertsManagement/actionRules"
TYPE = ResourceType(RESPONSE_TYPE, id_provider=RESPONSE_TYPE)
KIND = TYPE.kind

# Enums of spec APR 2021-08-08; compared ignoring case, stored as sent (the official example
# sends lower-case severities and ids and gets them echoed back, spec APR 2021-08-08).
FIELDS = (
    "Severity", "MonitorService", "MonitorCondition", "SignalType", "TargetResourceType",
    "TargetResource", "TargetResourceGroup", "AlertRuleId", "AlertRuleName", "Description",
    "AlertContext",
)  # fmt: skip
OPERATORS = ("Equals", "NotEquals", "Contains", "DoesNotContain")
ACTION_TYPES = ("AddActionGroups", "RemoveAllActionGroups")
RECURRENCE_TYPES = ("Daily", "Weekly", "Monthly")
DAYS_OF_WEEK = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# Schedule formats, spec APR 2021-08-08: effective times without a zone suffix; recurrence times HH:MM:SS.
EFFECTIVE_TIME = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?))$")
TIME_OF_DAY = re.compile(r"^\d{2}:\d{2}:\d{2}$")

# Assumption (UNCONFIRMED): the service's code for a reference to a missing action
# group. We answer 400 with this code and a message naming the id.
MISSING_ACTION_GROUP_CODE = "ActionGroupNotFound"
INVALID_SCOPE_CODE = "InvalidScope"


def put(
    world: World,
    subscription: str,
    resource_group: str,
    name: str,
    body: Any,
    *,
    caller: str,
    check_references: bool = True,
) -> tuple[int, JsonObject]:
    """Create (201) or replace (200) a rule; systemData.created* survive a replace.

    `check_references=False` (seeding) accepts action groups that do not exist.
    """
    world.resource_group(subscription, resource_group)
    request = require_object(body, "the request body")
    location = require_string(request, "location", "the alert processing rule")
    if location.lower() != "global":
        raise BadRequest(
            f"The location '{location}' is invalid: alert processing rules must use 'Global'.",
            code="InvalidLocation",
        )
    properties = validated_properties(
        world if check_references else None, request.get("properties")
    )
    previous = world.get(TYPE.key(subscription, resource_group, name))
    response = {
        "id": TYPE.resource_id(subscription, resource_group, name),
        "type": RESPONSE_TYPE,
        "name": name,
        "location": location,
        "tags": optional_tags(request),
        "properties": properties,
        "systemData": system_data(previous.body["systemData"] if previous else None, caller),
    }
    return store(world, TYPE, subscription, resource_group, name, body=response), response


def system_data(previous: JsonObject | None, caller: str) -> JsonObject:
    """Read-only systemData: creation kept from the previous version, modification now."""
    now = utc_now()
    created = previous or {"createdBy": caller, "createdByType": "Application", "createdAt": now}
    return {
        "createdBy": created["createdBy"],
        "createdByType": created["createdByType"],
        "createdAt": created["createdAt"],
        "lastModifiedBy": caller,
        "lastModifiedByType": "Application",
        "lastModifiedAt": now,
    }


def validated_properties(world: World | None, value: Any) -> JsonObject:
    """AlertProcessingRuleProperties: scopes and actions required, the rest checked if present."""
    if value is None:
        raise BadRequest("The property 'properties' is required on the alert processing rule.")
    properties = dict(require_object(value, "'properties'"))
    properties["scopes"] = validated_scopes(properties.get("scopes"))
    if "actions" not in properties or properties["actions"] is None:
        raise BadRequest("The property 'actions' is required on the alert processing rule.")
    properties["actions"] = [
        validated_action(world, i, a)
        for i, a in enumerate(optional_list(properties, "actions", "the rule"))
    ]
    properties["conditions"] = [
        validated_condition(i, c)
        for i, c in enumerate(optional_list(properties, "conditions", "the rule"))
    ]
    if not properties["conditions"]:
        del properties["conditions"]
    if properties.get("schedule") is not None:
        validate_schedule(require_object(properties["schedule"], "'schedule'"))
    if "description" in properties and not isinstance(properties["description"], str | None):
        raise BadRequest("The property 'description' must be a string.")
    properties["enabled"] = (
        require_bool(properties, "enabled", "the rule") if "enabled" in properties else True
    )
    return properties


def validated_scopes(value: Any) -> list[str]:
    """scopes: a non-empty array of well-formed ARM ids (spec APR: required)."""
    if not isinstance(value, list) or not value:
        raise BadRequest(
            "The property 'scopes' is required and must be a non-empty array of resource ids.",
            code=INVALID_SCOPE_CODE,
        )
    for scope in value:
        if not isinstance(scope, str) or not ARM_ID.match(scope):
            raise BadRequest(
                f"The scope '{scope}' is not a valid resource id (expected /subscriptions/{{id}}[/resourceGroups/{{name}}[/providers/...]]).",
                code=INVALID_SCOPE_CODE,
            )
    return list(value)


def validated_action(world: World | None, index: int, value: Any) -> JsonObject:
    """One action; AddActionGroups must name existing action groups (matched ignoring case)
    unless `world` is None."""
    action = require_object(value, f"actions[{index}]")
    action_type = one_of(action.get("actionType"), ACTION_TYPES, f"actions[{index}].actionType")
    if action_type == "AddActionGroups":
        ids = action.get("actionGroupIds")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise BadRequest(
                f"actions[{index}]: 'actionGroupIds' is required for AddActionGroups and must be a non-empty array of ids."
            )
        if world is not None:
            check_groups_exist(world, ids)
    return action


def check_groups_exist(world: World, ids: list[str]) -> None:
    """Each id names an existing action group (ignoring case), or a 400 naming the first that
    does not."""
    for group_id in ids:
        found = world.find_by_id(group_id)
        if found is None or found.kind != action_groups.KIND:
            raise BadRequest(
                f"The action group '{group_id}' does not exist.", code=MISSING_ACTION_GROUP_CODE
            )


def validated_condition(index: int, value: Any) -> JsonObject:
    """One condition: field and operator from the spec enums (any case), values strings."""
    condition = require_object(value, f"conditions[{index}]")
    if "field" in condition:
        one_of(condition["field"], FIELDS, f"conditions[{index}].field")
    if "operator" in condition:
        one_of(condition["operator"], OPERATORS, f"conditions[{index}].operator")
    values = condition.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadRequest(f"conditions[{index}].values must be an array of strings.")
    return condition


# Schedule and Recurrence string fields (spec APR 2021-08-08 definitions Schedule, Recurrence).
SCHEDULE_FIELDS = {"effectiveFrom": STRING, "effectiveUntil": STRING, "timeZone": STRING}
RECURRENCE_FIELDS = {"recurrenceType": STRING, "startTime": STRING, "endTime": STRING}


def validate_schedule(schedule: JsonObject) -> None:
    """Schedule: effective times without zone suffix, recurrences per their type (spec APR 2021-08-08)."""
    check_field_types(schedule, SCHEDULE_FIELDS, "properties.schedule")
    for key in ("effectiveFrom", "effectiveUntil"):
        if schedule.get(key) is not None and not is_effective_time(schedule[key]):
            raise BadRequest(
                f"schedule.{key} '{schedule[key]}' must be a date-time like 2022-01-31T08:00:00 (no time zone suffix)."
            )
    for index, value in enumerate(optional_list(schedule, "recurrences", "the schedule")):
        validate_recurrence(index, require_object(value, f"schedule.recurrences[{index}]"))


def validate_recurrence(index: int, recurrence: JsonObject) -> None:
    """One recurrence: Daily needs times, Weekly daysOfWeek, Monthly daysOfMonth (1-31)."""
    what = f"schedule.recurrences[{index}]"
    check_field_types(recurrence, RECURRENCE_FIELDS, f"properties.{what}")
    kind = one_of(recurrence.get("recurrenceType"), RECURRENCE_TYPES, f"{what}.recurrenceType")
    for key in ("startTime", "endTime"):
        if recurrence.get(key) is not None and not is_time_of_day(recurrence[key]):
            raise BadRequest(f"{what}.{key} '{recurrence[key]}' must be a time of day HH:MM:SS.")
        if kind == "Daily" and recurrence.get(key) is None:
            raise BadRequest(f"{what}.{key} is required for a Daily recurrence.")
    if kind == "Weekly":
        days = recurrence.get("daysOfWeek")
        if not isinstance(days, list) or not days:
            raise BadRequest(f"{what}.daysOfWeek is required for a Weekly recurrence.")
        for day in days:
            one_of(day, DAYS_OF_WEEK, f"{what}.daysOfWeek")
    if kind == "Monthly":
        days = recurrence.get("daysOfMonth")
        if (
            not isinstance(days, list)
            or not days
            or not all(type(d) is int and 1 <= d <= 31 for d in days)  # int32, not boolean
        ):
            raise BadRequest(
                f"{what}.daysOfMonth is required for a Monthly recurrence: integers 1-31."
            )


def is_effective_time(value: str) -> bool:
    """The spec's pattern (spec APR 2021-08-08) and a real calendar date and time: the description says
    "Date-Time in ISO-8601 format", so 2026-13-45 is not one."""
    if not EFFECTIVE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_time_of_day(value: str) -> bool:
    """HH:MM:SS within a day (hours 0-23). The spec gives no pattern; the service's parse of
    "25:00:00" failing is assumed from .NET's TimeSpan/TimeOnly parsing (UNCONFIRMED)."""
    if not TIME_OF_DAY.match(value):
        return False
    hours, minutes, seconds = (int(part) for part in value.split(":"))
    return hours <= 23 and minutes <= 59 and seconds <= 59


def one_of(value: Any, allowed: tuple[str, ...], what: str) -> str:
    """The canonical enum member `value` names (ignoring case), or a 400 listing the choices."""
    if isinstance(value, str):
        for member in allowed:
            if member.lower() == value.lower():
                return member
    raise BadRequest(f"{what} '{value}' is not valid; allowed values: {', '.join(allowed)}.")


def patch(
    world: World, subscription: str, resource_group: str, name: str, body: Any, *, caller: str
) -> JsonObject:
    """PatchObject: only tags (replaced, ARM PATCH) and properties.enabled (spec APR)."""
    found = stored(world, TYPE, subscription, resource_group, name)
    patch_tags_and_enabled(found, body, "an alert processing rule")
    found.body["systemData"] = system_data(found.body["systemData"], caller)
    return found.body
