"""The benchmark runs end to end at a tiny size without latency (no timing asserts: `make bench`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import report, throttled
from bench.scenario import run_case
from bench.world import World
from provisioner.emulator import Emulator


@pytest.mark.slow  # end-to-end: runs a benchmark row's real `alertsync` commands
@pytest.mark.parametrize("subscriptions", [1, 2])
def test_bench_case_runs_and_meets_the_request_targets(
    emulator: Emulator, subscriptions: int
) -> None:
    case = run_case(emulator, World(subscriptions, 2), baseline=None)
    a, b = case.alertsync, case.baseline
    assert a.apply.traffic.writes == 10 + 2  # every group and rule created, once
    assert a.noop.traffic.writes == 0 and b.noop.traffic.writes == 0
    assert b.apply.traffic.writes == 10 + 2
    assert b.plan.traffic.item_reads == World(subscriptions, 2).declared
    verdicts = report.targets([case])
    assert [v.status for v in verdicts] == ["PASS", "PASS", "SKIP", "SKIP"]
    assert len(report.text_table([case]).splitlines()) == 3


def test_world_writes_one_spec_per_subscription(tmp_path: Path) -> None:
    world = World(5, 12)
    folder = world.write_specs(tmp_path / "specs")
    assert sorted(p.name for p in folder.iterdir()) == [f"bench-{s}.yaml" for s in range(5)]
    assert sum(len(world.vaults_in(s)) for s in range(5)) == 12
    assert sum(len(world.groups_in(s)) for s in range(5)) == 10


@pytest.mark.slow  # end-to-end: runs a benchmark row's real `alertsync` commands
def test_a_throttled_row_runs_under_arms_buckets_and_converges(emulator: Emulator) -> None:
    world = World(2, 6)
    row = throttled.run_row(emulator, world)
    assert (row.exit_code, row.failed, row.converged) == (0, 0, True)
    assert row.writes == 10 + 6
    assert row.floor == 0.0  # 8 writes per subscription fit the bucket
    assert throttled.writes_per_subscription(world) == [8, 8]
    assert row.throttled == 0  # far inside the buckets
    assert [v.status for v in throttled.targets([row])] == ["PASS"]
    assert row.writing >= 0  # the command said how long it wrote
    assert len(throttled.table([row]).splitlines()) == 3


def test_the_throttled_floor_is_the_busiest_subscriptions() -> None:
    assert throttled.floor_seconds(World(1, 600)) == 41.0  # 610 writes: (610 - 200) / 10
    assert throttled.floor_seconds(World(5, 2000)) == 20.2  # 402 writes in each
