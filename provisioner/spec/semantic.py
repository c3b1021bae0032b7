"""Checks within one spec file that JSON Schema cannot express (emails, names, times, scopes)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from provisioner.errors import SpecProblem
from provisioner.ids import ACTION_GROUP_TYPE, VAULT_TYPE, ResourceId, is_guid
from provisioner.kinds import KINDS, by_section
from provisioner.model import FIELD_VALUES, OWNERSHIP_TAGS, VaultSelector, make_tags
from provisioner.spec.document import SpecDocument, format_json_path, is_at_or_under
from provisioner.spec.regions import closest_regions, is_known_location
from provisioner.spec.schema_check import schema, visible
from provisioner.spec.yaml_loader import JsonPath
from provisioner.timezones import WINDOWS_TIME_ZONES, canonical_time_zone

Entry = Mapping[str, Any]

RECEIVER_KINDS = {
    "emailReceivers": "email",
    "smsReceivers": "SMS",
    "webhookReceivers": "webhook",
    "armRoleReceivers": "ARM role",
}
_AAD_KEYS = ("objectId", "identifierUri", "tenantId")
MAX_TAGS = 50  # per resource, Azure's limit (tag-resources.md), ownership tags included


@dataclass(frozen=True)
class Flagged:
    """The paths the schema already reported: their values may have any type, or be missing."""

    paths: frozenset[JsonPath]

    def covers(self, path: JsonPath) -> bool:
        """True when path is at or under a flagged path."""
        return any(path[: len(flagged)] == flagged for flagged in self.paths)

    def covers_problem(self, problem: SpecProblem) -> bool:
        """True when the problem is about a flagged value: the schema's message already says it."""
        return any(is_at_or_under(problem.json_path, format_json_path(f)) for f in self.paths)

    def any_of(self, paths: Iterable[JsonPath]) -> bool:
        return any(self.covers(path) for path in paths)


def check_document(doc: SpecDocument, flagged: Sequence[JsonPath]) -> list[SpecProblem]:
    """Semantic problems of one document, except those about values the schema flagged.

    Every check runs on every entry, so that one schema error does not hide the other mistakes
    of its resource; the checks therefore tolerate values of any type.
    """
    flags = Flagged(frozenset(flagged))
    problems = list(_check_tag_names(doc, ("tags",), doc.data.get("tags")))
    for section, index, entry in entries(doc):
        path: JsonPath = (section, index)
        problems += _check_home(doc, path, entry, flags)
        problems += _CHECKS[section](doc, path, entry, flags)
    return [problem for problem in problems if not flags.covers_problem(problem)]


def entries(doc: SpecDocument) -> Iterator[tuple[str, int, Entry]]:
    """(section, index, entry) for every declared resource that is at least a mapping."""
    for section in (kind.section for kind in KINDS):
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
    subscription = _text(entry.get("subscription")) or file_default(doc, "subscription")
    group = _text(entry.get("resourceGroup")) or file_default(doc, "resourceGroup")
    return subscription, group


def _home_paths(path: JsonPath) -> tuple[JsonPath, ...]:
    """Where an entry's home comes from: its own keys and the file's defaults."""
    keys = ("subscription", "resourceGroup")
    return (*((*path, key) for key in keys), *((key,) for key in keys))


# --- tolerant reading: the schema may have flagged a value of any type -------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _mappings(value: object) -> Iterator[tuple[int, Entry]]:
    """(index, item) for the items of a list that are mappings."""
    for index, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, Mapping):
            yield index, item


def _strings(value: object) -> Iterator[tuple[int, str]]:
    """(index, item) for the items of a list that are strings."""
    for index, item in enumerate(value if isinstance(value, list) else []):
        if isinstance(item, str):
            yield index, item


def _called(kind: str, entry: Entry) -> str:
    """`action group 'ag-x'`, or just the kind when the name is missing or not text."""
    name = _text(entry.get("name"))
    return f"{kind} '{name}'" if name else kind


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


def is_selector(scope: object) -> bool:
    """A scope written as `{vaults: {...}}`: the vaults a selector matches."""
    return isinstance(scope, Mapping) and "vaults" in scope


def vault_selector(written: Mapping[str, Any], subscription: str) -> VaultSelector:
    """A selector as written (`{resourceGroup?, tags?, subscription?}`), in `subscription` unless
    it names its own."""
    return VaultSelector(
        subscription=str(written.get("subscription", subscription)).lower(),
        resource_group=written.get("resourceGroup"),
        tags=make_tags(written.get("tags")),
    )


def _check_home(
    doc: SpecDocument, path: JsonPath, entry: Entry, flags: Flagged
) -> list[SpecProblem]:
    called = _called(by_section(str(path[0])).label, entry)
    problems = []
    selects = path[0] == "vaults" and "select" in entry  # a selection has no home group
    for key, value in zip(("subscription", "resourceGroup"), home(doc, entry), strict=True):
        if selects and key == "resourceGroup":
            continue
        if value is None and not flags.any_of([(*path, key), (key,)]):  # else already said
            message = f"{called} has no {key}: set '{key}' on it or at the top of the file"
            problems.append(doc.problem(path, message))
    return problems


# --- action groups ---------------------------------------------------------------------------


def _check_action_group(
    doc: SpecDocument, path: JsonPath, group: Entry, flags: Flagged
) -> list[SpecProblem]:
    problems = list(_check_receiver_names(doc, path, group))
    for index, receiver in _mappings(group.get("emailReceivers")):
        problems += _check_email(doc, (*path, "emailReceivers", index, "address"), receiver)
    for index, receiver in _mappings(group.get("webhookReceivers")):
        problems += _check_aad(doc, (*path, "webhookReceivers", index), receiver)
    for index, receiver in _mappings(group.get("armRoleReceivers")):
        problems += _check_role(doc, (*path, "armRoleReceivers", index, "roleId"), receiver)
    problems += _check_location(doc, (*path, "location"), _text(group.get("location")))
    problems += _check_bidi(doc, _names_of_group(path, group))
    return problems + _check_tags(doc, path, group)


def _names_of_group(path: JsonPath, group: Entry) -> Iterator[tuple[JsonPath, object]]:
    """(where, value) of every name an action group declares: its own, its short name and its
    receivers'."""
    yield (*path, "name"), group.get("name")
    yield (*path, "shortName"), group.get("shortName")
    for key in RECEIVER_KINDS:
        for index, receiver in _mappings(group.get(key)):
            yield (*path, key, index, "name"), receiver.get("name")


# The built-in roles an ARM role receiver can notify, by role definition ID (the same in every
# tenant): docs/azure-behaviour.md#action-group-arm-roles.
NOTIFIABLE_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "749f88d5-cbae-40b8-bcfc-e573ddc772fa": "Monitoring Contributor",
    "43d0d8ad-25c7-4714-9337-8ba259a9fe05": "Monitoring Reader",
}


def _check_role(doc: SpecDocument, where: JsonPath, receiver: Entry) -> list[SpecProblem]:
    role = _text(receiver.get("roleId"))
    if role is None or not is_guid(role) or role.lower() in NOTIFIABLE_ROLES:
        return []  # missing or not a GUID: the schema says so
    roles = ", ".join(f"{name} ({guid})" for guid, name in NOTIFIABLE_ROLES.items())
    message = (
        f"roleId {role!r} is not a role action groups can notify (Azure refuses it with "
        f"NotSupportedArmRole); use one of the built-in roles {roles}"
    )
    return [doc.problem(where, message)]


def _check_location(doc: SpecDocument, where: JsonPath, location: str | None) -> list[SpecProblem]:
    if location is None or is_known_location(location):
        return []
    message = f"location {location!r} is not Global or an Azure region"
    close = " or ".join(f"'{region}'" for region in closest_regions(location))
    message += f"; did you mean {close}?" if close else " (such as swedencentral)"
    return [doc.problem(where, message)]


# Unicode's Bidi_Control characters: they reorder the text around them, so a name can show a
# reviewer (in a diff, a plan, the portal) something else than it is ("Trojan Source").
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _check_bidi(
    doc: SpecDocument, names: Iterable[tuple[JsonPath, object]]
) -> Iterator[SpecProblem]:
    for where, name in names:
        found = _BIDI_CONTROLS.search(name) if isinstance(name, str) else None
        if found and isinstance(name, str):
            code = ord(found.group())
            label = where[-1] if where[-1] in ("name", "shortName") else "tag name"
            message = (
                f"{label} '{visible(name)}' holds U+{code:04X} "
                f"({unicodedata.name(found.group())}), a bidirectional control character: "
                "reviewers would see the text around it reordered; remove it"
            )
            yield doc.problem(where, message, at_key=label == "tag name")


def _check_receiver_names(doc: SpecDocument, path: JsonPath, group: Entry) -> Iterator[SpecProblem]:
    # Azure: receiver names "must be unique across all receivers within an action group" and
    # compares them ignoring case (actionGroups_API.json; azurerm monitor_action_group docs).
    first_use: dict[str, JsonPath] = {}
    for key in RECEIVER_KINDS:
        for index, receiver in _mappings(group.get(key)):
            name = _text(receiver.get("name"))
            if name is None:
                continue
            where = (*path, key, index, "name")
            first = first_use.setdefault(name.casefold(), where)
            if first != where:
                message = (
                    f"receiver name '{name}' is already used by the "
                    f"{RECEIVER_KINDS[str(first[-3])]} receiver at line {doc.line_of(first)}: "
                    "names must be unique across all receivers of an action group, ignoring case"
                )
                yield doc.problem(where, message)


def _check_email(doc: SpecDocument, where: JsonPath, receiver: Entry) -> list[SpecProblem]:
    address = _text(receiver.get("address"))
    if address is None:
        return []  # missing or not text: the schema says so
    try:
        validate_email(address, check_deliverability=False)  # offline: no DNS
    except EmailNotValidError as error:
        return [doc.problem(where, f"email address {address!r} is not valid: {error}")]
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
    own = _mapping(entry.get("tags"))
    merged = {name.casefold() for name in (*file_tags, *own)}
    if len(merged) + len(OWNERSHIP_TAGS) > MAX_TAGS:
        message = (
            f"{len(merged)} tags with the file's: at most {MAX_TAGS - len(OWNERSHIP_TAGS)} "
            f"(Azure allows {MAX_TAGS} and alertsync adds {len(OWNERSHIP_TAGS)} ownership tags)"
        )
        problems.append(doc.problem((*path, "tags") if own else path, message))
    return problems


def _check_tag_names(doc: SpecDocument, path: JsonPath, tags: object) -> Iterator[SpecProblem]:
    names = tags if isinstance(tags, Mapping) else {}
    yield from _check_bidi(doc, [((*path, name), name) for name in names])  # tag names
    seen: dict[str, str] = {}
    for name in tags if isinstance(tags, Mapping) else ():
        if name.casefold() in OWNERSHIP_TAGS:
            message = f"tag '{name}' is reserved: alertsync sets it to mark what it manages"
            yield doc.problem((*path, name), message, at_key=True)
        elif seen.setdefault(name.casefold(), name) != name:
            message = f"tags '{seen[name.casefold()]}' and '{name}' differ only in case; Azure treats tag names case-insensitively"
            yield doc.problem((*path, name), message, at_key=True)


# --- alert processing rules ------------------------------------------------------------------


def _check_rule(
    doc: SpecDocument, path: JsonPath, rule: Entry, flags: Flagged
) -> list[SpecProblem]:
    problems = _check_action(doc, path, rule, flags)
    problems += _check_bidi(doc, [((*path, "name"), rule.get("name"))])
    problems += _check_condition_values(doc, (*path, "conditions"), rule.get("conditions"))
    if not flags.any_of(_home_paths(path)):  # a scope is judged against the rule's home
        problems += _check_scopes(doc, path, rule)
    problems += _check_schedule(doc, (*path, "schedule"), _mapping(rule.get("schedule")))
    return problems + _check_tags(doc, path, rule)


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
            f"{_called('alert processing rule', rule)} does nothing: give actionGroups "
            "(to notify) or suppressNotifications: true (to silence notifications)"
        )
        return [doc.problem(path, message)]
    return references


def _check_group_references(
    doc: SpecDocument, path: JsonPath, rule: Entry
) -> Iterator[SpecProblem]:
    seen: set[str] = set()
    for index, reference in _strings(rule.get("actionGroups")):
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
    for key, condition in _mapping(conditions).items():
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
    for index, value in _strings(condition):
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
    tags = written.get("tags", {})
    return (
        isinstance(written.get("subscription", ""), str)
        and isinstance(written.get("resourceGroup", ""), str)
        and isinstance(tags, Mapping)
        and all(isinstance(v, str) for v in tags.values())
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
    problems = _check_time_zone(doc, (*path, "timeZone"), _text(schedule.get("timeZone")))
    moments = {}
    for key in ("effectiveFrom", "effectiveUntil"):
        text = _text(schedule.get(key))
        if text is not None:
            moments[key] = _parse(text, "%Y-%m-%dT%H:%M:%S")
            if moments[key] is None:
                message = f"{key} {text!r} is not a real date and time"
                problems.append(doc.problem((*path, key), message))
    start, end = moments.get("effectiveFrom"), moments.get("effectiveUntil")
    if start and end and end <= start:
        message = f"effectiveUntil {schedule['effectiveUntil']!r} must be after effectiveFrom {schedule['effectiveFrom']!r}"
        problems.append(doc.problem((*path, "effectiveUntil"), message))
    for index, recurrence in _mappings(schedule.get("recurrences")):
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
            text = _text(_mapping(window).get(key))
            if text is not None and _parse(text, "%H:%M:%S") is None:
                message = f"{key} {text!r} is not a time of day (00:00:00 to 23:59:59)"
                yield doc.problem((*path, kind, key), message)


def _parse(text: str, layout: str) -> datetime | None:
    try:
        return datetime.strptime(text, layout)
    except ValueError:
        return None


def _check_vault(
    doc: SpecDocument, path: JsonPath, vault: Entry, flags: Flagged
) -> list[SpecProblem]:
    # Names and settings are fully checked by the schema; the home by _check_home.
    if "select" in vault and "resourceGroup" in vault:
        message = (
            "with select, give the resource group inside it (select: {resourceGroup: ...}): "
            "an entry's own resourceGroup belongs to a vault given by name"
        )
        return [doc.problem((*path, "resourceGroup"), message, at_key=True)]
    return []


_CHECKS = {
    "actionGroups": _check_action_group,
    "alertProcessingRules": _check_rule,
    "vaults": _check_vault,
}
