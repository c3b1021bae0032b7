"""What an action group means to the spec stage: its entry as the model, and its checks."""

from __future__ import annotations

import unicodedata
import urllib.parse
from collections.abc import Iterator
from typing import Final

from email_validator import EmailNotValidError, validate_email

from provisioner.errors import SpecProblem
from provisioner.ids import ACTION_GROUP_TYPE, is_guid
from provisioner.model import (
    GLOBAL_LOCATION,
    ActionGroup,
    ArmRoleReceiver,
    EmailReceiver,
    Secret,
    SmsReceiver,
    WebhookReceiver,
    canonical_guid,
    canonical_location,
    sort_receivers,
)
from provisioner.spec.behaviour.common import Flagged, check_bidi, check_tags
from provisioner.spec.building import Builder, resource_id, tags
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import Entry, mappings, text
from provisioner.spec.regions import closest_regions, is_known_location
from provisioner.spec.yaml_loader import JsonPath

RECEIVER_KINDS: Final = {
    "emailReceivers": "email",
    "smsReceivers": "SMS",
    "webhookReceivers": "webhook",
    "armRoleReceivers": "ARM role",
}
_AAD_KEYS = ("objectId", "identifierUri", "tenantId")

# The built-in roles an ARM role receiver can notify, by role definition ID (the same in every
# tenant): docs/azure-behaviour.md#action-group-arm-roles.
NOTIFIABLE_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "749f88d5-cbae-40b8-bcfc-e573ddc772fa": "Monitoring Contributor",
    "43d0d8ad-25c7-4714-9337-8ba259a9fe05": "Monitoring Reader",
}


# --- building --------------------------------------------------------------------------------


def build(builder: Builder, doc: SpecDocument, path: JsonPath, entry: Entry) -> None:
    """Declared in the first pass, so that rules in any file can name the group."""
    builder.add(doc, path, _action_group(builder, doc, path, entry))


def _action_group(builder: Builder, doc: SpecDocument, path: JsonPath, entry: Entry) -> ActionGroup:
    return ActionGroup(
        id=resource_id(doc, entry, ACTION_GROUP_TYPE),
        short_name=entry["shortName"],
        enabled=entry.get("enabled", True),
        location=canonical_location(entry.get("location", GLOBAL_LOCATION)),
        tags=tags(doc, entry),
        email_receivers=sort_receivers(_email(r) for r in entry.get("emailReceivers", [])),
        sms_receivers=sort_receivers(_sms(r) for r in entry.get("smsReceivers", [])),
        webhook_receivers=sort_receivers(_webhooks(builder, doc, path, entry)),
        arm_role_receivers=sort_receivers(_arm_role(r) for r in entry.get("armRoleReceivers", [])),
    )


def _webhooks(
    builder: Builder, doc: SpecDocument, path: JsonPath, entry: Entry
) -> Iterator[WebhookReceiver]:
    for index, receiver in enumerate(entry.get("webhookReceivers", [])):
        where = (*path, "webhookReceivers", index, "serviceUriFromEnv")
        yield WebhookReceiver(
            name=receiver["name"],
            service_uri=_secret(builder, doc, where, receiver),
            use_common_alert_schema=receiver.get("useCommonAlertSchema", False),
            use_aad_auth=receiver.get("useAadAuth", False),
            object_id=canonical_guid(receiver.get("objectId")),
            identifier_uri=receiver.get("identifierUri"),
            tenant_id=canonical_guid(receiver.get("tenantId")),
        )


def _secret(builder: Builder, doc: SpecDocument, where: JsonPath, receiver: Entry) -> Secret:
    variable: str = receiver["serviceUriFromEnv"]
    if builder.env is None:
        return unresolved_secret(variable)
    value = builder.env.get(variable, "")
    flaw = webhook_url_flaw(value)
    # Unset or empty: missing_variables says it once, for every receiver that needs it.
    if flaw and value.strip():
        # Never the value: it is the secret, and this message ends up in CI logs.
        message = (
            f"environment variable {variable} {flaw}: webhook receiver "
            f"'{receiver['name']}' takes its URL from it"
        )
        builder.problems.append(doc.problem(where, message))
    return Secret(value)


def webhook_url_flaw(value: str) -> str | None:
    """Why `value` is not a webhook URL Azure can call (an https URL, nothing else), or None.

    Worded without the value itself: it is a secret.
    """
    if not value.strip():
        return "is not set or empty"
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in value):
        return "holds whitespace or a control character (a trailing newline?); set the bare URL"
    try:
        parts = urllib.parse.urlsplit(value)
        https = parts.scheme.lower() == "https" and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        https = False
    if not https:
        return "does not hold an https URL (https://host/path…)"
    return None


def unresolved_secret(variable: str) -> Secret:
    """The placeholder for a webhook URL when validating without the environment (env=None)."""
    return Secret(f"${{{variable}}}")


def _email(receiver: Entry) -> EmailReceiver:
    return EmailReceiver(
        receiver["name"], receiver["address"].strip(), receiver.get("useCommonAlertSchema", False)
    )


def _sms(receiver: Entry) -> SmsReceiver:
    return SmsReceiver(receiver["name"], receiver["countryCode"], receiver["phoneNumber"])


def _arm_role(receiver: Entry) -> ArmRoleReceiver:
    role = canonical_guid(receiver["roleId"]) or ""
    return ArmRoleReceiver(receiver["name"], role, receiver.get("useCommonAlertSchema", False))


# --- checks beyond the schema ----------------------------------------------------------------


def check(doc: SpecDocument, path: JsonPath, group: Entry, flags: Flagged) -> list[SpecProblem]:
    problems = list(_check_receiver_names(doc, path, group))
    for index, receiver in mappings(group.get("emailReceivers")):
        problems += _check_email(doc, (*path, "emailReceivers", index, "address"), receiver)
    for index, receiver in mappings(group.get("webhookReceivers")):
        problems += _check_aad(doc, (*path, "webhookReceivers", index), receiver)
    for index, receiver in mappings(group.get("armRoleReceivers")):
        problems += _check_role(doc, (*path, "armRoleReceivers", index, "roleId"), receiver)
    problems += _check_location(doc, (*path, "location"), text(group.get("location")))
    problems += check_bidi(doc, _names_of_group(path, group))
    return problems + check_tags(doc, path, group)


def _names_of_group(path: JsonPath, group: Entry) -> Iterator[tuple[JsonPath, object]]:
    """(where, value) of every name an action group declares: its own, its short name and its
    receivers'."""
    yield (*path, "name"), group.get("name")
    yield (*path, "shortName"), group.get("shortName")
    for key in RECEIVER_KINDS:
        for index, receiver in mappings(group.get(key)):
            yield (*path, key, index, "name"), receiver.get("name")


def _check_role(doc: SpecDocument, where: JsonPath, receiver: Entry) -> list[SpecProblem]:
    role = text(receiver.get("roleId"))
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


def _check_receiver_names(doc: SpecDocument, path: JsonPath, group: Entry) -> Iterator[SpecProblem]:
    # Azure: receiver names "must be unique across all receivers within an action group" and
    # compares them ignoring case (actionGroups_API.json; azurerm monitor_action_group docs).
    first_use: dict[str, JsonPath] = {}
    for key in RECEIVER_KINDS:
        for index, receiver in mappings(group.get(key)):
            name = text(receiver.get("name"))
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
    address = text(receiver.get("address"))
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
