"""Action groups: canonical `ActionGroup` <-> SDK `ActionGroupResource` (api 2023-01-01)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from azure.mgmt.monitor import models as sdk

from provisioner.azure.mappings import optional_text, sdk_id, sdk_text
from provisioner.model import (
    ActionGroup,
    ArmRoleReceiver,
    EmailReceiver,
    Secret,
    SmsReceiver,
    WebhookReceiver,
    canonical_guid,
    canonical_location,
    make_tags,
    sort_receivers,
)

# --- one helper pair per receiver kind --------------------------------------------------------


def _email_to_arm(r: EmailReceiver) -> sdk.EmailReceiver:
    return sdk.EmailReceiver(
        name=r.name, email_address=r.address, use_common_alert_schema=r.use_common_alert_schema
    )


def _email_from_arm(r: sdk.EmailReceiver) -> EmailReceiver:
    # useCommonAlertSchema defaults to false when omitted (spec AG); status is read-only, kept
    # for display (compare=False in the model).
    return EmailReceiver(
        name=r.name,
        address=r.email_address,
        use_common_alert_schema=bool(r.use_common_alert_schema),
        status=optional_text(r.status),
    )


def _sms_to_arm(r: SmsReceiver) -> sdk.SmsReceiver:
    return sdk.SmsReceiver(name=r.name, country_code=r.country_code, phone_number=r.phone_number)


def _sms_from_arm(r: sdk.SmsReceiver) -> SmsReceiver:
    return SmsReceiver(
        name=r.name,
        country_code=r.country_code,
        phone_number=r.phone_number,
        status=optional_text(r.status),
    )


def _webhook_to_arm(r: WebhookReceiver) -> sdk.WebhookReceiver:
    return sdk.WebhookReceiver(
        name=r.name,
        service_uri=r.service_uri.value,
        use_common_alert_schema=r.use_common_alert_schema,
        use_aad_auth=r.use_aad_auth,
        object_id=r.object_id,
        identifier_uri=r.identifier_uri,
        tenant_id=r.tenant_id,
    )


def _webhook_from_arm(r: sdk.WebhookReceiver) -> WebhookReceiver:
    # The service URI usually embeds a key: it becomes a Secret at the boundary, never a str.
    return WebhookReceiver(
        name=r.name,
        service_uri=Secret(r.service_uri),
        use_common_alert_schema=bool(r.use_common_alert_schema),
        use_aad_auth=bool(r.use_aad_auth),
        object_id=canonical_guid(optional_text(r.object_id)),
        identifier_uri=optional_text(r.identifier_uri),
        tenant_id=canonical_guid(optional_text(r.tenant_id)),
    )


def _arm_role_to_arm(r: ArmRoleReceiver) -> sdk.ArmRoleReceiver:
    return sdk.ArmRoleReceiver(
        name=r.name, role_id=r.role_id, use_common_alert_schema=r.use_common_alert_schema
    )


def _arm_role_from_arm(r: sdk.ArmRoleReceiver) -> ArmRoleReceiver:
    return ArmRoleReceiver(
        name=r.name,
        role_id=canonical_guid(r.role_id) or "",
        use_common_alert_schema=bool(r.use_common_alert_schema),
    )


# --- the resource -----------------------------------------------------------------------------


def to_arm(group: ActionGroup) -> sdk.ActionGroupResource:
    """The PUT body for a group; name and resource group travel in the URL, not the body."""
    return sdk.ActionGroupResource(
        location=group.location,
        tags=dict(group.tags),
        group_short_name=group.short_name,
        enabled=group.enabled,
        # Send every supported array, empty ones too: a PUT replaces the whole group.
        email_receivers=[_email_to_arm(r) for r in group.email_receivers],
        sms_receivers=[_sms_to_arm(r) for r in group.sms_receivers],
        webhook_receivers=[_webhook_to_arm(r) for r in group.webhook_receivers],
        arm_role_receivers=[_arm_role_to_arm(r) for r in group.arm_role_receivers],
    )


def from_arm(resource: sdk.ActionGroupResource) -> ActionGroup:
    """The canonical group: ID parsed, `global` → `Global`, receivers sorted, omitted = empty."""
    return ActionGroup(
        id=sdk_id(resource.id, "an action group"),
        short_name=resource.group_short_name or "",
        # `enabled` is required by the API and defaults to true (spec AG).
        enabled=True if resource.enabled is None else bool(resource.enabled),
        location=canonical_location(resource.location or "Global"),
        tags=make_tags(resource.tags),
        email_receivers=sort_receivers(map(_email_from_arm, resource.email_receivers or ())),
        sms_receivers=sort_receivers(map(_sms_from_arm, resource.sms_receivers or ())),
        webhook_receivers=sort_receivers(map(_webhook_from_arm, resource.webhook_receivers or ())),
        arm_role_receivers=sort_receivers(
            map(_arm_role_from_arm, resource.arm_role_receivers or ())
        ),
    )


# --- receiver kinds the model does not carry --------------------------------------------------

# Receiver arrays of api 2023-01-01 that ActionGroup has no field for, by their JSON name. A PUT
# from the model would silently delete them, so the plan must refuse to overwrite a live group
# that has any (see `unsupported_receivers`).
_UNSUPPORTED: Final[dict[str, Callable[[sdk.ActionGroupResource], Sequence[Any] | None]]] = {
    "itsmReceivers": lambda r: r.itsm_receivers,
    "azureAppPushReceivers": lambda r: r.azure_app_push_receivers,
    "automationRunbookReceivers": lambda r: r.automation_runbook_receivers,
    "voiceReceivers": lambda r: r.voice_receivers,
    "logicAppReceivers": lambda r: r.logic_app_receivers,
    "azureFunctionReceivers": lambda r: r.azure_function_receivers,
    "eventHubReceivers": lambda r: r.event_hub_receivers,
}


def unsupported_receivers(resource: sdk.ActionGroupResource) -> tuple[str, ...]:
    """Receivers alertsync cannot represent, as `voiceReceivers[ops]`, in a stable order.

    Empty for a group alertsync can round-trip; otherwise rewriting it would drop these.
    """
    return tuple(
        f"{kind}[{receiver.name}]"
        for kind, receivers_of in _UNSUPPORTED.items()
        for receiver in sorted(receivers_of(resource) or (), key=lambda r: str(r.name).lower())
    )


# --- test notifications -----------------------------------------------------------------------

# NotificationRequestBody.alertType values the API documents (spec AG; maxLength 30).
TEST_ALERT_TYPES: Final = (
    "servicehealth",
    "metricstaticthreshold",
    "metricsdynamicthreshold",
    "logalertv2",
    "smartalert",
    "webtestalert",
    "logalertv1numresult",
    "logalertv1metricmeasurement",
    "resourcehealth",
    "activitylog",
    "actualcostbudget",
    "forecastedbudget",
)


@dataclass(frozen=True, slots=True)
class ReceiverNotification:
    """What happened to one receiver in a test notification (`ActionDetail`)."""

    mechanism: str  # "Email", "Sms", "Webhook", …
    name: str
    status: str
    sub_state: str | None = None
    send_time: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationResult:
    """The outcome of a test notification (`TestNotificationDetailsResponse`)."""

    state: str  # e.g. "Complete"
    created_time: str | None = None
    completed_time: str | None = None
    receivers: tuple[ReceiverNotification, ...] = ()


def notification_request(
    resource: sdk.ActionGroupResource, alert_type: str
) -> sdk.NotificationRequestBody:
    """A test notification to every receiver of the live group, unsupported kinds included."""
    return sdk.NotificationRequestBody(
        alert_type=alert_type,
        email_receivers=resource.email_receivers,
        sms_receivers=resource.sms_receivers,
        webhook_receivers=resource.webhook_receivers,
        itsm_receivers=resource.itsm_receivers,
        azure_app_push_receivers=resource.azure_app_push_receivers,
        automation_runbook_receivers=resource.automation_runbook_receivers,
        voice_receivers=resource.voice_receivers,
        logic_app_receivers=resource.logic_app_receivers,
        azure_function_receivers=resource.azure_function_receivers,
        arm_role_receivers=resource.arm_role_receivers,
        event_hub_receivers=resource.event_hub_receivers,
    )


def _receiver_notification(detail: sdk.ActionDetail) -> ReceiverNotification:
    return ReceiverNotification(
        mechanism=detail.mechanism_type or "",
        name=detail.name or "",
        status=detail.status or "",
        sub_state=optional_text(detail.sub_state),
        send_time=optional_text(detail.send_time),
        detail=optional_text(detail.detail),
    )


def notification_result_from_arm(
    response: sdk.TestNotificationDetailsResponse,
) -> NotificationResult:
    """The per-receiver results, sorted by receiver name."""
    details = sorted(
        response.action_details or (),
        key=lambda d: ((d.name or "").lower(), d.mechanism_type or ""),
    )
    return NotificationResult(
        state=sdk_text(response.state) or "",
        created_time=optional_text(response.created_time),
        completed_time=optional_text(response.completed_time),
        receivers=tuple(map(_receiver_notification, details)),
    )
