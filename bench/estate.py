"""The whole estate: 50 subscriptions x 20 vaults; plan requests must grow with subscriptions only."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.alertsync_run import alertsync, run_env
from bench.report import Verdict
from bench.scenario import AlertsyncRuns, run_alertsync
from bench.traffic import is_arm
from bench.world import World
from provisioner.azure.pacing import scope_of
from provisioner.emulator import Emulator

SUBSCRIPTIONS = 50
VAULTS_PER_SUBSCRIPTION = 20
# Per subscription a plan sends: the owner's footprint (one tag-filtered Resources - List), the
# action groups and rules of its monitoring group, the vaults of its backup group, and plan's
# coverage warning's lists of every rule and group of the subscription. 20 rules fit in a page.
TARGET_REQUESTS_PER_SUBSCRIPTION = 6.0
# ARM's read bucket per subscription and principal (docs/azure-behaviour.md#arm-token-buckets):
# a plan should spend at most a tenth of it in any subscription, so that it never waits for a
# token and leaves the rest to whoever else reads there.
READ_BUCKET = 250
MAX_READ_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class EstateWorld(World):
    """The benchmark world with one action group of its own in every subscription."""

    def groups_in(self, sub: int) -> list[int]:
        return [sub]


@dataclass(frozen=True, slots=True)
class EstateCase:
    world: World
    runs: AlertsyncRuns
    seconds: float  # the four commands in all
    busiest_reads: int  # the last plan's reads in its busiest subscription (ARM's read bucket)
    throttled: int  # 429 answers to that plan (ARM's buckets are enforced)

    @property
    def requests_per_subscription(self) -> float:
        """Of the plan before and after the first apply, the larger."""
        most = max(self.runs.plan.traffic.total, self.runs.replan.traffic.total)
        return most / self.world.subscriptions


def run_estate(emulator: Emulator) -> EstateCase:
    """plan, apply, apply (no-op), plan over 50 subscriptions of 20 vaults, one rule per vault."""
    world = EstateWorld(SUBSCRIPTIONS, SUBSCRIPTIONS * VAULTS_PER_SUBSCRIPTION)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alertsync-estate-") as tmp:
        runs = run_alertsync(emulator, world, world.write_specs(Path(tmp) / "specs"))
        seconds = time.perf_counter() - started
        # The last plan again, with ARM's default buckets enforced, for its reads per bucket.
        emulator.control.set_throttling(True)
        alertsync(emulator.control, run_env(emulator.env()), Path(tmp) / "specs", "plan")
        log = emulator.control.requests()
    reads = Counter(scope_of(str(e["path"])) for e in log if is_arm(e) and e["method"] == "GET")
    throttled = sum(1 for e in log if int(e["status"]) == 429)
    return EstateCase(world, runs, seconds, max(reads.values(), default=0), throttled)


def row(case: EstateCase) -> str:
    """One line for the table's notes: the four commands' requests and times."""
    r = case.runs
    return (
        f"estate: {case.world.subscriptions} subs x {VAULTS_PER_SUBSCRIPTION} vaults: "
        f"plan {r.plan.traffic.total}→{r.replan.traffic.total} requests "
        f"({case.requests_per_subscription:.1f}/sub) in {r.plan.seconds:.2f}→{r.replan.seconds:.2f} s; "
        f"1st apply {r.apply.seconds:.2f} s ({r.apply.traffic.writes} writes); "
        f"no-op apply {r.noop.seconds:.2f} s ({r.noop.traffic.total} requests, "
        f"{r.noop.traffic.writes} writes); with ARM's buckets on, the plan's busiest "
        f"subscription reads {case.busiest_reads} times of its {READ_BUCKET}-token read bucket "
        f"({case.throttled} 429s)"
    )


def verdict(case: EstateCase) -> Verdict:
    """O(subscriptions): at most the target per subscription, no per-resource GET, no no-op write."""
    r = case.runs
    per_sub = case.requests_per_subscription
    ok = (
        per_sub <= TARGET_REQUESTS_PER_SUBSCRIPTION
        and r.plan.traffic.item_reads == r.replan.traffic.item_reads == 0
        and r.noop.traffic.writes == 0
        and case.busiest_reads <= READ_BUCKET * MAX_READ_SHARE
        and case.throttled == 0
    )
    return Verdict(
        "PASS" if ok else "FAIL",
        f"plan over {case.world.subscriptions} subscriptions <= "
        f"{TARGET_REQUESTS_PER_SUBSCRIPTION:g} requests per subscription: {per_sub:.1f} "
        f"(per-resource GETs {r.plan.traffic.item_reads + r.replan.traffic.item_reads}, "
        f"no-op writes {r.noop.traffic.writes}); busiest subscription's reads "
        f"{case.busiest_reads} <= {READ_BUCKET * MAX_READ_SHARE:g} "
        f"({MAX_READ_SHARE:.0%} of ARM's read bucket), 429s {case.throttled}",
    )
