"""Control API: faults (429, 500, 403, 409, stall), request log, counters, latency, reset/seed."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor.models import ActionGroupResource

from provisioner.emulator import Emulator, EmulatorControlError
from tests.seeds import DEFAULT_SUBSCRIPTION

RG = "rg-monitoring"
GROUP = ActionGroupResource(location="Global", group_short_name="g", enabled=True)


def test_429_with_retry_after_is_retried_and_succeeds(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # facts §1 Retry policy: a ≥400 answer with Retry-After is retried, whatever the method.
    world.control.add_fault("PUT", "actionGroups/ag$", status=429, count=1, retry_after=1)
    assert monitor_client.action_groups.create_or_update(RG, "ag", GROUP).name == "ag"
    assert [r["status"] for r in world.control.requests() if r["method"] == "PUT"] == [429, 201]


def test_500_fault_surfaces_after_retries_exhausted(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # facts §1: 500 is retried on GET (retry_status 3); a persistent 500 surfaces as HttpResponseError.
    world.control.add_fault("GET", "actionGroups", status=500, count=10)
    with pytest.raises(HttpResponseError, match="InternalServerError"):
        list(monitor_client.action_groups.list_by_subscription_id(retry_total=0))


def test_403_names_action_and_scope(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    world.control.add_fault("PUT", "actionGroups", status=403)
    with pytest.raises(
        HttpResponseError, match=r"Microsoft\.Insights/actionGroups/write"
    ) as caught:
        monitor_client.action_groups.create_or_update(RG, "ag", GROUP)
    assert caught.value.error is not None and caught.value.error.code == "AuthorizationFailed"


def test_409_and_count_is_honoured(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    world.control.add_fault("DELETE", ".*", status=409, count=1)
    with pytest.raises(ResourceExistsError):
        monitor_client.action_groups.delete(RG, "ag")
    monitor_client.action_groups.delete(RG, "ag")  # the fault is used up


def test_stall_delays_the_answer(world: Emulator, monitor_client: MonitorManagementClient) -> None:
    world.control.add_fault("GET", "actionGroups", stall_seconds=0.6)
    started = time.monotonic()
    list(monitor_client.action_groups.list_by_subscription_id())
    assert time.monotonic() - started >= 0.6


def test_latency_applies_to_every_request(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    list(monitor_client.action_groups.list_by_subscription_id())  # token fetched already
    world.control.set_latency(150)
    started = time.monotonic()
    list(monitor_client.action_groups.list_by_subscription_id())
    assert time.monotonic() - started >= 0.15


def test_request_log_and_counters(world: Emulator, monitor_client: MonitorManagementClient) -> None:
    world.control.clear_requests()
    monitor_client.action_groups.create_or_update(RG, "ag", GROUP)
    monitor_client.action_groups.get(RG, "ag")
    log = world.control.requests()
    assert [(r["method"], r["status"]) for r in log] == [("PUT", 201), ("GET", 200)]
    assert set(log[0]) == {"method", "path", "status", "ms"}
    assert world.control.counters() == {"PUT actionGroups.put": 1, "GET actionGroups.get": 1}
    world.control.clear_faults()


def test_reset_empties_and_seed_adds(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    monitor_client.action_groups.create_or_update(RG, "ag", GROUP)
    world.control.reset()
    assert "AZURE_SUBSCRIPTION_ID" not in world.env()
    seed = {
        "subscriptions": [
            {
                "id": DEFAULT_SUBSCRIPTION,
                "resourceGroups": [
                    {
                        "name": RG,
                        "location": "japaneast",
                        "resources": [
                            {
                                "id": f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Insights/actionGroups/legacy",
                                "body": {
                                    "location": "Global",
                                    "properties": {"groupShortName": "legacy", "enabled": True},
                                },
                            }
                        ],
                    }
                ],
            }
        ]
    }
    world.control.seed(seed)
    assert [g.name for g in monitor_client.action_groups.list_by_subscription_id()] == ["legacy"]


def test_bad_control_requests_are_400(world: Emulator) -> None:
    with pytest.raises(EmulatorControlError, match="InvalidSeed"):
        world.control.seed({"subscriptions": [{"resourceGroups": []}]})
    with pytest.raises(EmulatorControlError, match="status"):
        world.control.add_fault("GET", ".*")
