"""Test notifications with failing receivers (control API) through the real SDK."""

from __future__ import annotations

from typing import Any

import pytest
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor import models as sdk
from azure.mgmt.monitor.models import (
    ActionGroupResource,
    EmailReceiver,
    NotificationRequestBody,
    WebhookReceiver,
)

from provisioner.emulator import Emulator, EmulatorControlError, models
from tests.emulator.conftest import AG_PATH, Raw, error_code
from tests.seeds import DEFAULT_SEED

RG = "rg-monitoring"
RECEIVERS = {
    "email_receivers": [EmailReceiver(name="Oncall", email_address="oncall@example.com")],
    "webhook_receivers": [WebhookReceiver(name="hook", service_uri="https://example.com/h")],
}


def send_test(monitor_client: MonitorManagementClient) -> sdk.TestNotificationDetailsResponse:
    """Create the group and run its test notification to completion."""
    ops = monitor_client.action_groups
    ops.create_or_update(
        RG, "ag", ActionGroupResource(location="Global", group_short_name="ag", **RECEIVERS)
    )
    request = NotificationRequestBody(alert_type="servicehealth", **RECEIVERS)
    result: sdk.TestNotificationDetailsResponse = (
        ops.begin_create_notifications_at_action_group_resource_level(RG, "ag", request).result()
    )
    return result


def by_name(result: sdk.TestNotificationDetailsResponse) -> dict[str, tuple[str, str | None]]:
    return {d.name: (d.status, d.detail) for d in result.action_details}


def test_every_receiver_completes_by_default(monitor_client: MonitorManagementClient) -> None:
    result = send_test(monitor_client)
    assert result.state == "Completed"
    assert by_name(result) == {"Oncall": ("Completed", None), "hook": ("Completed", None)}


def test_a_failing_receiver_reports_failed_with_its_detail_others_complete(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    world.control.fail_test_notifications({"oncall": "Mailbox unavailable"})  # any case
    result = send_test(monitor_client)
    assert by_name(result) == {
        "Oncall": ("Failed", "Mailbox unavailable"),
        "hook": ("Completed", None),
    }
    world.control.fail_test_notifications({})  # cleared
    assert by_name(send_test(monitor_client))["Oncall"] == ("Completed", None)


def test_reset_clears_notification_failures(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    world.control.fail_test_notifications({"hook": "HTTP 500 from the endpoint"})
    world.control.reset(seed=DEFAULT_SEED)
    assert by_name(send_test(monitor_client))["hook"] == ("Completed", None)


def test_malformed_failures_are_rejected(world: Emulator) -> None:
    with pytest.raises(EmulatorControlError, match="400"):
        world.control.fail_test_notifications({"hook": 5})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"alertType": "x" * 31}, "maximum is 30"),
        ({"alertType": "servicehealth", "smsReceivers": [{"name": "s", "countryCode": "1"}]}, "phoneNumber"),
        ({"alertType": "servicehealth", "emailReceivers": [{"name": "e", "emailAddress": "a@b.c", "useCommonAlertSchema": "yes"}]}, "useCommonAlertSchema"),
    ],
)  # fmt: skip
def test_create_notifications_validates_as_put_does(
    monitor_client: MonitorManagementClient, raw: Raw, body: dict[str, Any], needle: str
) -> None:
    # spec AG NotificationRequestBody: alertType maxLength 30 (spec AG 2023-01-01); its receivers are the
    # same definitions as the action group's, so their required fields and types are checked too.
    send_test(monitor_client)  # the group exists
    response = raw(
        "POST", f"{AG_PATH}/ag/createNotifications", body, **{"api-version": "2023-01-01"}
    )
    assert response.status_code == 400
    assert needle in response.json()["error"]["message"]


def test_only_the_most_recent_notifications_are_kept(
    world: Emulator,
    monitor_client: MonitorManagementClient,
    raw: Raw,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Notifications are saved to the state file on every write: a long run keeps only the
    # most recent HISTORY_LIMIT (1000; 3 here so the test stays fast), and those still read.
    monkeypatch.setattr(models, "HISTORY_LIMIT", 3)
    send_test(monitor_client)  # the group exists
    body = {"alertType": "servicehealth"}
    version = {"api-version": "2023-01-01"}
    locations = [
        raw("POST", f"{AG_PATH}/ag/createNotifications", body, **version).headers["Location"]
        for _ in range(5)
    ]
    assert len(world.control.state()["notifications"]) == 3
    assert raw("GET", locations[-1]).json()["state"] == "Completed"
    forgotten = raw("GET", locations[0], retry_total=0)
    assert (forgotten.status_code, error_code(forgotten)) == (404, "NotificationNotFound")


@pytest.mark.parametrize(
    ("role", "accepted"),
    [
        ("43d0d8ad-25c7-4714-9337-8ba259a9fe05", True),  # Monitoring Reader
        ("8E3AF657-A8FF-443C-A75C-2FE8C4BCB635", True),  # Owner, any case
        (
            "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
            True,
        ),
        ("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", False),  # User Access Administrator
        ("11111111-1111-1111-1111-111111111111", False),
    ],
)
def test_a_test_notification_to_an_arm_role_needs_a_supported_role(
    monitor_client: MonitorManagementClient, raw: Raw, role: str, accepted: bool
) -> None:
    # Learn (action-groups, "Email Azure Resource Manager"): action groups email only the
    # Owner, Contributor, Reader, Monitoring Contributor and Monitoring Reader roles.
    send_test(monitor_client)  # the group exists
    body = {"alertType": "budget", "armRoleReceivers": [{"name": "role", "roleId": role}]}
    response = raw(
        "POST", f"{AG_PATH}/ag/createNotifications", body, **{"api-version": "2023-01-01"}
    )
    if accepted:
        assert response.status_code == 202
    else:
        assert (response.status_code, error_code(response)) == (400, "NotSupportedArmRole")
