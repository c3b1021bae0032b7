"""Fired alerts: POST /_emulator/alerts routes them through the live rules; azure-mgmt-
alertsmanagement 1.0.1 (api 2019-05-05-preview) reads them, their history and the emails sent.

Facts: docs/azure-behaviour.md#fired-alerts-and-their-history and
docs/azure-behaviour.md#alert-routing-what-check-evaluates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.alertsmanagement import AlertsManagementClient
from azure.mgmt.monitor import MonitorManagementClient

from provisioner.emulator import Emulator, alerts, models
from tests.emulator.conftest import (
    AG_ID,
    EVIDENCE_SEED,
    RULE_PATH,
    SUB_PATH,
    VAULT_ID,
    VM_PATH,
    Raw,
    error_code,
    rejected,
)

VERSION = {"api-version": "2019-05-05-preview"}


def fire(world: Emulator, **fields: Any) -> str:
    """Fire a backup job-failure alert on the vault; its alert id (a GUID)."""
    return str(world.control.fire_alert(VAULT_ID, **fields)["alertId"])


def events(client: AlertsManagementClient, alert_id: str) -> list[str]:
    """The history's events, oldest first."""
    history = client.alerts.get_history(alert_id)
    return [m.modification_event for m in reversed(history.properties.modifications)]


def put_rule(world: Emulator, raw: Raw, name: str, properties: dict[str, Any]) -> None:
    body = {"location": "Global", "properties": {"scopes": [SUB_PATH], **properties}}
    response = raw("PUT", f"{RULE_PATH}/{name}", body, **{"api-version": "2021-08-08"})
    assert response.status_code in (200, 201), response.text()


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def test_a_fired_backup_alert_reads_back_as_azure_writes_it(
    evidence: Emulator, alerts_client: AlertsManagementClient
) -> None:
    alert_id = fire(evidence, description="First full backup is missing for this datasource.")
    (alert,) = alerts_client.alerts.get_all()
    assert alert.id == f"{SUB_PATH}/providers/Microsoft.AlertsManagement/alerts/{alert_id}"
    assert (alert.type, alert.name) == ("Microsoft.AlertsManagement/alerts", "Backup Failure")
    essentials = alert.properties.essentials
    assert (essentials.severity, essentials.signal_type, essentials.monitor_service) == (
        "Sev1",
        "Log",
        "Azure Backup",
    )
    assert (essentials.alert_state, essentials.monitor_condition) == ("New", "Fired")
    assert essentials.target_resource == VAULT_ID.lower()  # fired alerts carry lower-case ids
    assert (essentials.target_resource_name, essentials.target_resource_group) == (
        "rsv-jpe-lrs",
        "rg-backup",
    )
    assert essentials.target_resource_type == "vaults"
    assert essentials.alert_rule == "Backup Failure"
    assert essentials.action_status.is_suppressed is False
    assert essentials.description == "First full backup is missing for this datasource."


def test_the_routed_alert_emails_the_groups_enabled_receivers(
    evidence: Emulator, alerts_client: AlertsManagementClient
) -> None:
    alert_id = fire(evidence)
    (sent,) = evidence.control.notifications()
    assert {k: sent[k] for k in ("emailAddress", "receiver", "ruleId")} == {
        "emailAddress": "oncall@example.com",
        "receiver": "oncall",
        "ruleId": f"{RULE_PATH}/apr-backup",
    }
    assert sent["actionGroupId"].lower() == AG_ID.lower()  # as the group's own id is written
    assert sent["alertId"].endswith(alert_id)
    assert events(alerts_client, alert_id) == [
        "AlertCreated",
        "ActionRuleTriggered",
        "ActionsTriggered",
    ]
    history = alerts_client.alerts.get_history(alert_id)
    assert history.properties.alert_id == alert_id
    assert history.properties.modifications[0].new_value == AG_ID  # newest first
    assert history.properties.modifications[-1].description == "New Alert Object is created"


def test_an_unsubscribed_receiver_gets_nothing(evidence: Emulator) -> None:
    evidence.control.set_receiver_status(AG_ID, "oncall", "Disabled")
    fire(evidence)
    assert evidence.control.notifications() == []


def test_a_disabled_or_deleted_group_fails_its_actions(
    evidence: Emulator,
    alerts_client: AlertsManagementClient,
    monitor_client: MonitorManagementClient,
) -> None:
    monitor_client.action_groups.update("rg-monitoring", "ag-oncall", {"enabled": False})
    disabled = fire(evidence)
    monitor_client.action_groups.delete("rg-monitoring", "ag-oncall")  # the rule still names it
    deleted = fire(evidence)
    assert evidence.control.notifications() == []
    for alert_id, needle in ((disabled, "is disabled"), (deleted, "was not found")):
        assert events(alerts_client, alert_id)[-1] == "ActionsFailed"
        assert (
            needle
            in alerts_client.alerts.get_history(alert_id).properties.modifications[0].description
        )


def test_suppression_wins_and_is_recorded(
    evidence: Emulator, alerts_client: AlertsManagementClient, raw: Raw
) -> None:
    put_rule(evidence, raw, "apr-mute", {"actions": [{"actionType": "RemoveAllActionGroups"}]})
    alert_id = fire(evidence)
    assert evidence.control.notifications() == []
    alert = alerts_client.alerts.get_by_id(alert_id)
    assert alert.properties.essentials.action_status.is_suppressed is True
    assert events(alerts_client, alert_id) == [
        "AlertCreated",
        "ActionRuleTriggered",
        "ActionRuleSuppressed",
        "ActionsSuppressed",
    ]


def test_a_suppression_window_applies_at_the_time_the_alert_fired(
    evidence: Emulator, raw: Raw
) -> None:
    fired = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(
        days=3
    )
    window = {
        "timeZone": "UTC",
        "recurrences": [{"recurrenceType": "Weekly", "daysOfWeek": [fired.strftime("%A")]}],
    }
    put_rule(
        evidence,
        raw,
        "apr-weekly-mute",
        {"actions": [{"actionType": "RemoveAllActionGroups"}], "schedule": window},
    )
    assert evidence.control.fire_alert(VAULT_ID, firedAt=fired.isoformat())["isSuppressed"] is True
    next_day = (fired + timedelta(days=1)).isoformat()
    assert evidence.control.fire_alert(VAULT_ID, firedAt=next_day)["isSuppressed"] is False
    assert len(evidence.control.notifications()) == 1


def test_conditions_decide_which_alerts_a_rule_routes(
    evidence: Emulator, alerts_client: AlertsManagementClient
) -> None:
    # The seeded rule routes only vault alerts: an alert on a VM reaches nobody.
    evidence.control.fire_alert(
        f"{VM_PATH}/vm-db", alertRule="Heartbeat", monitorService="Platform"
    )
    assert evidence.control.notifications() == []
    (alert,) = alerts_client.alerts.get_all()
    assert alert.properties.essentials.target_resource_type == "virtualmachines"


def test_list_filters(evidence: Emulator, alerts_client: AlertsManagementClient) -> None:
    fire(evidence)
    fire(evidence, severity="sev0", alertRule="Delete Backup Data")
    evidence.control.fire_alert(f"{VM_PATH}/vm-app", monitorService="Platform", severity="Sev3")

    def count(**query: Any) -> int:
        return len(list(alerts_client.alerts.get_all(**query)))

    assert count() == 3
    assert count(severity="Sev0") == 1
    assert count(monitor_service="Azure Backup") == 2
    assert count(target_resource=VAULT_ID) == 2  # any case
    assert count(target_resource_type="Microsoft.RecoveryServices/vaults") == 2
    assert count(target_resource_type="vaults") == 2
    assert count(target_resource_group="RG-VMS") == 1
    assert count(alert_rule="Delete Backup Data") == 1
    assert count(alert_state="Closed") == 0
    assert count(smart_group_id="x") == 0


def test_time_range_defaults_to_one_day(
    evidence: Emulator, alerts_client: AlertsManagementClient, raw: Raw
) -> None:
    fire(evidence, firedAt=ago(days=3))
    fire(evidence, firedAt=ago(minutes=90))
    assert len(list(alerts_client.alerts.get_all())) == 1
    assert len(list(alerts_client.alerts.get_all(time_range="1h"))) == 0
    assert len(list(alerts_client.alerts.get_all(time_range="7d"))) == 2
    window = f"{ago(days=4)}/{ago(days=2)}"
    assert len(list(alerts_client.alerts.get_all(custom_time_range=window))) == 1
    both = raw(
        "GET",
        f"{SUB_PATH}/providers/Microsoft.AlertsManagement/alerts",
        timeRange="1d",
        customTimeRange=window,
        **VERSION,
    )
    assert (both.status_code, error_code(both)) == (400, "BadRequest")


def test_alerts_are_kept_thirty_days(
    evidence: Emulator, alerts_client: AlertsManagementClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert_id = fire(evidence, firedAt=ago(days=29))
    assert len(list(alerts_client.alerts.get_all(time_range="30d"))) == 1
    later = datetime.now(UTC) + timedelta(days=2)
    monkeypatch.setattr(alerts, "now", lambda: later)
    assert list(alerts_client.alerts.get_all(time_range="30d")) == []
    with pytest.raises(ResourceNotFoundError):
        alerts_client.alerts.get_by_id(alert_id)


def test_pages_sorting_and_context(
    evidence: Emulator, alerts_client: AlertsManagementClient, raw: Raw
) -> None:
    for hours in (3, 1, 2):
        fire(evidence, firedAt=ago(hours=hours), context={"jobId": f"job-{hours}"})
    listed = list(
        alerts_client.alerts.get_all(
            page_count=1, include_context=True, sort_by="startDateTime", sort_order="asc"
        )
    )
    assert [a.properties.context["jobId"] for a in listed] == ["job-3", "job-2", "job-1"]
    newest_first = list(alerts_client.alerts.get_all())  # lastModifiedDateTime, descending
    assert [a.properties.context for a in newest_first] == [{}, {}, {}]  # no includeContext
    oldest = alerts_client.alerts.get_by_id(listed[0].id.rsplit("/", 1)[-1])
    assert oldest.properties.context == {"jobId": "job-3"}  # a single alert carries its context
    page = raw(
        "GET",
        f"{SUB_PATH}/providers/Microsoft.AlertsManagement/alerts",
        pageCount="1",
        select="severity",
        **VERSION,
    ).json()
    assert page["value"][0]["properties"]["essentials"] == {"severity": "Sev1"}
    assert "pageCount=1" in page["nextLink"] and "select=severity" in page["nextLink"]


@pytest.mark.parametrize(
    "query",
    [
        {"pageCount": "0"},
        {"pageCount": "251"},
        {"pageCount": "26", "includeContext": "true"},
        {"timeRange": "2d"},
        {"sortBy": "color"},
        {"includeContext": "yes"},
    ],
)
def test_bad_list_parameters_are_refused(
    evidence: Emulator, raw: Raw, query: dict[str, str]
) -> None:
    response = raw(
        "GET", f"{SUB_PATH}/providers/Microsoft.AlertsManagement/alerts", **query, **VERSION
    )
    assert response.status_code == 400


def test_change_state_is_recorded_with_the_caller(
    evidence: Emulator, alerts_client: AlertsManagementClient
) -> None:
    alert_id = fire(evidence)
    changed = alerts_client.alerts.change_state(alert_id, "Acknowledged", {"comments": "on it"})
    assert changed.properties.essentials.alert_state == "Acknowledged"
    latest = alerts_client.alerts.get_history(alert_id).properties.modifications[0]
    assert (latest.modification_event, latest.old_value, latest.new_value, latest.comments) == (
        "StateChange",
        "New",
        "Acknowledged",
        "on it",
    )
    assert latest.modified_by == evidence.env()["AZURE_CLIENT_ID"]


def test_an_unknown_alert_is_not_found(
    evidence: Emulator, alerts_client: AlertsManagementClient
) -> None:
    with pytest.raises(ResourceNotFoundError, match="AlertNotFound"):
        alerts_client.alerts.get_by_id("00000000-0000-0000-0000-000000000001")
    with pytest.raises(HttpResponseError, match="NoRegisteredProviderFound"):
        list(alerts_client.alerts.get_all(api_version="2018-05-05"))


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "'targetResource'"),
        ({"targetResource": "rsv"}, "'targetResource'"),
        ({"targetResource": f"{VAULT_ID}x"}, "no resource"),
        ({"targetResource": VAULT_ID, "severity": "Sev5"}, "'severity'"),
        ({"targetResource": VAULT_ID, "signalType": "Trace"}, "'signalType'"),
        ({"targetResource": VAULT_ID, "firedAt": "2026-01-01T00:00:00"}, "'firedAt'"),
        ({"targetResource": VAULT_ID, "firedAt": "2999-01-01T00:00:00Z"}, "30 days"),
        ({"targetResource": VAULT_ID, "context": []}, "'context'"),
        ({"targetResource": VAULT_ID, "monitor": "x"}, "'monitor'"),
    ],
)
def test_the_fire_body_is_checked_before_acting(
    evidence: Emulator, body: dict[str, Any], needle: str
) -> None:
    assert needle in rejected(evidence, "POST", "alerts", body)
    assert evidence.control.state()["alerts"] == {}


def test_the_notification_log_is_bounded_and_clearable(
    evidence: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models, "HISTORY_LIMIT", 3)
    for _ in range(5):
        fire(evidence)
    assert len(evidence.control.notifications()) == 3
    assert len(evidence.control.state()["alerts"]) == 3
    evidence.control.clear_notifications()
    assert evidence.control.notifications() == []


def test_alerts_survive_a_restart(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path, seed=EVIDENCE_SEED) as first:
        alert_id = first.control.fire_alert(VAULT_ID)["alertId"]
    with Emulator(data_dir=tmp_path) as second:
        assert alert_id.lower() in second.control.state()["alerts"]
        assert len(second.control.notifications()) == 1


def test_a_rule_in_another_subscription_does_not_route(evidence: Emulator) -> None:
    # Scopes lie in the rule's own subscription (Learn); a rule elsewhere naming this one is
    # not evaluated for its alerts.
    other = "11111111-1111-1111-1111-111111111111"
    rule_id = f"/subscriptions/{other}/resourceGroups/rg/providers/Microsoft.AlertsManagement/actionRules/r"
    body = {
        "location": "Global",
        "properties": {"scopes": [SUB_PATH], "actions": [{"actionType": "RemoveAllActionGroups"}]},
    }
    evidence.control.seed(
        {
            "subscriptions": [
                {
                    "id": other,
                    "resourceGroups": [
                        {
                            "name": "rg",
                            "location": "x",
                            "resources": [{"id": rule_id, "body": body}],
                        }
                    ],
                }
            ]
        }
    )
    assert evidence.control.fire_alert(VAULT_ID)["isSuppressed"] is False
