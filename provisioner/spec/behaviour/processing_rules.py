"""What an alert processing rule means to the spec stage: its entry as the model (resolving the
action groups it names), and its checks (action, scopes, selectors, conditions, schedule)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from provisioner import kinds
from provisioner.errors import SpecProblem
from provisioner.ids import ACTION_GROUP_TYPE, PROCESSING_RULE_TYPE, VAULT_TYPE, ResourceId, is_guid
from provisioner.model import (
    ALL_OPERATORS,
    FIELD_OPERATORS,
    FIELD_VALUES,
    GLOBAL_LOCATION,
    AlertProcessingRule,
    Condition,
    ConditionField,
    Operator,
    Recurrence,
    RecurrenceType,
    Schedule,
    canonical_recurrences,
)
from provisioner.spec.behaviour.common import Flagged, check_bidi, check_tags
from provisioner.spec.building import Builder, resource_id, tags
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import (
    Entry,
    called,
    home,
    home_paths,
    is_selector,
    mapping,
    mappings,
    scope_id,
    strings,
    text,
    vault_selector,
)
from provisioner.spec.schema_check import schema
from provisioner.spec.yaml_loader import JsonPath
from provisioner.timezones import WINDOWS_TIME_ZONES, canonical_time_zone

# Spec keys are the camelCase of the API's PascalCase condition fields and operators.
_FIELDS: Final[dict[str, ConditionField]] = {f[0].lower() + f[1:]: f for f in FIELD_OPERATORS}
_OPERATORS: Final[dict[str, Operator]] = {o[0].lower() + o[1:]: o for o in ALL_OPERATORS}
_RECURRENCES: Final[dict[str, RecurrenceType]] = {
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
}


# --- building --------------------------------------------------------------------------------


def build(builder: Builder, doc: SpecDocument, path: JsonPath, entry: Entry) -> None:
    """Built in the second pass: the action groups it names are declared by then, in any file."""
    rule = _rule(builder, doc, path, entry)
    if builder.add(doc, path, rule):
        _add_selectors(builder, rule.id, entry)


def _rule(builder: Builder, doc: SpecDocument, path: JsonPath, entry: Entry) -> AlertProcessingRule:
    rule_id = resource_id(doc, entry, PROCESSING_RULE_TYPE)
    named = [
        (index, scope_id(s, rule_id.subscription, str(rule_id.resource_group)))
        for index, s in enumerate(entry["scopes"])
        if not is_selector(s)
    ]
    scopes = [scope for _, scope in named]
    builder.vaults.update(
        s for s in scopes if (s.resource_type or "").lower() == VAULT_TYPE.lower()
    )
    for index, scope in named:
        builder.referenced_at(rule_id, scope, doc.describe((*path, "scopes", index)))
    groups = builder.resolve_all(
        kinds.ACTION_GROUP, doc, (*path, "actionGroups"), entry.get("actionGroups", []), rule_id
    )
    return AlertProcessingRule(
        id=rule_id,
        scopes=tuple(sorted(set(scopes))),
        action_type="RemoveAllActionGroups"
        if entry.get("suppressNotifications")
        else "AddActionGroups",
        action_group_ids=tuple(sorted(set(groups))),
        conditions=_conditions(entry.get("conditions", {})),
        schedule=_schedule(entry["schedule"]) if "schedule" in entry else None,
        description=entry.get("description", ""),
        enabled=entry.get("enabled", True),
        location=GLOBAL_LOCATION,  # the only location alert processing rules take
        tags=tags(doc, entry),
    )


def _add_selectors(builder: Builder, rule_id: ResourceId, entry: Entry) -> None:
    found = tuple(
        vault_selector(s["vaults"], rule_id.subscription) for s in entry["scopes"] if is_selector(s)
    )
    if found:
        builder.rule_selectors[rule_id] = found


def _conditions(conditions: Mapping[str, Any]) -> tuple[Condition, ...]:
    built = []
    for key, condition in conditions.items():
        operator, values = (
            ("equals", condition) if isinstance(condition, list) else next(iter(condition.items()))
        )
        built.append(Condition.build(_FIELDS[key], _OPERATORS[operator], values))
    return tuple(sorted(built, key=lambda c: c.field))


def _schedule(schedule: Entry) -> Schedule:
    zone = schedule.get("timeZone")
    recurrences = (_recurrence(r) for r in schedule.get("recurrences", []))
    return Schedule(
        effective_from=schedule.get("effectiveFrom"),
        effective_until=schedule.get("effectiveUntil"),
        time_zone=canonical_time_zone(zone) if zone is not None else None,
        recurrences=canonical_recurrences(recurrences),
    )


def _recurrence(recurrence: Entry) -> Recurrence:
    """As written; canonical_recurrences orders and de-duplicates the days, as for live rules."""
    kind, window = next(iter(recurrence.items()))
    return Recurrence(
        type=_RECURRENCES[kind],
        start_time=window.get("startTime"),
        end_time=window.get("endTime"),
        days_of_week=tuple(window.get("daysOfWeek", [])),
        days_of_month=tuple(window.get("daysOfMonth", [])),
    )


# --- checks beyond the schema ----------------------------------------------------------------


def check(doc: SpecDocument, path: JsonPath, rule: Entry, flags: Flagged) -> list[SpecProblem]:
    problems = _check_action(doc, path, rule, flags)
    problems += check_bidi(doc, [((*path, "name"), rule.get("name"))])
    problems += _check_condition_values(doc, (*path, "conditions"), rule.get("conditions"))
    if not flags.any_of(home_paths(path)):  # a scope is judged against the rule's home
        problems += _check_scopes(doc, path, rule)
    problems += _check_schedule(doc, (*path, "schedule"), mapping(rule.get("schedule")))
    return problems + check_tags(doc, path, rule)


def _check_action(
    doc: SpecDocument, path: JsonPath, rule: Entry, flags: Flagged
) -> list[SpecProblem]:
    references = list(_check_group_references(doc, (*path, "actionGroups"), rule))
    keys = ((*path, "actionGroups"), (*path, "suppressNotifications"))
    if flags.any_of(keys):  # "both" or "neither" would misread a value the schema rejected
        return references
    groups, silence = rule.get("actionGroups"), rule.get("suppressNotifications", False)
    if groups and silence:
        message = "give either actionGroups or suppressNotifications: true, not both"
        return [doc.problem((*path, "suppressNotifications"), message, at_key=True)]
    if not groups and not silence:
        message = (
            f"{called('alert processing rule', rule)} does nothing: give actionGroups "
            "(to notify) or suppressNotifications: true (to silence notifications)"
        )
        return [doc.problem(path, message)]
    return references


def _check_group_references(
    doc: SpecDocument, path: JsonPath, rule: Entry
) -> Iterator[SpecProblem]:
    seen: set[str] = set()
    for index, reference in strings(rule.get("actionGroups")):
        if reference.casefold() in seen:
            yield doc.problem((*path, index), f"action group {reference!r} is listed twice")
        seen.add(reference.casefold())
        if reference.startswith("/"):
            yield from _check_group_id(doc, (*path, index), reference)


def _check_group_id(doc: SpecDocument, where: JsonPath, reference: str) -> list[SpecProblem]:
    try:
        parsed = ResourceId.parse(reference)
    except ValueError as error:
        return [doc.problem(where, str(error))]
    if (parsed.resource_type or "").lower() != ACTION_GROUP_TYPE.lower() or len(parsed.names) != 1:
        message = (
            f"{reference!r} is not an action group ID (…/providers/{ACTION_GROUP_TYPE}/<name>)"
        )
        return [doc.problem(where, message)]
    return []


def _check_condition_values(
    doc: SpecDocument, path: JsonPath, conditions: object
) -> Iterator[SpecProblem]:
    for key, condition in mapping(conditions).items():
        known = FIELD_VALUES.get(key[:1].upper() + key[1:], ())
        for where, value in _condition_values((*path, key), condition):
            if known and value.casefold() not in {k.casefold() for k in known}:
                message = f"{key} value {value!r} is not one of: {', '.join(known)}"
                yield doc.problem(where, message)


def _condition_values(path: JsonPath, condition: object) -> Iterator[tuple[JsonPath, str]]:
    """(where, value) of a condition's text values: a bare list, or one operator's list."""
    if isinstance(condition, Mapping) and len(condition) == 1:
        ((operator, values),) = condition.items()
        path, condition = (*path, operator), values
    for index, value in strings(condition):
        yield (*path, index), value


def _check_scopes(doc: SpecDocument, path: JsonPath, rule: Entry) -> list[SpecProblem]:
    subscription, group = home(doc, rule)
    if subscription is None or group is None:
        return []  # already reported by the home check
    problems, seen = [], set()
    for index, scope in _scopes(rule.get("scopes")):
        where = (*path, "scopes", index)
        try:
            resolved = scope_id(scope, subscription, group)
        except ValueError as error:
            problems.append(doc.problem(where, str(error)))
            continue
        problems += _check_scope(doc, where, resolved, subscription, resolved in seen)
        if isinstance(scope, str):  # a mapping's names are the schema's to check
            problems += _check_id_names(doc, where, resolved)
        seen.add(resolved)
    return problems + _check_selectors(doc, path, rule, subscription)


def _check_selectors(
    doc: SpecDocument, path: JsonPath, rule: Entry, subscription: str
) -> list[SpecProblem]:
    problems, seen = [], set()
    for index, written in _selectors(rule.get("scopes")):
        where = (*path, "scopes", index, "vaults")
        selector = vault_selector(written, subscription)
        if selector in seen:
            problems.append(doc.problem(where, f"{selector.describe()} is listed twice"))
        elif selector.subscription != subscription.lower():
            message = (
                f"{selector.describe()} is in subscription {selector.subscription}, but the rule "
                f"is in {subscription.lower()}: an alert processing rule cannot span subscriptions"
            )
            problems.append(doc.problem((*where, "subscription"), message))
        seen.add(selector)
    return problems


def _selectors(value: object) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """The vault selectors among the scopes whose keys have the types the schema asks for."""
    for index, scope in enumerate(value if isinstance(value, list) else []):
        written = scope.get("vaults") if is_selector(scope) else None
        if isinstance(written, Mapping) and _selector_sound(written):
            yield index, written


def _selector_sound(written: Mapping[str, Any]) -> bool:
    found_tags = written.get("tags", {})
    return (
        isinstance(written.get("subscription", ""), str)
        and isinstance(written.get("resourceGroup", ""), str)
        and isinstance(found_tags, Mapping)
        and all(isinstance(v, str) for v in found_tags.values())
    )


def _scopes(value: object) -> Iterator[tuple[int, str | Mapping[str, str]]]:
    """The scopes written as text or as a mapping of texts (the schema reports the others)."""
    for index, scope in enumerate(value if isinstance(value, list) else []):
        if isinstance(scope, str) or (
            isinstance(scope, Mapping) and all(isinstance(v, str) for v in scope.values())
        ):
            yield index, scope


def _check_scope(
    doc: SpecDocument, where: JsonPath, scope: ResourceId, subscription: str, twice: bool
) -> list[SpecProblem]:
    if twice:
        return [doc.problem(where, f"scope {scope} is listed twice")]
    if not is_guid(scope.subscription):
        return [doc.problem(where, f"scope {scope}: subscription is not a GUID")]
    if scope.subscription != subscription.lower():
        message = (
            f"scope {scope} is in subscription {scope.subscription}, but the rule is in "
            f"{subscription.lower()}: an alert processing rule cannot span subscriptions"
        )
        return [doc.problem(where, message)]
    return []


def _check_id_names(doc: SpecDocument, where: JsonPath, scope: ResourceId) -> list[SpecProblem]:
    """The names inside a full-ID scope, held to the rules of the ones declared in a spec."""
    names = []
    if scope.resource_group is not None:
        names.append(("resource group", scope.resource_group, "resourceGroupName"))
    if (scope.resource_type or "").lower() == VAULT_TYPE.lower():
        names.append(("vault", scope.name, "vaultName"))
    problems = []
    for kind, name, rule in names:
        broken = _broken_name_rule(rule, name)
        if broken:
            problems.append(doc.problem(where, f"scope {scope}: {kind} {name!r}: {broken}"))
    return problems


def _broken_name_rule(rule: str, name: str) -> str | None:
    """The schema's wording of the name rule `name` breaks, if any (one source for the rules)."""
    definition = schema()["$defs"][rule]
    too_long = len(name) > definition.get("maxLength", len(name))
    if too_long or not re.search(definition["pattern"], name):
        return str(definition["patternErrorMessage"])
    return None


def _check_schedule(doc: SpecDocument, path: JsonPath, schedule: Entry) -> list[SpecProblem]:
    problems = _check_time_zone(doc, (*path, "timeZone"), text(schedule.get("timeZone")))
    moments = {}
    for key in ("effectiveFrom", "effectiveUntil"):
        written = text(schedule.get(key))
        if written is not None:
            moments[key] = _parse(written, "%Y-%m-%dT%H:%M:%S")
            if moments[key] is None:
                message = f"{key} {written!r} is not a real date and time"
                problems.append(doc.problem((*path, key), message))
    start, end = moments.get("effectiveFrom"), moments.get("effectiveUntil")
    if start and end and end <= start:
        message = f"effectiveUntil {schedule['effectiveUntil']!r} must be after effectiveFrom {schedule['effectiveFrom']!r}"
        problems.append(doc.problem((*path, "effectiveUntil"), message))
    for index, recurrence in mappings(schedule.get("recurrences")):
        problems += _check_recurrence(doc, (*path, "recurrences", index), recurrence)
    return problems


def _check_time_zone(doc: SpecDocument, where: JsonPath, name: str | None) -> list[SpecProblem]:
    if name is None or canonical_time_zone(name):
        return []
    message = f"timeZone {name!r} is not a Windows time zone name"
    close = difflib.get_close_matches(name, WINDOWS_TIME_ZONES, n=1, cutoff=0.6)
    if close:
        message += f"; did you mean '{close[0]}'?"
    elif "/" in name:
        message += " (Azure takes Windows names such as 'Tokyo Standard Time', not IANA names)"
    return [doc.problem(where, message)]


def _check_recurrence(
    doc: SpecDocument, path: JsonPath, recurrence: Entry
) -> Iterator[SpecProblem]:
    for kind, window in recurrence.items():
        for key in ("startTime", "endTime"):
            written = text(mapping(window).get(key))
            if written is not None and _parse(written, "%H:%M:%S") is None:
                message = f"{key} {written!r} is not a time of day (00:00:00 to 23:59:59)"
                yield doc.problem((*path, kind, key), message)


def _parse(written: str, layout: str) -> datetime | None:
    try:
        return datetime.strptime(written, layout)
    except ValueError:
        return None
