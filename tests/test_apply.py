"""provisioner.sync.apply: live progress, plan-ordered results, dependency skips, interrupts.

The logic runs against the in-memory fake (tests/fakes.py), which decides the order of events
without sleeping; what Azure's answers become runs the production client against the emulator.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from provisioner.azure.client import Azure
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError
from provisioner.sync.apply import Outcome, apply
from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan
from tests.builders import OWNER, SUB, group, group_id, rule, rule_id, state
from tests.clock import FakeClock
from tests.fakes import FakeAzure

if TYPE_CHECKING:
    from provisioner.emulator import Emulator


@pytest.fixture
def azure(world: Emulator) -> Iterator[Azure]:
    with Azure(AzureSettings.from_env(world.env())) as client:
        yield client


def creating(*resources: object) -> Plan:
    desired = state(*resources)  # type: ignore[arg-type]
    return Plan.build(compute(desired, state()), {}, [OWNER])


# --- logic, against the in-memory fake (tests/fakes.py) ------------------------------------------


def test_each_change_is_reported_when_it_completes_not_when_its_phase_ends() -> None:
    # The slow group sorts first in the plan: reported in plan order, it would come first.
    plan = creating(group("ag-a-slow"), group("ag-b"), group("ag-c"))
    fake = FakeAzure()
    slow = fake.hold(group_id("ag-a-slow"))
    reported: list[str] = []

    def progress(outcome: Outcome) -> None:
        reported.append(outcome.change.id.name)
        if len(reported) == 2:  # the other two are done: let the slow one finish
            slow.set()

    result = apply(plan, fake, on_progress=progress)
    assert reported[-1] == "ag-a-slow"
    assert sorted(reported[:2]) == ["ag-b", "ag-c"]
    assert [o.change.id.name for o in result.outcomes] == ["ag-a-slow", "ag-b", "ag-c"]
    assert result.ok


def test_a_rule_whose_group_failed_is_skipped_and_the_rest_still_runs() -> None:
    plan = creating(
        group("ag-bad"),
        group("ag-good"),
        rule("apr-on-bad", groups=("ag-bad",)),
        rule("apr-on-good", groups=("ag-good",)),
    )
    fake = FakeAzure()
    fake.fail("put", group_id("ag-bad"), AzureError("creating: (BadRequest) no such thing"))
    reported: list[Outcome] = []
    result = apply(plan, fake, on_progress=reported.append)
    statuses = {o.change.id.name: o.status for o in result.outcomes}
    assert statuses == {
        "ag-bad": "failed",
        "ag-good": "done",
        "apr-on-bad": "skipped",
        "apr-on-good": "done",
    }
    assert [o.change.id.name for o in result.outcomes] == [c.id.name for c in plan.changes]
    assert len(reported) == 4
    skipped = next(o for o in result.outcomes if o.status == "skipped")
    assert skipped.error is not None and 'depends on action group "ag-bad"' in skipped.error
    assert ("put", str(rule_id("apr-on-bad"))) not in fake.calls


def test_a_group_whose_rule_failed_to_let_go_of_it_is_not_deleted() -> None:
    old_rule = rule("apr-old", groups=("ag-old",))
    fake = FakeAzure.holding(group("ag-old"), old_rule)
    plan = Plan.build(compute(state(), state(group("ag-old"), old_rule), prune=True), {}, [OWNER])
    fake.fail("delete", rule_id("apr-old"), AzureError("deleting: (Conflict) busy"))
    result = apply(plan, fake)
    assert [(o.change.id.name, o.status) for o in result.outcomes] == [
        ("apr-old", "failed"),
        ("ag-old", "skipped"),
    ]
    assert group_id("ag-old") in fake.resources


def test_once_stopped_no_change_starts_and_each_is_reported_not_started() -> None:
    plan = creating(group("ag-a"), group("ag-b"), rule("apr-a", groups=("ag-a",)))
    stop = threading.Event()
    stop.set()
    fake = FakeAzure()
    reported: list[Outcome] = []
    result = apply(plan, fake, on_progress=reported.append, stop=stop)
    assert result.interrupted and not result.ok
    assert [o.status for o in result.outcomes] == ["not started"] * 3
    assert len(reported) == 3
    assert fake.calls == []


# --- against the emulator: what Azure's answers become ------------------------------------------


def test_a_failure_names_only_what_azure_said_the_change_already_names_the_resource(
    azure: Azure, world: Emulator
) -> None:
    plan = creating(group("ag-bad"))
    world.control.add_fault(
        "PUT", "actionGroups/ag-bad$", status=400, code="BadRequest", message="no such thing"
    )
    (outcome,) = apply(plan, azure).outcomes
    assert outcome.error == "(BadRequest) no such thing"


def test_a_throttled_request_gives_up_waiting_when_the_apply_is_interrupted(
    world: Emulator,
) -> None:
    clock = FakeClock()
    world.control.add_fault("PUT", "actionGroups/ag-a$", status=429, count=1, retry_after=30)
    stop = threading.Event()
    clock.after(1.0, lambda: (stop.set(), azure.interrupt()))  # while it waits out the 429
    started = clock.now()
    with Azure(AzureSettings.from_env(world.env()), clock=clock) as azure:
        result = apply(creating(group("ag-a")), azure, stop=stop)
    assert clock.now() - started == 1.0  # not the 30 s Retry-After
    [outcome] = result.outcomes
    # Its one PUT was refused (429), and it is never sent again: nothing was written.
    assert outcome.status == "not started" and not outcome.in_flight_at_interrupt
    assert [r["status"] for r in world.control.requests() if r["method"] == "PUT"] == [429]


def test_writes_take_turns_between_subscriptions() -> None:
    # Each subscription has its own ARM bucket: one subscription's writes in a row would keep
    # every worker waiting on its bucket while the others' stay full.
    other = "11111111-1111-1111-1111-111111111111"
    groups = [group(f"ag-{i}") for i in range(3)]
    groups += [
        dataclasses.replace(g, id=dataclasses.replace(g.id, subscription=other)) for g in groups[:2]
    ]
    fake = FakeAzure()
    result = apply(creating(*groups), fake, max_workers=1)
    assert result.ok
    subscriptions = [target.split("/")[2] for _, target in fake.calls]
    assert subscriptions == [SUB, other, SUB, other, SUB]
    assert [o.change.id for o in result.outcomes] == sorted(g.id for g in groups)  # plan order
