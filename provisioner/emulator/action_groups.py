"""Backend for Microsoft.Insights/actionGroups (api 2023-01-01): validation, storage, shapes."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from provisioner.emulator.exceptions import BadRequest, Conflict, NotFound
from provisioner.emulator.models import (
    BOOLEAN,
    STRING,
    JsonObject,
    World,
    check_field_types,
    optional_list,
    optional_tags,
    require_bool,
    require_object,
    require_string,
    utc_now,
)
from provisioner.emulator.resource_types import (
    ResourceType,
    check_location_unchanged,
    patch_tags_and_enabled,
    store,
    stored,
)

# The service writes the provider in lower case inside ids (examples/getActionGroup.json).
TYPE = ResourceType(
    "Microsoft.Insights/actionGroups", id_provider="microsoft.insights/actionGroups"
)
KIND = TYPE.kind
RESPONSE_TYPE = "Microsoft.Insights/ActionGroups"  # capital A, as getActionGroup.json shows
SHORT_NAME_MAX = 12  # spec AG: groupShortName maxLength 12
ALERT_TYPE_MAX = 30  # spec AG 2023-01-01: NotificationRequestBody.alertType maxLength 30

# Every modelled field of each receiver array with the JSON type the spec declares, and the
# fields it requires (spec AG 2023-01-01 definitions EmailReceiver ... EventHubReceiver).
RECEIVER_FIELDS: dict[str, dict[str, str]] = {
    "emailReceivers": {"name": STRING, "emailAddress": STRING, "useCommonAlertSchema": BOOLEAN},
    "smsReceivers": {"name": STRING, "countryCode": STRING, "phoneNumber": STRING},
    "webhookReceivers": {
        "name": STRING, "serviceUri": STRING, "useCommonAlertSchema": BOOLEAN,
        "useAadAuth": BOOLEAN, "objectId": STRING, "identifierUri": STRING, "tenantId": STRING,
    },
    "itsmReceivers": {
        "name": STRING, "workspaceId": STRING, "connectionId": STRING,
        "ticketConfiguration": STRING, "region": STRING,
    },
    "azureAppPushReceivers": {"name": STRING, "emailAddress": STRING},
    "automationRunbookReceivers": {
        "automationAccountId": STRING, "runbookName": STRING, "webhookResourceId": STRING,
        "isGlobalRunbook": BOOLEAN, "name": STRING, "serviceUri": STRING,
        "useCommonAlertSchema": BOOLEAN,
    },
    "voiceReceivers": {"name": STRING, "countryCode": STRING, "phoneNumber": STRING},
    "logicAppReceivers": {
        "name": STRING, "resourceId": STRING, "callbackUrl": STRING, "useCommonAlertSchema": BOOLEAN,
    },
    "azureFunctionReceivers": {
        "name": STRING, "functionAppResourceId": STRING, "functionName": STRING,
        "httpTriggerUrl": STRING, "useCommonAlertSchema": BOOLEAN,
    },
    "armRoleReceivers": {"name": STRING, "roleId": STRING, "useCommonAlertSchema": BOOLEAN},
    "eventHubReceivers": {
        "name": STRING, "eventHubNameSpace": STRING, "eventHubName": STRING,
        "useCommonAlertSchema": BOOLEAN, "tenantId": STRING, "subscriptionId": STRING,
    },
}  # fmt: skip
RECEIVER_REQUIRED: dict[str, tuple[str, ...]] = {
    "emailReceivers": ("name", "emailAddress"),
    "smsReceivers": ("name", "countryCode", "phoneNumber"),
    "webhookReceivers": ("name", "serviceUri"),
    "itsmReceivers": ("name", "workspaceId", "connectionId", "ticketConfiguration", "region"),
    "azureAppPushReceivers": ("name", "emailAddress"),
    "automationRunbookReceivers": (
        "automationAccountId",
        "runbookName",
        "webhookResourceId",
        "isGlobalRunbook",
    ),
    "voiceReceivers": ("name", "countryCode", "phoneNumber"),
    "logicAppReceivers": ("name", "resourceId", "callbackUrl"),
    "azureFunctionReceivers": ("name", "functionAppResourceId", "functionName", "httpTriggerUrl"),
    "armRoleReceivers": ("name", "roleId"),
    "eventHubReceivers": ("name", "eventHubNameSpace", "eventHubName", "subscriptionId"),
}
# The built-in roles an ARM role receiver can email: Owner, Contributor, Reader, Monitoring
# Contributor, Monitoring Reader (Learn: action-groups, "Email Azure Resource Manager"), by the
# role definition ids Learn's built-in roles page gives them.
SUPPORTED_ARM_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "749f88d5-cbae-40b8-bcfc-e573ddc772fa": "Monitoring Contributor",
    "43d0d8ad-25c7-4714-9337-8ba259a9fe05": "Monitoring Reader",
}
# Only these receivers carry the read-only `status` (spec AG: EmailReceiver, SmsReceiver).
RECEIVERS_WITH_STATUS = ("emailReceivers", "smsReceivers")
RECEIVER_STATUSES = ("Enabled", "Disabled", "NotSpecified")
# Receivers with useCommonAlertSchema (spec default false); the service echoes the default
# even when the request omits it (createOrUpdateActionGroup.json, eventHubReceivers).
RECEIVERS_WITH_SCHEMA_FLAG = (
    "emailReceivers", "webhookReceivers", "eventHubReceivers", "automationRunbookReceivers",
    "logicAppReceivers", "azureFunctionReceivers", "armRoleReceivers",
)  # fmt: skip


def put(
    world: World, subscription: str, resource_group: str, name: str, body: Any
) -> tuple[int, JsonObject]:
    """Create (201) or replace (200) an action group; receiver statuses survive a replace."""
    world.resource_group(subscription, resource_group)
    request = require_object(body, "the request body")
    location = require_string(request, "location", "the action group")
    properties = validated_properties(request.get("properties"))
    previous = world.get(TYPE.key(subscription, resource_group, name))
    check_location_unchanged(previous, location, name, resource_group)
    if previous is not None:
        keep_receiver_statuses(properties, previous.body["properties"])
    response = {
        "id": TYPE.resource_id(subscription, resource_group, name),
        "type": RESPONSE_TYPE,
        "name": name,
        "location": location,  # stored as given: Global or a region (Learn, action-groups)
        "tags": optional_tags(request),
        "properties": properties,
    }
    return store(world, TYPE, subscription, resource_group, name, body=response), response


def validated_properties(value: Any) -> JsonObject:
    """ActionGroup properties checked as the service does, with every receiver array present."""
    if value is None:
        raise BadRequest("The property 'properties' is required on the action group.")
    properties = require_object(value, "'properties'")
    short_name = require_string(properties, "groupShortName", "the action group")
    if len(short_name) > SHORT_NAME_MAX:
        raise BadRequest(
            f"The group short name '{short_name}' is too long: it has {len(short_name)} characters,"
            f" the maximum is {SHORT_NAME_MAX}.",
            code="GroupShortNameIsTooLong",
        )
    result: JsonObject = {
        "groupShortName": short_name,
        "enabled": require_bool(properties, "enabled", "the action group"),
    }
    for array, required in RECEIVER_REQUIRED.items():
        result[array] = [
            validated_receiver(array, i, r, required)
            for i, r in enumerate(optional_list(properties, array, "the action group"))
        ]
    return result


def validated_receiver(array: str, index: int, value: Any, required: tuple[str, ...]) -> JsonObject:
    """One receiver with its required fields present; a sent `status` is dropped (read-only)."""
    what = f"{array}[{index}]"
    receiver = dict(require_object(value, what))
    for field_name in required:
        if receiver.get(field_name) in (None, ""):
            raise BadRequest(f"The property '{field_name}' is required on {what}.")
    check_field_types(receiver, RECEIVER_FIELDS[array], f"properties.{what}")
    receiver.pop("status", None)
    if array in RECEIVERS_WITH_SCHEMA_FLAG:
        receiver.setdefault("useCommonAlertSchema", False)
    if array in RECEIVERS_WITH_STATUS:
        receiver["status"] = "Enabled"
    return receiver


def keep_receiver_statuses(properties: JsonObject, previous: JsonObject) -> None:
    """A re-PUT does not re-subscribe someone who unsubscribed: keep statuses by receiver name."""
    for array in RECEIVERS_WITH_STATUS:
        old = {r["name"].lower(): r.get("status", "Enabled") for r in previous.get(array, [])}
        for receiver in properties[array]:
            receiver["status"] = old.get(str(receiver["name"]).lower(), "Enabled")


def patch(world: World, subscription: str, resource_group: str, name: str, body: Any) -> JsonObject:
    """ActionGroupPatchBody: only tags (replaced as a whole, ARM PATCH) and properties.enabled."""
    found = stored(world, TYPE, subscription, resource_group, name)
    patch_tags_and_enabled(found, body, "an action group")
    return found.body


def create_notification(
    world: World,
    subscription: str,
    resource_group: str,
    name: str,
    body: Any,
    *,
    failures: Mapping[str, str] | None = None,
) -> str:
    """Record a test notification (completed at once) and return its id for notificationStatus.

    `failures` (receiver name in lower case → detail, set through the control API) makes those
    receivers report Failed, as an undeliverable address or a dead webhook would.
    """
    stored(world, TYPE, subscription, resource_group, name)
    request = require_object(body, "the request body")
    alert_type = require_string(request, "alertType", "the notification request")
    if len(alert_type) > ALERT_TYPE_MAX:
        raise BadRequest(
            f"The alert type '{alert_type}' is too long: it has {len(alert_type)} characters,"
            f" the maximum is {ALERT_TYPE_MAX}."
        )
    now = utc_now()
    receivers = [
        (array, receiver)
        for array, required in RECEIVER_REQUIRED.items()
        for receiver in (  # the same receiver definitions as PUT (spec AG NotificationRequestBody)
            validated_receiver(array, i, r, required)
            for i, r in enumerate(optional_list(request, array, "the notification request"))
        )
    ]
    for array, receiver in receivers:
        if array == "armRoleReceivers":
            check_arm_role(receiver)
    actions = [
        action_detail(mechanism(array), str(receiver.get("name") or ""), now, failures or {})
        for array, receiver in receivers
    ]
    notification_id = uuid.uuid4().hex
    details: JsonObject = {
        "context": {
            "notificationSource": "Microsoft.Insights/TestNotification",
            "contextType": f"Microsoft.Insights/{alert_type}",
        },
        "state": "Completed",  # both official examples (get/postTestNotifications…)
        "completedTime": now,
        "createdTime": now,
        "actionDetails": actions,
    }
    world.add_notification(notification_id, details)
    return notification_id


def check_arm_role(receiver: JsonObject) -> None:
    """A test notification to an ARM role receiver needs one of the roles action groups can
    email; 400 NotSupportedArmRole otherwise (the code is assumed)."""
    role = str(receiver["roleId"]).rstrip("/").rsplit("/", 1)[-1].lower()
    if role not in SUPPORTED_ARM_ROLES:
        raise BadRequest(
            f"The role '{receiver['roleId']}' of ARM role receiver '{receiver['name']}' is not"
            f" supported; action groups email only {', '.join(SUPPORTED_ARM_ROLES.values())}.",
            code="NotSupportedArmRole",
        )


def action_detail(kind: str, receiver: str, now: str, failures: Mapping[str, str]) -> JsonObject:
    """One ActionDetail, PascalCase as the service writes it (getTestNotifications example)."""
    failure = failures.get(receiver.lower())
    return {
        "MechanismType": kind,
        "Name": receiver,
        "Status": "Completed" if failure is None else "Failed",
        "SubState": "Default",
        "SendTime": now,
        "Detail": failure,
    }


def mechanism(array: str) -> str:
    """The MechanismType a receiver array reports in actionDetails (e.g. emailReceivers → Email)."""
    words = {"smsReceivers": "Sms", "itsmReceivers": "Itsm", "armRoleReceivers": "ArmRole"}
    return words.get(array, array[0].upper() + array[1:].removesuffix("Receivers"))


def notification_status(
    world: World, subscription: str, resource_group: str, name: str, notification_id: str
) -> JsonObject:
    """The TestNotificationDetailsResponse of an earlier createNotifications."""
    stored(world, TYPE, subscription, resource_group, name)
    found = world.notifications.get(notification_id)
    if found is None:
        raise NotFound(
            f"The notification '{notification_id}' was not found.", code="NotificationNotFound"
        )
    return found


def enable_receiver(
    world: World, subscription: str, resource_group: str, name: str, body: Any
) -> None:
    """POST subscribe: re-enable a receiver; 409 when already enabled, 404 when unknown (spec AG)."""
    group = stored(world, TYPE, subscription, resource_group, name)
    receiver_name = require_string(
        require_object(body, "the request body"), "receiverName", "the enable request"
    )
    receiver = find_receiver(group.body["properties"], receiver_name)
    if receiver is None:
        raise NotFound(
            f"The receiver '{receiver_name}' was not found in action group '{name}'.",
            code="ReceiverNotFound",
        )
    if receiver.get("status", "Enabled") == "Enabled":
        raise Conflict(
            f"The receiver '{receiver_name}' is already enabled.", code="ReceiverAlreadyEnabled"
        )
    receiver["status"] = "Enabled"


def find_receiver(properties: JsonObject, receiver_name: str) -> JsonObject | None:
    """The receiver of any kind with this name (ignoring case), if any."""
    for array in RECEIVER_REQUIRED:
        for receiver in properties.get(array, []):
            if str(receiver.get("name", "")).lower() == receiver_name.lower():
                return receiver  # type: ignore[no-any-return]
    return None


def set_receiver_status(world: World, resource_id: str, receiver_name: str, status: str) -> None:
    """Control API: simulate an unsubscribed (Disabled) or re-subscribed email/SMS receiver."""
    if status not in RECEIVER_STATUSES:
        raise BadRequest(f"status must be one of {list(RECEIVER_STATUSES)}.")
    group = world.find_by_id(resource_id)
    if group is None or group.kind != KIND:
        raise NotFound(f"No action group with id '{resource_id}'.")
    receiver = find_receiver(group.body["properties"], receiver_name)
    if receiver is None or "status" not in receiver:
        raise NotFound(f"No email or SMS receiver '{receiver_name}' in '{resource_id}'.")
    receiver["status"] = status
