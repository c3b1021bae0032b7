"""Action groups through MonitorManagementClient (api 2023-01-01) against the emulator."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor.models import (
    ActionGroupPatchBody,
    ActionGroupResource,
    EmailReceiver,
    EnableRequest,
    NotificationRequestBody,
    SmsReceiver,
)

from provisioner.emulator import Emulator
from tests.emulator.conftest import AG_PATH, Raw, error_code

RG = "rg-monitoring"


def group(short_name: str = "ops", **kwargs: object) -> ActionGroupResource:
    return ActionGroupResource(
        location="Global",
        group_short_name=short_name,
        email_receivers=[EmailReceiver(name="Jane's mail", email_address="jane@example.com")],
        **kwargs,
    )


def test_put_creates_201_then_updates_200_with_read_only_fields(
    monitor_client: MonitorManagementClient,
) -> None:
    # spec AG 2023-01-01: PUT 201 created / 200 updated; id uses lower-case microsoft.insights, type "ActionGroups".
    ops = monitor_client.action_groups
    created = ops.create_or_update(
        RG, "ag one", group(), cls=lambda resp, body, _: (resp.http_response.status_code, body)
    )
    updated = ops.create_or_update(
        RG, "ag one", group(), cls=lambda resp, body, _: (resp.http_response.status_code, body)
    )
    assert (created[0], updated[0]) == (201, 200)
    body = created[1]
    assert body.id.endswith("/providers/microsoft.insights/actionGroups/ag one")
    assert body.type == "Microsoft.Insights/ActionGroups"
    assert body.tags == {}
    assert body.email_receivers[0].status == "Enabled"


def test_every_receiver_array_is_returned_even_empty(
    world: Emulator, raw: Raw, monitor_client: MonitorManagementClient
) -> None:
    # spec AG (getActionGroup.json): every receiver array present, empty ones included.
    monitor_client.action_groups.create_or_update(RG, "ag", group())
    body = raw("GET", f"{AG_PATH}/ag", **{"api-version": "2023-01-01"}).json()
    arrays = [k for k in body["properties"] if k.endswith("Receivers")]
    assert len(arrays) == 11
    assert body["properties"]["smsReceivers"] == []


def test_short_name_over_12_is_rejected_with_service_code(
    monitor_client: MonitorManagementClient,
) -> None:
    # spec AG: groupShortName maxLength 12 → 400 GroupShortNameIsTooLong.
    with pytest.raises(HttpResponseError) as caught:
        monitor_client.action_groups.create_or_update(RG, "ag", group("thirteen-char"))
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == "GroupShortNameIsTooLong"


def test_receiver_missing_required_field_is_400(monitor_client: MonitorManagementClient) -> None:
    # spec AG: SmsReceiver requires name, countryCode, phoneNumber.
    body = group(sms_receivers=[SmsReceiver(name="s", country_code="81", phone_number="")])
    with pytest.raises(HttpResponseError, match="phoneNumber"):
        monitor_client.action_groups.create_or_update(RG, "ag", body)


@pytest.mark.parametrize(
    ("array", "receiver", "field"),
    [
        ("emailReceivers", {"name": "e", "emailAddress": "a@b.c", "useCommonAlertSchema": "yes"}, "useCommonAlertSchema"),
        ("smsReceivers", {"name": "s", "countryCode": 1, "phoneNumber": "5551234"}, "countryCode"),
        ("smsReceivers", {"name": "s", "countryCode": "1", "phoneNumber": ["x"]}, "phoneNumber"),
        ("webhookReceivers", {"name": "w", "serviceUri": "https://x", "useAadAuth": 1}, "useAadAuth"),
        ("automationRunbookReceivers", {"automationAccountId": "a", "runbookName": "r", "webhookResourceId": "w", "isGlobalRunbook": "false"}, "isGlobalRunbook"),
        ("eventHubReceivers", {"name": 5, "eventHubNameSpace": "n", "eventHubName": "h", "subscriptionId": "s"}, "name"),
    ],
)  # fmt: skip
def test_wrongly_typed_receiver_field_is_400_and_nothing_is_stored(
    raw: Raw, monitor_client: MonitorManagementClient, array: str, receiver: dict, field: str
) -> None:
    # spec AG 2023-01-01 receiver definitions declare these fields string or boolean; a value of
    # another JSON type cannot be deserialized by the service: 400 InvalidRequestContent (ARM RPC).
    body = {
        "location": "Global",
        "properties": {"groupShortName": "t", "enabled": True, array: [receiver]},
    }
    response = raw("PUT", f"{AG_PATH}/typed", body, **{"api-version": "2023-01-01"})
    assert (response.status_code, error_code(response)) == (400, "InvalidRequestContent")
    assert f"{array}[0].{field}" in response.json()["error"]["message"]
    with pytest.raises(ResourceNotFoundError):
        monitor_client.action_groups.get(RG, "typed")


def test_correctly_typed_receivers_read_back_through_the_sdk(
    raw: Raw, monitor_client: MonitorManagementClient
) -> None:
    # The stored group must deserialize: a null optional field counts as absent (spec AG).
    properties = {
        "groupShortName": "t",
        "enabled": True,
        "emailReceivers": [{"name": "e", "emailAddress": "a@b.c", "useCommonAlertSchema": None}],
        "smsReceivers": [{"name": "s", "countryCode": "1", "phoneNumber": "5551234"}],
    }
    body = {"location": "Global", "properties": properties}
    assert raw("PUT", f"{AG_PATH}/typed", body, **{"api-version": "2023-01-01"}).status_code == 201
    read = monitor_client.action_groups.get(RG, "typed")
    assert read.sms_receivers[0].country_code == "1"


def test_regional_location_is_stored_as_given(monitor_client: MonitorManagementClient) -> None:
    # Learn (action-groups): regional action groups exist; location stored as given.
    body = ActionGroupResource(location="swedencentral", group_short_name="se", enabled=True)
    assert (
        monitor_client.action_groups.create_or_update(RG, "ag-se", body).location == "swedencentral"
    )


def test_put_cannot_move_a_group_to_another_location(
    monitor_client: MonitorManagementClient,
) -> None:
    # ARM RPC resource-api-reference: name and location are immutable: ARM answers 409 InvalidResourceLocation
    # (code and wording from public transcripts, UNCONFIRMED per RP).
    ops = monitor_client.action_groups
    ops.create_or_update(RG, "ag-moving", group())
    with pytest.raises(HttpResponseError) as caught:
        ops.create_or_update(
            RG,
            "ag-moving",
            ActionGroupResource(location="westus", group_short_name="w", enabled=True),
        )
    assert caught.value.status_code == 409
    assert caught.value.error is not None and caught.value.error.code == "InvalidResourceLocation"
    assert caught.value.error.message == (
        "The resource 'ag-moving' already exists in location 'Global' in resource group"
        " 'rg-monitoring'. A resource with the same name cannot be created in location 'westus'."
        " Please select a new resource name."
    )
    assert ops.get(RG, "ag-moving").location == "Global"


def test_same_location_in_another_spelling_is_an_update(
    monitor_client: MonitorManagementClient,
) -> None:
    # Regions compare ignoring case and spaces (spec AG, ARM RPC).
    ops = monitor_client.action_groups
    ops.create_or_update(RG, "ag-global", group())
    ops.create_or_update(
        RG, "ag-global", ActionGroupResource(location="global", group_short_name="g", enabled=True)
    )
    regional = ActionGroupResource(location="swedencentral", group_short_name="se", enabled=True)
    ops.create_or_update(RG, "ag-se", regional)
    regional.location = "Sweden Central"
    assert ops.create_or_update(RG, "ag-se", regional).location == "Sweden Central"


def test_names_match_ignoring_case_and_last_casing_wins(
    monitor_client: MonitorManagementClient,
) -> None:
    # ARM RPC: names matched case-insensitively, the most recently written casing returned.
    ops = monitor_client.action_groups
    ops.create_or_update(RG, "ag-case", group())
    ops.create_or_update("RG-MONITORING", "AG-Case", group())
    assert ops.get(RG, "ag-CASE").name == "AG-Case"
    assert [g.name for g in ops.list_by_resource_group(RG)] == ["AG-Case"]


def test_patch_replaces_tags_and_sets_enabled(monitor_client: MonitorManagementClient) -> None:
    # spec AG; azure-mgmt-monitor's ActionGroupPatchBody: PATCH tags + enabled only; tags replace the whole set (ARM PATCH).
    ops = monitor_client.action_groups
    ops.create_or_update(RG, "ag", group(tags={"a": "1"}))
    patched = ops.update(RG, "ag", ActionGroupPatchBody(tags={"b": "2"}, enabled=False))
    assert patched.tags == {"b": "2"}
    assert patched.enabled is False


def test_refused_patch_changes_nothing(raw: Raw) -> None:
    # A PATCH with a non-patchable property is refused as a whole: its tags are not applied.
    body = {
        "location": "Global",
        "tags": {"a": "1"},
        "properties": {"groupShortName": "ops", "enabled": True},
    }
    assert raw("PUT", f"{AG_PATH}/ag", body, **{"api-version": "2023-01-01"}).status_code == 201
    patch = {"tags": {"b": "2"}, "properties": {"groupShortName": "new"}}
    refused = raw("PATCH", f"{AG_PATH}/ag", patch, **{"api-version": "2023-01-01"})
    assert (refused.status_code, error_code(refused)) == (400, "BadRequest")
    assert "properties.enabled" in refused.json()["error"]["message"]
    after = raw("GET", f"{AG_PATH}/ag", **{"api-version": "2023-01-01"}).json()
    assert (after["tags"], after["properties"]["groupShortName"]) == ({"a": "1"}, "ops")


def test_delete_is_200_then_204(monitor_client: MonitorManagementClient) -> None:
    # spec AG 2023-01-01: DELETE 200 when deleted, 204 when it did not exist.
    ops = monitor_client.action_groups
    ops.create_or_update(RG, "ag", group())
    status = lambda resp, *_: resp.http_response.status_code  # noqa: E731
    assert ops.delete(RG, "ag", cls=status) == 200
    assert ops.delete(RG, "ag", cls=status) == 204
    with pytest.raises(ResourceNotFoundError):
        ops.get(RG, "ag")


def test_lists_are_one_page_by_group_and_subscription(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # spec AG declares no nextLink and azure-mgmt-monitor ignores one: action-group lists are one page.
    world.control.settings(pageSize=1)
    for name in ("a1", "a2", "a3"):
        monitor_client.action_groups.create_or_update(RG, name, group())
    assert len(list(monitor_client.action_groups.list_by_resource_group(RG))) == 3
    assert len(list(monitor_client.action_groups.list_by_subscription_id())) == 3


def test_missing_resource_group_is_arm_404(monitor_client: MonitorManagementClient) -> None:
    # ARM RPC: ResourceGroupNotFound "Resource group 'x' could not be found."
    with pytest.raises(ResourceNotFoundError) as caught:
        monitor_client.action_groups.create_or_update("rg-nope", "ag", group())
    assert caught.value.error is not None and caught.value.error.code == "ResourceGroupNotFound"
    with pytest.raises(ResourceNotFoundError, match="rg-nope"):
        list(monitor_client.action_groups.list_by_resource_group("rg-nope"))


def test_create_notifications_lro_completes_at_first_poll(
    monitor_client: MonitorManagementClient,
) -> None:
    # spec AG + postTestNotificationsAtActionGroupResourceLevel.json: 202 + Location → notificationStatus.
    monitor_client.action_groups.create_or_update(RG, "ag", group())
    request = NotificationRequestBody(
        alert_type="budget",
        email_receivers=[EmailReceiver(name="m", email_address="m@example.com")],
    )
    poller = monitor_client.action_groups.begin_create_notifications_at_action_group_resource_level(
        RG, "ag", request
    )
    result = poller.result()
    assert result.state == "Completed"
    assert result.action_details[0].mechanism_type == "Email"


def test_notification_status_unknown_id_is_404(monitor_client: MonitorManagementClient) -> None:
    monitor_client.action_groups.create_or_update(RG, "ag", group())
    with pytest.raises(ResourceNotFoundError):
        monitor_client.action_groups.get_test_notifications_at_action_group_resource_level(
            RG, "ag", "nope"
        )


def test_subscribe_reenables_disabled_receiver_409_when_enabled_404_unknown(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # spec AG enableReceiver.json: 200, 409 already enabled, 404 unknown receiver.
    ops = monitor_client.action_groups
    created = ops.create_or_update(RG, "ag", group())
    with pytest.raises(ResourceExistsError):
        ops.enable_receiver(RG, "ag", EnableRequest(receiver_name="Jane's mail"))
    world.control.set_receiver_status(created.id, "jane's MAIL", "Disabled")
    assert ops.get(RG, "ag").email_receivers[0].status == "Disabled"
    ops.create_or_update(RG, "ag", group())  # a re-PUT does not re-subscribe the recipient
    assert ops.get(RG, "ag").email_receivers[0].status == "Disabled"
    ops.enable_receiver(RG, "ag", EnableRequest(receiver_name="Jane's mail"))
    assert ops.get(RG, "ag").email_receivers[0].status == "Enabled"
    with pytest.raises(ResourceNotFoundError):
        ops.enable_receiver(RG, "ag", EnableRequest(receiver_name="nobody"))
