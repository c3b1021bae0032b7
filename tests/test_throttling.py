"""Throttling (429) through the real SDK against the emulator: paced per bucket, no lost changes.

Requests wait for tokens of ARM's buckets (docs/azure-behaviour.md#arm-token-buckets); these
tests check that the Azure layer waits a 429 out in its own bucket, stops unsent writes on an
interrupt and only fails after ALERTSYNC_THROTTLE_BUDGET. They run on a fake clock: waiting
moves it on at once, and what other workers do meanwhile is scheduled on it, so nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.pipeline import PipelineRequest

from provisioner.azure.client import Azure
from provisioner.azure.policies import RequestCounter
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError
from provisioner.ids import ResourceId
from provisioner.model import VaultAlertSettings
from tests.builders import SUB, group
from tests.clock import FakeClock
from tests.e2e import alertsync, write_many_groups

if TYPE_CHECKING:
    from provisioner.emulator import Emulator


VAULT = ResourceId.for_resource(
    SUB, "rg-backup", "Microsoft.RecoveryServices/vaults", "RSV-JPE-LRS"
)
WRITES = (SUB, "writes")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def azure(world: Emulator, clock: FakeClock) -> Iterator[Azure]:
    with Azure(AzureSettings.from_env(world.env()), clock=clock) as client:
        yield client


def _azure(world: Emulator, clock: FakeClock, **env: str) -> Azure:
    return Azure(AzureSettings.from_env({**world.env(), **env}), clock=clock)


def _statuses(world: Emulator, method: str) -> list[int]:
    return [r["status"] for r in world.control.requests() if r["method"] == method]


def _put_names(world: Emulator) -> list[str]:
    return [r["path"].rsplit("/", 1)[-1] for r in world.control.requests() if r["method"] == "PUT"]


def test_a_429_pauses_the_write_until_retry_after(
    world: Emulator, azure: Azure, clock: FakeClock
) -> None:
    world.control.add_fault(method="PUT", path="actionGroups", status=429, count=1, retry_after=2)
    world.control.clear_requests()
    azure.put_action_group(group("ag-a"))
    assert clock.waited == 2.0
    assert _statuses(world, "PUT") == [429, 201]


def test_reads_go_on_while_writes_wait_out_a_429(
    world: Emulator, azure: Azure, clock: FakeClock
) -> None:
    world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=30)
    started, read_at = clock.now(), []

    def read() -> None:  # another worker's list, while the write waits
        azure.list_processing_rules(SUB, "rg-monitoring")
        read_at.append(clock.now() - started)

    clock.after(1.0, read)
    azure.put_action_group(group("ag-a"))
    assert read_at == [1.0]  # at once: reads have a bucket of their own
    assert clock.now() - started == 30.0
    assert _put_names(world)[-2:] == ["ag-a", "ag-a"]


def test_throttled_requests_do_not_spend_the_retry_budget(
    world: Emulator, azure: Azure, clock: FakeClock
) -> None:
    # retry_status is 5: more 429s than that must still end in success.
    world.control.add_fault(method="PUT", path="actionGroups", status=429, count=8, retry_after=0)
    world.control.clear_requests()
    azure.requests.reset()
    azure.put_action_group(group("ag-a"))
    assert _statuses(world, "PUT") == [429] * 8 + [201]
    assert azure.requests.count == 9  # every re-send is still counted
    assert clock.waited == 8 * 0.25  # Retry-After 0 is no busy loop


def test_the_pacer_follows_the_remaining_tokens_arm_reports(world: Emulator, azure: Azure) -> None:
    # A write bucket of 5 (as if another run had spent the rest): the first answer says 4 left.
    world.control.set_throttling(True, {"writes": (5, 10)})
    azure.put_action_group(group("ag-a"))
    assert azure.clients.pacer.tokens(WRITES) == 4
    world.control.set_throttling(False)
    azure.list_processing_rules(SUB, "rg-monitoring")
    assert azure.clients.pacer.tokens((SUB, "reads")) == 249


def test_throttling_longer_than_the_budget_fails_saying_so(
    world: Emulator, clock: FakeClock
) -> None:
    world.control.add_fault(method="PUT", path="actionGroups", status=429, count=20, retry_after=1)
    world.control.clear_requests()
    with (
        _azure(world, clock, ALERTSYNC_THROTTLE_BUDGET="1.5") as azure,
        pytest.raises(AzureError) as err,
    ):
        azure.put_action_group(group("ag-a"))
    message = str(err.value)
    assert "(SubscriptionRequestsThrottled)" in message
    assert "still throttled after 1s of waiting" in message
    assert "ALERTSYNC_THROTTLE_BUDGET=1.5s" in message
    assert "re-run `alertsync apply` to converge" in message
    assert len(_statuses(world, "PUT")) == 2  # gave up instead of retrying on


def test_a_retry_after_beyond_the_budget_fails_at_once_and_holds_nobody_up(
    world: Emulator, clock: FakeClock
) -> None:
    world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=20)
    with _azure(world, clock, ALERTSYNC_THROTTLE_BUDGET="2") as azure:
        with pytest.raises(AzureError, match="SubscriptionRequestsThrottled"):
            azure.put_action_group(group("ag-a"))
        azure.put_action_group(group("ag-b"))  # not paused by a wait ag-a will never make
    assert clock.waited == 0


def test_an_interrupt_never_sends_a_write_that_was_waiting(
    world: Emulator, azure: Azure, clock: FakeClock
) -> None:
    world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=30)
    world.control.clear_requests()
    errors: dict[str, BaseException] = {}

    def put(name: str) -> None:
        try:
            azure.put_action_group(group(name))
        except BaseException as error:
            errors[name] = error

    started = clock.now()
    clock.after(1.0, lambda: put("ag-b"))  # another worker's write queues behind ag-a
    clock.after(2.0, azure.interrupt)
    put("ag-a")
    assert {name: type(error).__name__ for name, error in errors.items()} == {
        "ag-a": "NotSent",
        "ag-b": "NotSent",
    }
    assert clock.now() - started == 2.0  # both stopped the moment the interrupt came
    assert _put_names(world) == ["ag-a"]  # the one refused PUT; ag-b was never sent


def test_reads_still_wait_out_throttling_after_an_interrupt(
    world: Emulator, azure: Azure, clock: FakeClock
) -> None:
    # A vault PATCH Azure accepted is polled with GETs: an interrupt must not cut that short.
    world.control.add_fault("GET", "operationStatus", status=429, count=1, retry_after=1)
    started = clock.now()
    clock.after(0.5, azure.interrupt)  # while the poll waits out its 429
    result = azure.patch_vault(VaultAlertSettings(VAULT, classic_alerts=False))
    assert result == VaultAlertSettings(VAULT, job_failure_alerts=True, classic_alerts=False)
    assert clock.now() - started >= 1.0  # the poll waited its Retry-After out


def test_the_budget_is_per_request_across_the_retries_of_other_failures(
    world: Emulator, clock: FakeClock
) -> None:
    # PacingPolicy runs once per RetryPolicy attempt: a 500 between two 429s must not start
    # the budget over.
    for _ in range(4):
        world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=1)
        world.control.add_fault("PUT", "actionGroups/ag-a$", status=500, count=1)
    world.control.clear_requests()
    with (
        _azure(world, clock, ALERTSYNC_THROTTLE_BUDGET="1.5") as azure,
        pytest.raises(AzureError, match="throttled"),
    ):
        azure.put_action_group(group("ag-a"))
    assert _statuses(world, "PUT") == [429, 500, 429]


class _InterruptOnFirstSend(RequestCounter):
    """The request counter (a hook on every attempt as it is sent) that interrupts the run
    the moment the first attempt goes out."""

    def __init__(self, azure: Azure) -> None:
        super().__init__()
        self.azure = azure

    def __call__(self, request: PipelineRequest[Any]) -> None:
        super().__call__(request)
        if self.count == 1:
            self.azure.interrupt()


def test_a_retry_of_a_write_already_sent_goes_on_after_an_interrupt(
    world: Emulator, clock: FakeClock
) -> None:
    # The first attempt reached Azure and failed with a 500 (it may have been applied): its
    # retry is part of a write in flight, not a write unsent.
    world.control.add_fault("PUT", "actionGroups/ag-a$", status=500, count=1)
    world.control.clear_requests()
    with _azure(world, clock) as azure:
        azure.clients.requests = _InterruptOnFirstSend(azure)
        stored = azure.put_action_group(group("ag-a"))
        assert azure.clients.pacer.interrupted
    assert stored == group("ag-a")
    assert _statuses(world, "PUT") == [500, 201]


def test_the_throttle_budget_must_be_seconds() -> None:
    with pytest.raises(AzureError, match="ALERTSYNC_THROTTLE_BUDGET must be a number of seconds"):
        AzureSettings.from_env({"ALERTSYNC_THROTTLE_BUDGET": "5m"})
    assert AzureSettings.from_env({}).throttle_budget == 300.0


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_apply_paces_its_writes_to_the_bucket_instead_of_being_refused(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    # A bucket of 10 writes at the documented 10 a second: the first answer tells the pacer
    # 9 are left, and the other 30 writes go out as tokens come back.
    write_many_groups(tmp_path, 40)
    world.control.set_throttling(True, {"writes": (10, 10)})
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 0, run.err + run.out
    assert "Apply complete: 40 done, 0 failed" in run.out
    assert _statuses(world, "PUT").count(429) <= 1  # 16 workers unpaced: 30 or more


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_apply_under_a_bucket_slower_than_documented_slows_down_and_completes(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    # Refilled at half the documented rate (trial subscriptions may have lower limits): the
    # pacer is ahead of ARM, so 429s come, and their Retry-After is waited out in turn.
    write_many_groups(tmp_path, 30)
    world.control.set_throttling(True, {"writes": (10, 5), "reads": (5, 2)})
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 0, run.err + run.out
    assert "Apply complete: 30 done, 0 failed" in run.out
    assert 429 in _statuses(world, "PUT")  # it was throttled, and waited
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0
