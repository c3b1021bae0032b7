"""One benchmark case: alertsync's four commands, then the baseline, on the same fresh world."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.alertsync_run import Measured, alertsync, run_env
from bench.baseline import Baseline
from bench.traffic import Traffic
from bench.world import World
from provisioner.emulator import Emulator


@dataclass(frozen=True, slots=True)
class AlertsyncRuns:
    plan: Measured  # against the fresh world
    apply: Measured  # the first apply: creates everything
    noop: Measured  # the second apply: nothing to do
    replan: Measured  # plan after apply: the rule lists now page


@dataclass(frozen=True, slots=True)
class BaselineRuns:
    plan: Measured  # the first apply's read phase (spec load, every GET, diff): its plan
    apply: Measured
    noop: Measured
    vault_seconds: float  # of `apply`, spent reading vaults (alertsync checks them too)
    reused_from: int | None = None  # measured with this many subscriptions instead


@dataclass(frozen=True, slots=True)
class Case:
    world: World
    alertsync: AlertsyncRuns
    baseline: BaselineRuns


def run_alertsync(emulator: Emulator, world: World, specs: Path) -> AlertsyncRuns:
    """plan, apply --yes, apply --yes (no-op), plan: the real command, one process each."""
    control, env = emulator.control, run_env(emulator.env())
    control.reset(world.seed())
    return AlertsyncRuns(
        plan=alertsync(control, env, specs, "plan"),
        apply=alertsync(control, env, specs, "apply", "--yes"),
        noop=alertsync(control, env, specs, "apply", "--yes"),
        replan=alertsync(control, env, specs, "plan"),
    )


def run_baseline(emulator: Emulator, world: World, specs: Path) -> BaselineRuns:
    """The naive baseline's first apply (its read phase is its plan), then its no-op apply."""
    control = emulator.control
    control.reset(world.seed())
    first = Baseline(emulator.env())
    started = time.perf_counter()
    plan_seconds = first.apply(specs)
    apply = Measured(time.perf_counter() - started, Traffic.of(control.requests()))
    first.close()
    plan_traffic = reads_only(apply.traffic)
    control.clear_requests()
    second = Baseline(emulator.env())
    started = time.perf_counter()
    second.apply(specs)
    noop = Measured(time.perf_counter() - started, Traffic.of(control.requests()))
    second.close()
    return BaselineRuns(
        Measured(plan_seconds, plan_traffic), apply, noop, first.timer.seconds.get("vault", 0.0)
    )


def reads_only(traffic: Traffic) -> Traffic:
    """The read part of a run whose reads all come before its writes."""
    return Traffic(traffic.reads, traffic.reads, 0, traffic.list_reads, traffic.item_reads)


def run_case(emulator: Emulator, world: World, baseline: BaselineRuns | None) -> Case:
    """Measure alertsync, and the baseline unless one measured elsewhere is given."""
    with tempfile.TemporaryDirectory(prefix="alertsync-bench-") as tmp:
        specs = world.write_specs(Path(tmp) / "specs")
        runs = run_alertsync(emulator, world, specs)
        if baseline is None:
            baseline = run_baseline(emulator, world, specs)
    return Case(world, runs, baseline)
