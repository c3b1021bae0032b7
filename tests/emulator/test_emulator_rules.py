"""Alert processing rules through AlertProcessingRulesMgmtClient (api 2021-08-08)."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor.models import ActionGroupResource

from provisioner.emulator import Emulator
from tests.seeds import DEFAULT_SUBSCRIPTION

RG = "rg-monitoring"
SUB_ID = f"/subscriptions/{DEFAULT_SUBSCRIPTION}"
VAULT_ID = (
    f"{SUB_ID}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"
)


@pytest.fixture
def action_group_id(monitor_client: MonitorManagementClient) -> str:
    body = ActionGroupResource(location="Global", group_short_name="ops", enabled=True)
    return str(monitor_client.action_groups.create_or_update(RG, "ag-ops", body).id)


def rule(action_group_id: str, **properties: Any) -> dict[str, Any]:
    # Body shape from spec APR 2021-08-08 (what the SDK sends).
    return {
        "location": "Global",
        "properties": {
            "scopes": [VAULT_ID],
            "conditions": [{"field": "severity", "operator": "equals", "values": ["sev1"]}],
            "actions": [{"actionType": "AddActionGroups", "actionGroupIds": [action_group_id]}],
            **properties,
        },
    }


def status_and_body(resp: Any, body: Any, _: Any) -> tuple[int, Any]:
    return resp.http_response.status_code, body


def test_put_201_then_200_with_system_data_and_enums_as_sent(
    rules_client: AlertProcessingRulesMgmtClient, action_group_id: str
) -> None:
    # spec APR 2021-08-08: PUT 200/201; read-only id/type/name/systemData; enums any case, stored as sent.
    ops = rules_client.alert_processing_rules
    first = ops.create_or_update(RG, "apr", rule(action_group_id), cls=status_and_body)
    second = ops.create_or_update(RG, "apr", rule(action_group_id.lower()), cls=status_and_body)
    assert (first[0], second[0]) == (201, 200)
    body = second[1]
    assert body.type == "Microsoft.AlertsManagement/actionRules"
    assert body.properties.conditions[0].field == "severity"
    assert body.system_data.created_at == first[1].system_data.created_at
    assert body.properties.enabled is True


def test_rule_needs_existing_action_group(rules_client: AlertProcessingRulesMgmtClient) -> None:
    # Code UNCONFIRMED: a missing action group → 400 ActionGroupNotFound.
    missing = f"{SUB_ID}/resourceGroups/{RG}/providers/microsoft.insights/actionGroups/ghost"
    with pytest.raises(HttpResponseError) as caught:
        rules_client.alert_processing_rules.create_or_update(RG, "apr", rule(missing))
    assert caught.value.status_code == 400
    assert caught.value.error is not None and caught.value.error.code == "ActionGroupNotFound"


def test_a_seeded_rule_may_name_a_deleted_action_group(
    world: Emulator, rules_client: AlertProcessingRulesMgmtClient
) -> None:
    # Azure lets an action group be deleted while a rule still names it
    # (docs/azure-behaviour.md#alert-routing-what-check-evaluates), so a seed may hold one.
    missing = f"{SUB_ID}/resourceGroups/{RG}/providers/microsoft.insights/actionGroups/ghost"
    rule_id = f"{SUB_ID}/resourceGroups/{RG}/providers/Microsoft.AlertsManagement/actionRules/apr"
    group = {
        "name": RG,
        "location": "japaneast",
        "resources": [{"id": rule_id, "body": rule(missing)}],
    }
    world.control.seed({"subscriptions": [{"id": DEFAULT_SUBSCRIPTION, "resourceGroups": [group]}]})
    found = rules_client.alert_processing_rules.get_by_name(RG, "apr")
    assert found.properties.actions[0].action_group_ids == [missing]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"location": "japaneast"}, "Global"),
        ({"properties": {"scopes": [], "actions": []}}, "scopes"),
        ({"properties": {"scopes": ["not-an-id"], "actions": []}}, "not-an-id"),
        ({"properties": {"scopes": [VAULT_ID]}}, "actions"),
        (
            {"properties": {"scopes": [VAULT_ID], "actions": [{"actionType": "Explode"}]}},
            "AddActionGroups",
        ),
        (
            {
                "properties": {
                    "scopes": [VAULT_ID],
                    "actions": [],
                    "conditions": [{"field": "Colour"}],
                }
            },
            "Severity",
        ),
        (
            {
                "properties": {
                    "scopes": [VAULT_ID],
                    "actions": [],
                    "schedule": {"effectiveFrom": "2024-01-01T00:00:00Z"},
                }
            },
            "effectiveFrom",
        ),
        (
            {
                "properties": {
                    "scopes": [VAULT_ID],
                    "actions": [],
                    "schedule": {"recurrences": [{"recurrenceType": "Weekly"}]},
                }
            },
            "daysOfWeek",
        ),
    ],
)
def test_validation_rejects_bad_rules(
    rules_client: AlertProcessingRulesMgmtClient, change: dict[str, Any], needle: str
) -> None:
    # spec APR: location Global, scopes/actions required, enums, schedule formats (spec APR 2021-08-08).
    body = {"location": "Global", "properties": {"scopes": [VAULT_ID], "actions": []}, **change}
    with pytest.raises(HttpResponseError, match=needle) as caught:
        rules_client.alert_processing_rules.create_or_update(RG, "apr", body)
    assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("schedule", "path"),
    [
        ({"timeZone": 5}, "schedule.timeZone"),
        ({"recurrences": [{"recurrenceType": "Daily", "startTime": 8, "endTime": "09:00:00"}]}, r"recurrences\[0\]\.startTime"),
        ({"recurrences": [{"recurrenceType": "Monthly", "daysOfMonth": [True]}]}, "daysOfMonth"),
    ],
)  # fmt: skip
def test_wrongly_typed_schedule_fields_are_400(
    rules_client: AlertProcessingRulesMgmtClient, schedule: dict[str, Any], path: str
) -> None:
    # spec APR 2021-08-08: Schedule.timeZone and Recurrence times are strings, daysOfMonth int32;
    # storing another type would be a fake success the SDK could not read back (ARM RPC).
    body = {
        "location": "Global",
        "properties": {"scopes": [VAULT_ID], "actions": [], "schedule": schedule},
    }
    with pytest.raises(HttpResponseError, match=path) as caught:
        rules_client.alert_processing_rules.create_or_update(RG, "apr", body)
    assert caught.value.status_code == 400
    with pytest.raises(ResourceNotFoundError):
        rules_client.alert_processing_rules.get_by_name(RG, "apr")


@pytest.mark.parametrize(
    ("schedule", "needle"),
    [
        ({"effectiveFrom": "2026-13-45T00:00:00"}, "effectiveFrom"),
        ({"effectiveUntil": "2026-02-30T00:00:00"}, "effectiveUntil"),
        ({"recurrences": [{"recurrenceType": "Daily", "startTime": "25:00:00", "endTime": "09:00:00"}]}, "startTime"),
        ({"recurrences": [{"recurrenceType": "Weekly", "daysOfWeek": ["Monday"], "endTime": "10:60:00"}]}, "endTime"),
    ],
)  # fmt: skip
def test_impossible_dates_and_times_are_400(
    rules_client: AlertProcessingRulesMgmtClient, schedule: dict[str, Any], needle: str
) -> None:
    # spec APR: effective times are "Date-Time in ISO-8601 format" (a real date, spec APR 2021-08-08);
    # recurrence times are times of day (hours 0-23: assumed, UNCONFIRMED).
    body = {
        "location": "Global",
        "properties": {"scopes": [VAULT_ID], "actions": [], "schedule": schedule},
    }
    with pytest.raises(HttpResponseError, match=needle) as caught:
        rules_client.alert_processing_rules.create_or_update(RG, "apr", body)
    assert caught.value.status_code == 400


def test_schedule_formats_are_accepted(rules_client: AlertProcessingRulesMgmtClient) -> None:
    # spec APR 2021-08-08: effective times without zone; Daily/Weekly/Monthly recurrences.
    schedule = {
        "effectiveFrom": "2024-01-01T00:00:00",
        "timeZone": "Tokyo Standard Time",
        "recurrences": [
            {"recurrenceType": "Daily", "startTime": "22:00:00", "endTime": "23:00:00"},
            {"recurrenceType": "weekly", "daysOfWeek": ["saturday", "Sunday"]},
            {"recurrenceType": "Monthly", "daysOfMonth": [1, 15]},
        ],
    }
    body = {
        "location": "global",
        "properties": {
            "scopes": [SUB_ID],
            "actions": [{"actionType": "RemoveAllActionGroups"}],
            "schedule": schedule,
        },
    }
    result = rules_client.alert_processing_rules.create_or_update(RG, "maint", body)
    assert result.properties.schedule.time_zone == "Tokyo Standard Time"


def test_patch_get_delete(
    rules_client: AlertProcessingRulesMgmtClient, action_group_id: str
) -> None:
    # spec APR 2021-08-08: PATCH tags + properties.enabled only; DELETE 200 then 204; GET 404 after.
    ops = rules_client.alert_processing_rules
    ops.create_or_update(RG, "apr", rule(action_group_id, description="d"))
    patched = ops.update(RG, "APR", {"tags": {"k": "v"}, "properties": {"enabled": False}})
    assert (patched.tags, patched.properties.enabled, patched.properties.description) == (
        {"k": "v"},
        False,
        "d",
    )
    with pytest.raises(HttpResponseError, match="enabled"):
        ops.update(RG, "apr", {"properties": {"description": "x"}})
    status = lambda resp, *_: resp.http_response.status_code  # noqa: E731
    assert ops.delete(RG, "apr", cls=status) == 200
    assert ops.delete(RG, "apr", cls=status) == 204
    with pytest.raises(ResourceNotFoundError):
        ops.get_by_name(RG, "apr")


def test_lists_follow_next_link_pages(
    world: Emulator, rules_client: AlertProcessingRulesMgmtClient, action_group_id: str
) -> None:
    # azure-mgmt-* paging: absolute nextLink on our host; page size 2 and 5 rules → 3 pages.
    world.control.settings(pageSize=2)
    ops = rules_client.alert_processing_rules
    for index in range(5):
        ops.create_or_update(RG, f"apr-{index}", rule(action_group_id))
    world.control.clear_requests()
    assert [r.name for r in ops.list_by_subscription()] == [f"apr-{i}" for i in range(5)]
    assert len(list(ops.list_by_resource_group(RG))) == 5
    pages = [r for r in world.control.requests() if r["path"].endswith("actionRules")]
    assert len(pages) == 6


def test_list_under_missing_resource_group_is_404(
    rules_client: AlertProcessingRulesMgmtClient,
) -> None:
    # ARM RPC: a list under a missing resource group is ARM's 404.
    with pytest.raises(ResourceNotFoundError, match="ResourceGroupNotFound"):
        list(rules_client.alert_processing_rules.list_by_resource_group("rg-ghost"))
