"""Canonical models → spec documents (plain dicts in the spec language): the inverse of desired.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from provisioner.ids import VAULT_TYPE, ResourceId
from provisioner.model import (
    FIELD_OPERATORS,
    GLOBAL_LOCATION,
    OWNERSHIP_TAGS,
    ActionGroup,
    AlertProcessingRule,
    ArmRoleReceiver,
    Condition,
    EmailReceiver,
    Recurrence,
    Schedule,
    SmsReceiver,
    Tags,
    VaultAlertSettings,
    WebhookReceiver,
)

API_VERSION: Final = "alertsync/v1"

Document = dict[str, Any]


@dataclass(frozen=True)
class SpecContext:
    """What every entry of one file needs: the file's defaults and how to name other resources."""

    owner: str
    subscription: str
    resource_group: str
    # Action groups rules may name (the others are written as full IDs).
    group_names: Mapping[ResourceId, str]
    # The environment variable of each webhook receiver, by (group ID, receiver name).
    webhook_variables: Mapping[tuple[ResourceId, str], str]


def file_document(
    context: SpecContext,
    groups: Sequence[ActionGroup],
    rules: Sequence[AlertProcessingRule],
    vaults: Sequence[VaultAlertSettings],
) -> Document:
    """A spec file in the docs' key order; file defaults make the entries short."""
    document: Document = {
        "apiVersion": API_VERSION,
        "owner": context.owner,
        "subscription": context.subscription,
        "resourceGroup": context.resource_group,
    }
    _put(
        document,
        "actionGroups",
        [action_group_entry(g, context) for g in sorted(groups, key=_by_id)],
    )
    _put(
        document,
        "alertProcessingRules",
        [rule_entry(r, context) for r in sorted(rules, key=_by_id)],
    )
    _put(document, "vaults", [vault_entry(v, context) for v in sorted(vaults, key=_by_id)])
    return document


def _by_id(resource: ActionGroup | AlertProcessingRule | VaultAlertSettings) -> ResourceId:
    return resource.id


def _put(entry: Document, key: str, value: Any) -> None:
    """Set a key only when it says something: empty lists, mappings and text are defaults."""
    if value:
        entry[key] = value


def _entry_start(resource_id: ResourceId, context: SpecContext) -> Document:
    """`name`, plus `resourceGroup`/`subscription` where they differ from the file's."""
    entry: Document = {"name": resource_id.name}
    if str(resource_id.resource_group).lower() != context.resource_group.lower():
        entry["resourceGroup"] = resource_id.resource_group
    if resource_id.subscription != context.subscription.lower():
        entry["subscription"] = resource_id.subscription
    return entry


def user_tags(tags: Tags) -> dict[str, str]:
    """The resource's tags without the ones alertsync itself sets (spec files may not declare them)."""
    return {name: value for name, value in tags if name.lower() not in OWNERSHIP_TAGS}


# --- action groups ---


def action_group_entry(group: ActionGroup, context: SpecContext) -> Document:
    """An `actionGroups[]` entry; webhook URLs become environment variable names."""
    entry = _entry_start(group.id, context)
    entry["shortName"] = group.short_name
    if not group.enabled:
        entry["enabled"] = False
    if group.location != GLOBAL_LOCATION:
        entry["location"] = group.location
    _put(entry, "tags", user_tags(group.tags))
    _put(entry, "emailReceivers", [_email(r) for r in group.email_receivers])
    _put(entry, "smsReceivers", [_sms(r) for r in group.sms_receivers])
    webhooks = [
        _webhook(r, context.webhook_variables[(group.id, r.name)]) for r in group.webhook_receivers
    ]
    _put(entry, "webhookReceivers", webhooks)
    _put(entry, "armRoleReceivers", [_arm_role(r) for r in group.arm_role_receivers])
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
            _put(entry, key, value)
    return entry


def _arm_role(receiver: ArmRoleReceiver) -> Document:
    entry = {"name": receiver.name, "roleId": receiver.role_id}
    return _common_schema(entry, receiver.use_common_alert_schema)


# --- alert processing rules ---


def rule_entry(rule: AlertProcessingRule, context: SpecContext) -> Document:
    """An `alertProcessingRules[]` entry: scopes and groups as names where the specs can say so."""
    entry = _entry_start(rule.id, context)
    _put(entry, "description", rule.description)
    if not rule.enabled:
        entry["enabled"] = False
    _put(entry, "tags", user_tags(rule.tags))
    entry["scopes"] = [scope_entry(s, rule.id) for s in rule.scopes]
    _put(entry, "conditions", conditions_entry(rule.conditions))
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
    _put(entry, "effectiveFrom", schedule.effective_from)
    _put(entry, "effectiveUntil", schedule.effective_until)
    _put(entry, "timeZone", schedule.time_zone)
    _put(entry, "recurrences", [recurrence_entry(r) for r in schedule.recurrences])
    return entry


def recurrence_entry(recurrence: Recurrence) -> Document:
    window: Document = {}
    _put(window, "daysOfWeek", list(recurrence.days_of_week))
    _put(window, "daysOfMonth", list(recurrence.days_of_month))
    _put(window, "startTime", recurrence.start_time)
    _put(window, "endTime", recurrence.end_time)
    return {recurrence.type.lower(): window}


# --- vaults ---


def vault_entry(vault: VaultAlertSettings, context: SpecContext) -> Document:
    """A `vaults[]` entry with the settings Azure reported (both, when read from Azure)."""
    entry = _entry_start(vault.id, context)
    if vault.job_failure_alerts is not None:
        entry["jobFailureAlerts"] = vault.job_failure_alerts
    if vault.classic_alerts is not None:
        entry["classicAlerts"] = vault.classic_alerts
    return entry
