"""Checks within one spec file that JSON Schema cannot express (emails, names, times, scopes)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from provisioner.document import SpecDocument
from provisioner.errors import SpecProblem
from provisioner.ids import ACTION_GROUP_TYPE, ResourceId, is_guid
from provisioner.model import FIELD_VALUES, MANAGED_BY_TAG, OWNER_TAG
from provisioner.timezones import WINDOWS_TIME_ZONES, canonical_time_zone
from provisioner.yaml_loader import JsonPath

Entry = Mapping[str, Any]

SECTION_KINDS = {
    "actionGroups": "action group",
    "alertProcessingRules": "alert processing rule",
    "vaults": "vault",
}
RECEIVER_KINDS = {
    "emailReceivers": "email",
    "smsReceivers": "SMS",
    "webhookReceivers": "webhook",
    "armRoleReceivers": "ARM role",
}
_AAD_KEYS = ("objectId", "identifierUri", "tenantId")
_RESERVED_TAGS = (MANAGED_BY_TAG, OWNER_TAG)
MAX_TAGS = 50  # per resource, Azure's limit (tag-resources.md), ownership tags included


def check_document(doc: SpecDocument, flagged: Sequence[JsonPath]) -> list[SpecProblem]:
    """Semantic problems of one document; entries the schema already flagged are skipped."""
    problems = list(_check_tag_names(doc, ("tags",), doc.data.get("tags")))
    for section, index, entry in entries(doc):
        path: JsonPath = (section, index)
        if any(issue[: len(path)] == path for issue in flagged):
            continue
        problems += _check_home(doc, path, entry)
        problems += _CHECKS[section](doc, path, entry)
    return problems


def entries(doc: SpecDocument) -> Iterator[tuple[str, int, Entry]]:
    """(section, index, entry) for every declared resource that is at least a mapping."""
    for section in SECTION_KINDS:
        items = doc.data.get(section)
        for index, entry in enumerate(items if isinstance(items, list) else []):
            if isinstance(entry, dict):
                yield section, index, entry


def file_default(doc: SpecDocument, key: str) -> str | None:
    """A usable file-level subscription/resourceGroup default, or None."""
    value = doc.data.get(key)
    if not isinstance(value, str) or (key == "subscription" and not is_guid(value)):
        return None
    return value


def home(doc: SpecDocument, entry: Entry) -> tuple[str | None, str | None]:
    """The (subscription, resource group) an entry lives in: its own, else the file's."""
    subscription = entry.get("subscription") or file_default(doc, "subscription")
    group = entry.get("resourceGroup") or file_default(doc, "resourceGroup")
    return subscription, group


def scope_id(scope: str | Mapping[str, str], subscription: str, group: str) -> ResourceId:
    """A scope as an ARM ID; a mapping's missing parts come from the rule (subscription, group)."""
    if isinstance(scope, str):
        return ResourceId.parse(scope)
    sub = scope.get("subscription", subscription)
    if "vault" in scope:
        rg = scope.get("resourceGroup", group)
        return ResourceId.for_resource(sub, rg, "Microsoft.RecoveryServices/vaults", scope["vault"])
    if "resourceGroup" in scope:
        return ResourceId(sub.lower(), scope["resourceGroup"])
    return ResourceId(sub.lower())


def _check_home(doc: SpecDocument, path: JsonPath, entry: Entry) -> list[SpecProblem]:
    kind = SECTION_KINDS[str(path[0])]
    problems = []
    for key, value in zip(("subscription", "resourceGroup"), home(doc, entry), strict=True):
        if value is None:
            message = f"{kind} '{entry['name']}' has no {key}: set '{key}' on it or at the top of the file"
            problems.append(doc.problem(path, message))
    return problems


# --- action groups ---------------------------------------------------------------------------


def _check_action_group(doc: SpecDocument, path: JsonPath, group: Entry) -> list[SpecProblem]:
    problems = list(_check_receiver_names(doc, path, group))
    for index, receiver in enumerate(group.get("emailReceivers", [])):
        problems += _check_email(doc, (*path, "emailReceivers", index, "address"), receiver)
    for index, receiver in enumerate(group.get("webhookReceivers", [])):
        problems += _check_aad(doc, (*path, "webhookReceivers", index), receiver)
    return problems + _check_tags(doc, path, group)


def _check_receiver_names(doc: SpecDocument, path: JsonPath, group: Entry) -> Iterator[SpecProblem]:
    # Azure: receiver names "must be unique across all receivers within an action group" and
    # compares them ignoring case (actionGroups_API.json; azurerm monitor_action_group docs).
    first_use: dict[str, JsonPath] = {}
    for key in RECEIVER_KINDS:
        for index, receiver in enumerate(group.get(key, [])):
            where = (*path, key, index, "name")
            first = first_use.setdefault(receiver["name"].casefold(), where)
            if first != where:
                message = (
                    f"receiver name '{receiver['name']}' is already used by the "
                    f"{RECEIVER_KINDS[str(first[-3])]} receiver at line {doc.line_of(first)}: "
                    "names must be unique across all receivers of an action group, ignoring case"
                )
                yield doc.problem(where, message)


def _check_email(doc: SpecDocument, where: JsonPath, receiver: Entry) -> list[SpecProblem]:
    try:
        validate_email(receiver["address"], check_deliverability=False)  # offline: no DNS
    except EmailNotValidError as error:
        return [doc.problem(where, f"email address {receiver['address']!r} is not valid: {error}")]
    return []


def _check_aad(doc: SpecDocument, path: JsonPath, receiver: Entry) -> list[SpecProblem]:
    if receiver.get("useAadAuth") and "objectId" not in receiver:
        message = "useAadAuth: true needs objectId (the object ID of the Entra ID application)"
        return [doc.problem((*path, "useAadAuth"), message)]
    if receiver.get("useAadAuth"):
        return []
    stray = [key for key in _AAD_KEYS if key in receiver]
    message = "{} is only used with useAadAuth: true"
    return [doc.problem((*path, key), message.format(key), at_key=True) for key in stray]


# --- tags ------------------------------------------------------------------------------------


def _check_tags(doc: SpecDocument, path: JsonPath, entry: Entry) -> list[SpecProblem]:
    problems = list(_check_tag_names(doc, (*path, "tags"), entry.get("tags")))
    raw = doc.data.get("tags")
    file_tags: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    own: Mapping[str, Any] = entry.get("tags") or {}
    merged = {name.casefold() for name in (*file_tags, *own)}
    if len(merged) + len(_RESERVED_TAGS) > MAX_TAGS:
        message = (
            f"{len(merged)} tags with the file's: at most {MAX_TAGS - len(_RESERVED_TAGS)} "
            f"(Azure allows {MAX_TAGS} and alertsync adds {len(_RESERVED_TAGS)} ownership tags)"
        )
        problems.append(doc.problem((*path, "tags") if own else path, message))
    return problems


def _check_tag_names(doc: SpecDocument, path: JsonPath, tags: object) -> Iterator[SpecProblem]:
    seen: dict[str, str] = {}
    for name in tags if isinstance(tags, Mapping) else ():
        if name.casefold() in _RESERVED_TAGS:
            message = f"tag '{name}' is reserved: alertsync sets it to mark what it manages"
            yield doc.problem((*path, name), message, at_key=True)
        elif seen.setdefault(name.casefold(), name) != name:
            message = f"tags '{seen[name.casefold()]}' and '{name}' differ only in case; Azure treats tag names case-insensitively"
            yield doc.problem((*path, name), message, at_key=True)


# --- alert processing rules ------------------------------------------------------------------


def _check_rule(doc: SpecDocument, path: JsonPath, rule: Entry) -> list[SpecProblem]:
    problems = _check_action(doc, path, rule)
    problems += _check_condition_values(doc, (*path, "conditions"), rule.get("conditions", {}))
    problems += _check_scopes(doc, path, rule)
    if "schedule" in rule:
        problems += _check_schedule(doc, (*path, "schedule"), rule["schedule"])
    return problems + _check_tags(doc, path, rule)


def _check_action(doc: SpecDocument, path: JsonPath, rule: Entry) -> list[SpecProblem]:
    groups, silence = rule.get("actionGroups"), rule.get("suppressNotifications", False)
    if groups and silence:
        message = "give either actionGroups or suppressNotifications: true, not both"
        return [doc.problem((*path, "suppressNotifications"), message, at_key=True)]
    if not groups and not silence:
        message = (
            f"alert processing rule '{rule['name']}' does nothing: give actionGroups "
            "(to notify) or suppressNotifications: true (to silence notifications)"
        )
        return [doc.problem(path, message)]
    return list(_check_group_references(doc, (*path, "actionGroups"), groups or []))


def _check_group_references(
    doc: SpecDocument, path: JsonPath, references: Sequence[str]
) -> Iterator[SpecProblem]:
    seen: set[str] = set()
    for index, reference in enumerate(references):
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
    doc: SpecDocument, path: JsonPath, conditions: Mapping[str, Any]
) -> Iterator[SpecProblem]:
    for key, condition in conditions.items():
        known = FIELD_VALUES.get(key[0].upper() + key[1:], ())
        values = condition if isinstance(condition, list) else next(iter(condition.values()))
        operator = () if isinstance(condition, list) else (next(iter(condition)),)
        for index, value in enumerate(values):
            if known and value.casefold() not in {k.casefold() for k in known}:
                message = f"{key} value {value!r} is not one of: {', '.join(known)}"
                yield doc.problem((*path, key, *operator, index), message)


def _check_scopes(doc: SpecDocument, path: JsonPath, rule: Entry) -> list[SpecProblem]:
    subscription, group = home(doc, rule)
    if subscription is None or group is None:
        return []  # already reported by the home check
    problems, seen = [], set()
    for index, scope in enumerate(rule["scopes"]):
        where = (*path, "scopes", index)
        try:
            resolved = scope_id(scope, subscription, group)
        except ValueError as error:
            problems.append(doc.problem(where, str(error)))
            continue
        problems += _check_scope(doc, where, resolved, subscription, resolved in seen)
        seen.add(resolved)
    return problems


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


def _check_schedule(doc: SpecDocument, path: JsonPath, schedule: Entry) -> list[SpecProblem]:
    problems = _check_time_zone(doc, (*path, "timeZone"), schedule.get("timeZone"))
    moments = {}
    for key in ("effectiveFrom", "effectiveUntil"):
        if key in schedule:
            moments[key] = _parse(schedule[key], "%Y-%m-%dT%H:%M:%S")
            if moments[key] is None:
                problems.append(
                    doc.problem(
                        (*path, key), f"{key} {schedule[key]!r} is not a real date and time"
                    )
                )
    start, end = moments.get("effectiveFrom"), moments.get("effectiveUntil")
    if start and end and end <= start:
        message = f"effectiveUntil {schedule['effectiveUntil']!r} must be after effectiveFrom {schedule['effectiveFrom']!r}"
        problems.append(doc.problem((*path, "effectiveUntil"), message))
    for index, recurrence in enumerate(schedule.get("recurrences", [])):
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
            if key in window and _parse(window[key], "%H:%M:%S") is None:
                message = f"{key} {window[key]!r} is not a time of day (00:00:00 to 23:59:59)"
                yield doc.problem((*path, kind, key), message)


def _parse(text: str, layout: str) -> datetime | None:
    try:
        return datetime.strptime(text, layout)
    except ValueError:
        return None


def _check_vault(doc: SpecDocument, path: JsonPath, vault: Entry) -> list[SpecProblem]:
    return []  # names and settings are fully checked by the schema; the home by _check_home


_CHECKS = {
    "actionGroups": _check_action_group,
    "alertProcessingRules": _check_rule,
    "vaults": _check_vault,
}
