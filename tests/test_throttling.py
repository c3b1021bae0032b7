"""Throttling (429) through the real SDK against the emulator: one shared pause, no lost changes.

ARM's write bucket refills for the whole subscription at once
(docs/azure-behaviour.md#arm-throttling); these tests check that
the Azure layer waits throttling out together and only fails after ALERTSYNC_THROTTLE_BUDGET.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from provisioner.azure.client import Azure
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.model import VaultAlertSettings
from tests.builders import SUB, group
from tests.e2e import alertsync, write_many_groups

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

VAULT = ResourceId.for_resource(
    SUB, "rg-backup", "Microsoft.RecoveryServices/vaults", "RSV-JPE-LRS"
)


@pytest.fixture
def azure(world: Emulator) -> Iterator[Azure]:
    with Azure(AzureSettings.from_env(world.env())) as client:
        yield client


def _statuses(world: Emulator, method: str) -> list[int]:
    return [r["status"] for r in world.control.requests() if r["method"] == method]


def _wait_for_status(world: Emulator, method: str, status: int) -> None:
    deadline = time.monotonic() + 10
    while status not in _statuses(world, method):
        assert time.monotonic() < deadline, f"no {method} {status} reached the emulator"
        time.sleep(0.02)


def test_a_429_pauses_every_request_of_the_run_until_retry_after(
    world: Emulator, azure: Azure
) -> None:
    world.control.add_fault(method="PUT", path="actionGroups", status=429, count=1, retry_after=2)
    world.control.clear_requests()
    writer = threading.Thread(target=azure.put_action_group, args=(group("ag-a"),))
    writer.start()
    _wait_for_status(world, "PUT", 429)
    time.sleep(0.3)  # the emulator logs the 429 a moment before the client reads it
    throttled_at = time.monotonic()
    # Another client (rules, not action groups) of the same Azure object: it waits too.
    azure.list_processing_rules(SUB, "rg-monitoring")
    waited = time.monotonic() - throttled_at
    writer.join()
    assert waited >= 1.0, f"the read went ahead after {waited:.2f}s instead of pausing"
    assert _statuses(world, "PUT")[-1] in (200, 201)


def test_throttled_requests_do_not_spend_the_retry_budget(world: Emulator, azure: Azure) -> None:
    # retry_status is 5: more 429s than that must still end in success.
    world.control.add_fault(method="PUT", path="actionGroups", status=429, count=8, retry_after=0)
    world.control.clear_requests()
    azure.requests.reset()
    azure.put_action_group(group("ag-a"))
    assert _statuses(world, "PUT") == [429] * 8 + [201]
    assert azure.requests.count == 9  # every re-send is still counted


def test_throttling_longer_than_the_budget_fails_saying_so(world: Emulator) -> None:
    env = {**world.env(), "ALERTSYNC_THROTTLE_BUDGET": "1.5"}
    world.control.add_fault(method="PUT", path="actionGroups", status=429, count=20, retry_after=1)
    with Azure(AzureSettings.from_env(env)) as azure, pytest.raises(AzureError) as err:
        azure.put_action_group(group("ag-a"))
    message = str(err.value)
    assert "(SubscriptionRequestsThrottled)" in message
    assert "still throttled after 1s of waiting" in message
    assert "ALERTSYNC_THROTTLE_BUDGET=1.5s" in message
    assert "re-run `alertsync apply` to converge" in message
    assert len(_statuses(world, "PUT")) == 2  # gave up instead of retrying on


def test_a_retry_after_beyond_the_budget_fails_at_once_and_holds_nobody_up(
    world: Emulator,
) -> None:
    env = {**world.env(), "ALERTSYNC_THROTTLE_BUDGET": "2"}
    world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=20)
    with Azure(AzureSettings.from_env(env)) as azure:
        started = time.monotonic()
        with pytest.raises(AzureError, match="SubscriptionRequestsThrottled"):
            azure.put_action_group(group("ag-a"))
        azure.put_action_group(group("ag-b"))  # not paused by a wait ag-a will never make
        assert time.monotonic() - started < 10, "a 20 s Retry-After held the run up"


def test_an_interrupt_never_sends_a_write_that_was_waiting(world: Emulator, azure: Azure) -> None:
    world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=30)
    world.control.clear_requests()
    errors: dict[str, BaseException] = {}

    def put(name: str) -> None:
        try:
            azure.put_action_group(group(name))
        except BaseException as error:
            errors[name] = error

    first = threading.Thread(target=put, args=("ag-a",))
    first.start()
    _wait_for_status(world, "PUT", 429)  # ag-a throttled: the whole run now pauses 30 s
    second = threading.Thread(target=put, args=("ag-b",))
    second.start()
    time.sleep(0.3)  # ag-b is waiting for the shared pause, unsent
    azure.interrupt()
    first.join(timeout=10)
    second.join(timeout=10)
    assert {name: type(error).__name__ for name, error in errors.items()} == {
        "ag-a": "NotSent",
        "ag-b": "NotSent",
    }
    puts = [r["path"].rsplit("/", 1)[-1] for r in world.control.requests() if r["method"] == "PUT"]
    assert puts == ["ag-a"]  # the one refused PUT; ag-b was never sent


def test_reads_still_wait_out_throttling_after_an_interrupt(world: Emulator, azure: Azure) -> None:
    # A vault PATCH Azure accepted is polled with GETs: an interrupt must not cut that short.
    world.control.add_fault("GET", "operationStatus", status=429, count=1, retry_after=1)
    result: list[VaultAlertSettings] = []
    patch = threading.Thread(
        target=lambda: result.append(
            azure.patch_vault(VaultAlertSettings(VAULT, classic_alerts=False))
        )
    )
    patch.start()
    _wait_for_status(world, "GET", 429)
    azure.interrupt()
    patch.join(timeout=10)
    assert result == [VaultAlertSettings(VAULT, job_failure_alerts=True, classic_alerts=False)]


def test_the_budget_is_per_request_across_the_retries_of_other_failures(world: Emulator) -> None:
    # ThrottlePause runs once per RetryPolicy attempt: a 500 between two 429s must not start
    # the budget over.
    env = {**world.env(), "ALERTSYNC_THROTTLE_BUDGET": "1.5"}
    for _ in range(4):
        world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=1)
        world.control.add_fault("PUT", "actionGroups/ag-a$", status=500, count=1)
    world.control.clear_requests()
    with Azure(AzureSettings.from_env(env)) as azure, pytest.raises(AzureError, match="throttled"):
        azure.put_action_group(group("ag-a"))
    assert _statuses(world, "PUT") == [429, 500, 429]


def test_a_retry_of_a_write_already_sent_goes_on_after_an_interrupt(world: Emulator) -> None:
    # The first attempt reached Azure (it may have applied): its retry is in flight, not unsent.
    settings = dataclasses.replace(AzureSettings.from_env(world.env()), read_timeout=1.0)
    world.control.add_fault("PUT", "actionGroups/ag-a$", stall_seconds=1.5, count=1)
    with Azure(settings) as azure:
        threading.Timer(0.3, azure.interrupt).start()
        stored = azure.put_action_group(group("ag-a"))
    assert stored == group("ag-a")
    assert _statuses(world, "PUT")[-1] in (200, 201)


def test_the_throttle_budget_must_be_seconds() -> None:
    with pytest.raises(AzureError, match="ALERTSYNC_THROTTLE_BUDGET must be a number of seconds"):
        AzureSettings.from_env({"ALERTSYNC_THROTTLE_BUDGET": "5m"})
    assert AzureSettings.from_env({}).throttle_budget == 300.0


def test_apply_under_small_write_buckets_slows_down_and_completes(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    # Before the shared pause, 16 workers each gave up after 5 tries while tokens kept coming:
    # some changes failed ("Apply incomplete").
    write_many_groups(tmp_path, 60)
    world.control.set_throttling(True, {"writes": (10, 5), "reads": (5, 2)})
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 0, run.err + run.out
    assert "Apply complete: 60 done, 0 failed" in run.out
    assert 429 in _statuses(world, "PUT")  # it was throttled, and waited
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0
