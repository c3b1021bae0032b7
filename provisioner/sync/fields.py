"""Resources as nested field trees named like the spec keys: the basis of field diffs and display."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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

# A leaf is a str, bool, int, None, ResourceId or Secret. Leaves keep their model types so that
# comparison stays the model's own (IDs ignore case, secrets compare by value).
Tree = dict[str, Any]


class Keyed(dict[str, Any]):
    """A collection shown entry by entry as `name[key]`: receivers by name, tags, conditions by
    field. An entry added or removed is one line, even when the whole collection is new or gone."""


class ItemSet(Keyed):
    """A list whose order Azure ignores, as a set: each item is its own key and value.

    Adding one vault to a rule of a thousand scopes is then one `+ scopes` line (JSON path
    `scopes[<id>]`), not a rewrite of the list.
    """


def item_set(items: Iterable[Any]) -> ItemSet:
    """The items keyed by their text (IDs as written; the diff aligns their case)."""
    return ItemSet({str(item): item for item in items})


def resource_fields(resource: Resource) -> Tree:
    """The field tree of any resource kind."""
    tree: Callable[[Any], Tree] = _FIELD_TREES[resource.KIND]
    return tree(resource)


def action_group_fields(group: ActionGroup) -> Tree:
    tree: Tree = {
        "shortName": group.short_name,
        "enabled": group.enabled,
        "location": group.location,
        "tags": Keyed(group.tags),
    }
    receiver_lists: dict[str, tuple[Receiver, ...]] = {
        "emailReceivers": group.email_receivers,
        "smsReceivers": group.sms_receivers,
        "webhookReceivers": group.webhook_receivers,
        "armRoleReceivers": group.arm_role_receivers,
    }
    for key, receivers in receiver_lists.items():
        tree[key] = Keyed({r.name: _receiver_fields(r) for r in receivers})
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
        "tags": Keyed(rule.tags),
        "scopes": item_set(rule.scopes),
        "conditions": Keyed({c.field: _condition_fields(c) for c in rule.conditions}),
    }
    if rule.action_type == "AddActionGroups":
        tree["actionGroups"] = item_set(rule.action_group_ids)
    else:
        tree["suppressNotifications"] = True
    if rule.schedule is not None:
        tree["schedule"] = _schedule_fields(rule.schedule)
    return tree


def _condition_fields(condition: Condition) -> Tree:
    return {"operator": condition.operator, "values": item_set(condition.values)}


def _schedule_fields(schedule: Schedule) -> Tree:
    return {
        "effectiveFrom": schedule.effective_from,
        "effectiveUntil": schedule.effective_until,
        "timeZone": schedule.time_zone,
        "recurrences": _recurrences(schedule.recurrences),
    }


def _recurrences(recurrences: Iterable[Recurrence]) -> Keyed:
    """Each recurrence under its key; two of one key (their days differ) are told apart by a
    number, in the canonical order both sides share, so that no recurrence is ever lost."""
    tree = Keyed()
    for recurrence in recurrences:
        key = unique = _recurrence_key(recurrence)
        number = 2
        while unique in tree:
            unique, number = f"{key} #{number}", number + 1
        tree[unique] = _recurrence_fields(recurrence)
    return tree


def _recurrence_key(recurrence: Recurrence) -> str:
    """A recurrence by its kind and window, e.g. `weekly 22:00:00-06:00:00` or `weekly all day`:
    its days are then a set of their own, so adding Monday is one line."""
    window = (
        f"{recurrence.start_time or '00:00:00'}-{recurrence.end_time or '24:00:00'}"
        if recurrence.start_time or recurrence.end_time
        else "all day"
    )
    return f"{recurrence.type.lower()} {window}"


def _recurrence_fields(recurrence: Recurrence) -> Tree:
    return {
        "startTime": recurrence.start_time,
        "endTime": recurrence.end_time,
        "daysOfWeek": item_set(recurrence.days_of_week),
        "daysOfMonth": item_set(recurrence.days_of_month),
    }


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
    if isinstance(value, ItemSet):
        return [to_json(v) for v in value.values()]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    return value
