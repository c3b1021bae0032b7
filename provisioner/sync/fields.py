"""Resources as nested field trees named like the spec keys: the basis of field diffs and display."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from provisioner import kinds
from provisioner.ids import ResourceId
from provisioner.kinds import Kind
from provisioner.model import (
    ActionGroup,
    AlertProcessingRule,
    Condition,
    Receiver,
    Recurrence,
    Resource,
    Schedule,
    Secret,
    VaultAlertSettings,
)

# A leaf is a str, bool, int, None, ResourceId, Secret or a tuple of those. Leaves keep their model
# types so that comparison stays the model's own (IDs ignore case, secrets compare by value).
Tree = dict[str, Any]


def resource_fields(resource: Resource) -> Tree:
    """The field tree of any resource kind."""
    tree: Callable[[Any], Tree] = _FIELD_TREES[resource.KIND]
    return tree(resource)


def action_group_fields(group: ActionGroup) -> Tree:
    tree: Tree = {
        "shortName": group.short_name,
        "enabled": group.enabled,
        "location": group.location,
        "tags": dict(group.tags),
    }
    receiver_lists: dict[str, tuple[Receiver, ...]] = {
        "emailReceivers": group.email_receivers,
        "smsReceivers": group.sms_receivers,
        "webhookReceivers": group.webhook_receivers,
        "armRoleReceivers": group.arm_role_receivers,
    }
    for key, receivers in receiver_lists.items():
        tree[key] = {r.name: _receiver_fields(r) for r in receivers}
    return tree


_RECEIVER_KEYS = {
    "address": "address",
    "use_common_alert_schema": "useCommonAlertSchema",
    "country_code": "countryCode",
    "phone_number": "phoneNumber",
    "service_uri": "serviceUri",
    "use_aad_auth": "useAadAuth",
    "object_id": "objectId",
    "identifier_uri": "identifierUri",
    "tenant_id": "tenantId",
    "role_id": "roleId",
}


def _receiver_fields(receiver: object) -> Tree:
    return {
        spec_key: getattr(receiver, attr)
        for attr, spec_key in _RECEIVER_KEYS.items()
        if hasattr(receiver, attr)
    }


def processing_rule_fields(rule: AlertProcessingRule) -> Tree:
    tree: Tree = {
        "description": rule.description,
        "enabled": rule.enabled,
        "location": rule.location,
        "tags": dict(rule.tags),
        "scopes": rule.scopes,
        "conditions": {c.field: _condition_fields(c) for c in rule.conditions},
    }
    if rule.action_type == "AddActionGroups":
        tree["actionGroups"] = rule.action_group_ids
    else:
        tree["suppressNotifications"] = True
    if rule.schedule is not None:
        tree["schedule"] = _schedule_fields(rule.schedule)
    return tree


def _condition_fields(condition: Condition) -> Tree:
    return {"operator": condition.operator, "values": condition.values}


def _schedule_fields(schedule: Schedule) -> Tree:
    return {
        "effectiveFrom": schedule.effective_from,
        "effectiveUntil": schedule.effective_until,
        "timeZone": schedule.time_zone,
        "recurrences": tuple(_recurrence_text(r) for r in schedule.recurrences),
    }


def _recurrence_text(recurrence: Recurrence) -> str:
    """One readable line per recurrence, e.g. `Weekly Saturday,Sunday 22:00:00-06:00:00`."""
    days = recurrence.days_of_week or tuple(str(d) for d in recurrence.days_of_month)
    window = (
        f"{recurrence.start_time or '00:00:00'}-{recurrence.end_time or '24:00:00'}"
        if recurrence.start_time or recurrence.end_time
        else "all day"
    )
    return " ".join(part for part in (recurrence.type, ",".join(days), window) if part)


def vault_fields(settings: VaultAlertSettings) -> Tree:
    tree: Tree = {}
    if settings.job_failure_alerts is not None:
        tree["jobFailureAlerts"] = settings.job_failure_alerts
    if settings.classic_alerts is not None:
        tree["classicAlerts"] = settings.classic_alerts
    return tree


# The field-tree half of the kind registry (provisioner.kinds).
_FIELD_TREES: Final[dict[Kind, Callable[[Any], Tree]]] = {
    kinds.ACTION_GROUP: action_group_fields,
    kinds.PROCESSING_RULE: processing_rule_fields,
    kinds.VAULT: vault_fields,
}


def to_json(value: Any) -> Any:
    """A field value as plain JSON; secrets are never written out."""
    if isinstance(value, Secret):
        return "(sensitive value)"
    if isinstance(value, ResourceId):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value
