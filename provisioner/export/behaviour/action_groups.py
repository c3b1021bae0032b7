"""An action group as its `actionGroups[]` spec entry (the inverse of spec/behaviour)."""

from __future__ import annotations

from provisioner.export.behaviour.common import Document, SpecContext, entry_start, put, user_tags
from provisioner.model import (
    GLOBAL_LOCATION,
    ActionGroup,
    ArmRoleReceiver,
    EmailReceiver,
    SmsReceiver,
    WebhookReceiver,
)


def action_group_entry(group: ActionGroup, context: SpecContext) -> Document:
    """An `actionGroups[]` entry; webhook URLs become environment variable names."""
    entry = entry_start(group.id, context)
    entry["shortName"] = group.short_name
    if not group.enabled:
        entry["enabled"] = False
    if group.location != GLOBAL_LOCATION:
        entry["location"] = group.location
    put(entry, "tags", user_tags(group.tags))
    put(entry, "emailReceivers", [_email(r) for r in group.email_receivers])
    put(entry, "smsReceivers", [_sms(r) for r in group.sms_receivers])
    webhooks = [
        _webhook(r, context.webhook_variables[(group.id, r.name)]) for r in group.webhook_receivers
    ]
    put(entry, "webhookReceivers", webhooks)
    put(entry, "armRoleReceivers", [_arm_role(r) for r in group.arm_role_receivers])
    return entry


def _common_schema(entry: Document, on: bool) -> Document:
    if on:
        entry["useCommonAlertSchema"] = True
    return entry


def _email(receiver: EmailReceiver) -> Document:
    entry = {"name": receiver.name, "address": receiver.address}
    return _common_schema(entry, receiver.use_common_alert_schema)


def _sms(receiver: SmsReceiver) -> Document:
    return {
        "name": receiver.name,
        "countryCode": receiver.country_code,
        "phoneNumber": receiver.phone_number,
    }


def _webhook(receiver: WebhookReceiver, variable: str) -> Document:
    entry = _common_schema(
        {"name": receiver.name, "serviceUriFromEnv": variable}, receiver.use_common_alert_schema
    )
    # The Entra ID settings are only valid (and only used by Azure) with useAadAuth.
    if receiver.use_aad_auth:
        entry["useAadAuth"] = True
        for key, value in (
            ("objectId", receiver.object_id),
            ("identifierUri", receiver.identifier_uri),
            ("tenantId", receiver.tenant_id),
        ):
            put(entry, key, value)
    return entry


def _arm_role(receiver: ArmRoleReceiver) -> Document:
    entry = {"name": receiver.name, "roleId": receiver.role_id}
    return _common_schema(entry, receiver.use_common_alert_schema)
