"""Action groups in the sync stage: their field tree, safety rules and what a plan notes of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from provisioner.ids import ResourceId
from provisioner.model import ActionGroup, Receiver
from provisioner.sync.behaviour.common import disables, updates
from provisioner.sync.changes import Change
from provisioner.sync.fields import Keyed, Tree


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


def risks(change: Change) -> Iterable[str]:
    if not updates(change):
        return
    want, have = cast(ActionGroup, change.desired), cast(ActionGroup, change.live)
    yield from disables(change, want, have)
    if have.email_receivers and not want.email_receivers:
        yield f"removes the last email receiver of {change.id.describe()}"


def notes(rid: ResourceId, have: ActionGroup) -> Iterable[str]:
    """Declared receivers whose recipient unsubscribed: Azure sends them nothing until re-enabled.

    The status is read-only, so no apply can fix it; the plan says so instead of diffing it.
    """
    for kind, receivers in (
        ("emailReceivers", have.email_receivers),
        ("smsReceivers", have.sms_receivers),
    ):
        for receiver in receivers:
            if (receiver.status or "").lower() == "disabled":
                yield (
                    f"{kind}[{receiver.name}] of {rid.describe()} is unsubscribed (status "
                    "Disabled) and gets no alerts; re-enable it with the subscribe API "
                    "(az monitor action-group enable-receiver), then check with "
                    "`alertsync test-notify`"
                )
