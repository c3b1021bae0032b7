"""Control API: faults (429, 500, 403, 409, stall), request log, counters, latency, reset/seed."""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor.models import ActionGroupResource

from provisioner.emulator import Emulator, EmulatorControlError
from tests.emulator.conftest import Raw
from tests.seeds import DEFAULT_SEED, DEFAULT_SUBSCRIPTION

RG = "rg-monitoring"
GROUP = ActionGroupResource(location="Global", group_short_name="g", enabled=True)
T = TypeVar("T")


def test_429_with_retry_after_is_retried_and_succeeds(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # azure-core RetryPolicy: a ≥400 answer with Retry-After is retried, whatever the method
    # (Retry-After: 0, so that the retry comes at once and the test never sleeps).
    world.control.add_fault("PUT", "actionGroups/ag$", status=429, count=1, retry_after=0)
    assert monitor_client.action_groups.create_or_update(RG, "ag", GROUP).name == "ag"
    assert [r["status"] for r in world.control.requests() if r["method"] == "PUT"] == [429, 201]


def test_500_fault_surfaces_after_retries_exhausted(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # azure-core RetryPolicy: 500 is retried on GET (retry_status 3); a persistent 500 surfaces as HttpResponseError.
    world.control.add_fault("GET", "actionGroups", status=500, count=10)
    with pytest.raises(HttpResponseError, match="InternalServerError"):
        list(monitor_client.action_groups.list_by_subscription_id(retry_total=0))


def test_injected_429_words_its_message_as_an_empty_bucket_would(world: Emulator, raw: Raw) -> None:
    world.control.add_fault("DELETE", "actionGroups", status=429, retry_after=7)
    path = f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Insights/actionGroups/ag"
    response = raw("DELETE", path, retry_total=0, **{"api-version": "2023-01-01"})
    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")
    assert response.json()["error"]["message"].startswith(
        f"Number of 'delete' requests for subscription '{DEFAULT_SUBSCRIPTION}' actor '"
    )
    assert "after '7' seconds" in response.json()["error"]["message"]


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


def answered_late(call: Callable[[], T], after: float = 0.25) -> T:
    """Run `call` on another thread; its answer, which must not have come within `after` seconds.

    The answer is awaited, so no delayed request is still in flight when the test ends.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        answer = pool.submit(call)
        with pytest.raises(TimeoutError):
            answer.result(timeout=after)
        return answer.result()


def test_stall_delays_the_answer(world: Emulator, monitor_client: MonitorManagementClient) -> None:
    list(monitor_client.action_groups.list_by_subscription_id())  # signed in: the token is cached
    world.control.add_fault("GET", "actionGroups", stall_seconds=0.4)
    stalled = answered_late(lambda: list(monitor_client.action_groups.list_by_subscription_id()))
    assert stalled == list(monitor_client.action_groups.list_by_subscription_id())  # used up


def test_latency_applies_to_every_request(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    list(monitor_client.action_groups.list_by_subscription_id())  # signed in: the token is cached
    world.control.set_latency(400)
    answered_late(lambda: list(monitor_client.action_groups.list_by_subscription_id()))
    with pytest.raises(ResourceNotFoundError):
        answered_late(lambda: monitor_client.action_groups.get(RG, "ag-none"))


def test_request_log_and_counters(world: Emulator, monitor_client: MonitorManagementClient) -> None:
    # The client signs in on its first request (two GETs the log records too): sign in first,
    # so the log holds what this test sends whichever test ran before it in this worker.
    list(monitor_client.action_groups.list_by_subscription_id())
    world.control.clear_requests()
    monitor_client.action_groups.create_or_update(RG, "ag", GROUP)
    monitor_client.action_groups.get(RG, "ag")
    log = world.control.requests()
    assert [(r["method"], r["status"]) for r in log] == [("PUT", 201), ("GET", 200)]
    assert set(log[0]) == {"method", "path", "status", "ms"}
    assert world.control.counters() == {"PUT actionGroups.put": 1, "GET actionGroups.get": 1}
    world.control.clear_faults()


def test_errors_are_counted_under_their_route(
    world: Emulator, monitor_client: MonitorManagementClient, raw: Raw
) -> None:
    # README control API: counters per "<METHOD> <route>" whatever the status; a 400, a 404 and
    # an injected 429 were counted as "PUT error"/"GET error".
    world.control.clear_requests()
    with pytest.raises(HttpResponseError):  # 400 GroupShortNameIsTooLong
        monitor_client.action_groups.create_or_update(
            RG,
            "ag",
            ActionGroupResource(location="Global", group_short_name="x" * 13, enabled=True),
        )
    with pytest.raises(ResourceNotFoundError):
        monitor_client.action_groups.get(RG, "missing")
    world.control.add_fault("PUT", "actionGroups/ag$", status=429, retry_after=0)  # retried at once
    monitor_client.action_groups.create_or_update(RG, "ag", GROUP)  # 429, then retried: 201
    raw("GET", "/no/such/route")  # 404 NotFound: no route to count it under
    counters = world.control.counters()
    counted = {k: n for k, n in counters.items() if "actionGroups" in k}
    assert counted == {"PUT actionGroups.put": 3, "GET actionGroups.get": 1}
    assert counters["GET unmatched"] == 1


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


def control_request(emulator: Emulator, method: str, route: str, body: Any) -> tuple[int, Any]:
    """A raw control API request (any JSON, even what EmulatorControl would never send)."""
    context = ssl.create_default_context(cafile=emulator.ca_path)
    host, port = emulator.url.removeprefix("https://").rsplit(":", 1)
    connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=30)
    try:
        connection.request(
            method,
            f"/_emulator/{route}",
            body=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "route", "body", "named"),
    [
        ("POST", "faults", {"status": 429, "retryAfter": "soon"}, "retryAfter"),
        ("POST", "faults", {"status": 500, "count": -1}, "count"),
        ("POST", "faults", {"status": 500, "count": True}, "count"),
        ("POST", "faults", {"stallSeconds": -5}, "stallSeconds"),
        ("POST", "faults", {"status": 500, "method": "FOO"}, "method"),
        ("POST", "faults", {"status": 500, "path": 5}, "path"),
        ("POST", "faults", {"status": 500, "bogus": 1}, "bogus"),
        ("PUT", "settings", {"pageSize": True}, "pageSize"),
        ("PUT", "settings", {"vaultPatchAsync": "no"}, "vaultPatchAsync"),
        ("PUT", "settings", {"pageSize": 5, "pagesize": 5}, "pagesize"),
        ("PUT", "latency", {"ms": True}, "ms"),
        ("PUT", "throttling", {"enabled": "yes"}, "enabled"),
        ("PUT", "throttling", {"enabled": True, "limits": {"reads": [-1, 5]}}, "limits.reads[0]"),
        ("PUT", "throttling", {"enabled": True, "limits": {"reads": [0, 0]}}, "limits.reads[1]"),
        (
            "PUT",
            "throttling",
            {"enabled": True, "limits": {"reads": [5, "fast"]}},
            "limits.reads[1]",
        ),
        ("PUT", "throttling", {"enabled": True, "limits": {"reads": [10, 0]}}, "limits.reads[1]"),
        ("PUT", "throttling", {"enabled": True, "limits": {"read": [10, 1]}}, "limits.read"),
        ("POST", "reset", {"sede": {}}, "sede"),
    ],
)
def test_malformed_control_bodies_are_400_naming_the_key(
    world: Emulator, method: str, route: str, body: dict[str, Any], named: str
) -> None:
    # Control API contract (README): a malformed value is a 400 naming its key, never a 500
    # and never silently accepted; nothing changes.
    settings_before = world.control.settings()
    status, answer = control_request(world, method, route, body)
    assert status == 400, answer
    assert named in answer["error"]["message"]
    assert world.control.settings() == settings_before
    assert control_request(world, "GET", "faults", None) == (200, [])


def test_arm_reads_work_after_throttling_is_reconfigured(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # A rejected limit leaves the buckets usable (the reviewer saw every read 500 afterwards).
    control_request(world, "PUT", "throttling", {"enabled": True, "limits": {"reads": [0, 0]}})
    world.control.set_throttling(True, {"reads": (5, 0.5)})
    assert list(monitor_client.action_groups.list_by_subscription_id()) == []


def subscription_seed(subscription: str, **group: Any) -> dict[str, Any]:
    """A seed with one subscription holding one resource group with `group`'s extra keys."""
    groups = [{"name": "rg-extra", "location": "japaneast", **group}]
    return {"subscriptions": [{"id": subscription, "resourceGroups": groups}]}


@pytest.mark.parametrize(
    ("seed", "named"),
    [
        ({"bogus": 1}, "bogus"),
        (subscription_seed(DEFAULT_SUBSCRIPTION, actionGroups=[{"name": "ag"}]), "actionGroups"),
        (subscription_seed("not-a-guid"), "not-a-guid"),
        ({"subscriptions": [{"id": 5}]}, "subscriptions[0].id"),
        (subscription_seed(DEFAULT_SUBSCRIPTION, vaults=[{"name": "v", "location": "japaneast", "colour": "red"}]), "colour"),
        ({"subscriptions": [{"id": DEFAULT_SUBSCRIPTION, "displayName": 7}]}, "displayName"),
    ],
)  # fmt: skip
def test_invalid_seed_is_400_naming_the_key(
    world: Emulator, seed: dict[str, Any], named: str
) -> None:
    # the emulator README seed document shape; Azure subscription ids are GUIDs.
    status, answer = control_request(world, "POST", "seed", seed)
    assert (status, answer["error"]["code"]) == (400, "InvalidSeed")
    assert named in answer["error"]["message"]


def test_failed_reset_changes_nothing(
    world: Emulator, monitor_client: MonitorManagementClient
) -> None:
    # A reset whose seed is invalid is refused before the world is emptied (all or nothing).
    monitor_client.action_groups.create_or_update(RG, "kept", GROUP)
    world.control.settings(pageSize=7)
    before = world.control.state()
    status, _ = control_request(world, "POST", "reset", {"seed": {"subscriptions": [{"id": 5}]}})
    assert status == 400
    assert world.control.state() == before
    assert world.control.settings()["pageSize"] == 7


def test_failed_seed_adds_nothing(world: Emulator) -> None:
    # One valid resource group followed by an invalid vault: neither is added.
    before = world.control.state()
    seed = {
        "subscriptions": [
            {
                "id": DEFAULT_SUBSCRIPTION,
                "resourceGroups": [
                    {"name": "rg-new", "location": "japaneast"},
                    {"name": "rg-bad", "location": "japaneast", "vaults": [{"name": "v"}]},
                ],
            }
        ]
    }
    status, answer = control_request(world, "POST", "seed", seed)
    assert (status, answer["error"]["code"]) == (400, "InvalidSeed")
    assert world.control.state() == before


def test_failed_seed_leaves_the_state_file_as_the_world(tmp_path: Path) -> None:
    # Memory and state.json agree after a refused reset (the file is written only on success).
    with Emulator(data_dir=tmp_path, seed=DEFAULT_SEED) as running:
        saved = json.loads((tmp_path / "state.json").read_text())
        status, _ = control_request(
            running, "POST", "reset", {"seed": {"subscriptions": [{"id": 5}]}}
        )
        assert status == 400
        assert running.control.state() == saved
        running.flush_state()  # the file lags the world by up to the save interval
        assert json.loads((tmp_path / "state.json").read_text()) == saved


def test_body_fault_answers_that_body_once(
    world: Emulator, rules_client: AlertProcessingRulesMgmtClient
) -> None:
    # README control API: a fault with `body` is answered instead of the real list (a broken
    # proxy), 200 unless a status is given, and is used up like any other fault.
    world.control.add_fault("GET", "actionRules$", body={"value": "garbled"})
    path = f"/subscriptions/{DEFAULT_SUBSCRIPTION}/providers/Microsoft.AlertsManagement/actionRules"
    response = rules_client.send_request(HttpRequest("GET", path + "?api-version=2021-08-08"))
    assert (response.status_code, response.json()) == (200, {"value": "garbled"})
    assert isinstance(list(rules_client.alert_processing_rules.list_by_subscription()), list)


def test_body_fault_needs_a_status_a_body_may_stand_for(world: Emulator) -> None:
    with pytest.raises(EmulatorControlError, match="HTTP status"):
        world.control.add_fault("GET", "x", body={}, status=100)
    world.control.add_fault("GET", "x", body=[], status=202)  # any JSON, any status from 200
    world.control.clear_faults()
