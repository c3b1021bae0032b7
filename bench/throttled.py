"""The throttled group: first applies against the emulator's ARM token buckets, timed against the floor.

ARM gives each principal 200 write tokens per subscription, refilled at 10 a second
(docs/azure-behaviour.md#arm-token-buckets), so N writes in one subscription take at least
(N - 200) / 10 seconds however fast the client is: the floor. Subscriptions have buckets of
their own, so a run over several takes the floor of its busiest one. Each row runs the real
`alertsync apply --yes` on a fresh world with the emulator's default buckets enforced, then a
plan to check that it converged.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.alertsync_run import run_command, run_env
from bench.report import Verdict
from bench.traffic import is_arm
from bench.world import World
from provisioner.emulator import Emulator

# (subscriptions, rules): 600 and 2,000 in one subscription, 2,000 spread over five.
SIZES: tuple[tuple[int, int], ...] = ((1, 600), (1, 2000), (5, 2000))
QUICK_SIZES: tuple[tuple[int, int], ...] = ((1, 250), (2, 500))
WRITE_BUCKET = 200
WRITE_REFILL = 10.0
FLOOR_RATIO = 1.15  # wall time at most this many times the floor
MAX_THROTTLED_SHARE = 0.01  # 429 answers at most this share of the writes
_WRITES = frozenset({"PUT", "PATCH", "POST", "DELETE"})
_FAILED = re.compile(r"(\d+) failed")
_WRITING = re.compile(r"Apply \w+: .* in ([\d.]+)s")


@dataclass(frozen=True, slots=True)
class Row:
    """One first apply under throttling."""

    world: World
    seconds: float  # wall time of `alertsync apply --yes`, process start to exit
    writing: float  # of which writing, as the command reports it (after start-up and reads)
    exit_code: int
    failed: int  # changes the apply reported failed (or -1 when it did not say)
    writes: int  # writes ARM accepted
    throttled: int  # 429 answers, to any request
    converged: bool  # a plan afterwards finds nothing to do

    @property
    def floor(self) -> float:
        return floor_seconds(self.world)

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor if self.floor else None


def writes_per_subscription(world: World) -> list[int]:
    """The writes a first apply makes in each subscription: its action groups and rules."""
    return [len(world.groups_in(s)) + len(world.vaults_in(s)) for s in range(world.subscriptions)]


def floor_seconds(world: World) -> float:
    """The busiest subscription's (writes - bucket) / refill: no client can be faster."""
    return max(max(0, w - WRITE_BUCKET) / WRITE_REFILL for w in writes_per_subscription(world))


def run_row(emulator: Emulator, world: World) -> Row:
    """A fresh world with ARM's default buckets enforced, then the real first apply."""
    control, env = emulator.control, run_env(emulator.env())
    control.reset(world.seed())
    control.set_throttling(True)  # the documented sizes and refill rates
    with tempfile.TemporaryDirectory(prefix="alertsync-bench-") as tmp:
        specs = world.write_specs(Path(tmp) / "specs")
        control.clear_requests()
        started = time.perf_counter()
        applied = run_command(env, specs, "apply", "--yes")
        seconds = time.perf_counter() - started
        log = control.requests()
        plan = run_command(env, specs, "plan", "--detailed-exitcode")
    found = _FAILED.search(applied.stdout)
    writing = _WRITING.search(applied.stdout)
    return Row(
        world=world,
        seconds=seconds,
        writing=float(writing.group(1)) if writing else -1.0,
        exit_code=applied.returncode,
        failed=int(found.group(1)) if found else -1,
        writes=sum(
            1 for e in log if is_arm(e) and e["method"] in _WRITES and int(e["status"]) < 400
        ),
        throttled=sum(1 for e in log if int(e["status"]) == 429),
        converged=plan.returncode == 0,
    )


def run_rows(emulator: Emulator, quick: bool = False) -> list[Row]:
    """Every throttled row, in order; progress on stderr."""
    rows = []
    for subs, rules in QUICK_SIZES if quick else SIZES:
        row = run_row(emulator, World(subs, rules))
        print(
            f"bench: throttled {subs} sub(s) x {rules} rules in {row.seconds:.0f} s",
            file=sys.stderr,
        )
        rows.append(row)
    return rows


HEADERS = (
    "subs",
    "rules",
    "writes",
    "1st apply s",
    "(writing s)",
    "floor s",
    "ratio",
    "429s",
    "failed",
)


def cells(row: Row) -> tuple[str, ...]:
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "-"
    return (
        str(row.world.subscriptions),
        str(row.world.vaults),
        str(row.writes),
        f"{row.seconds:.1f}",
        f"{row.writing:.1f}",
        f"{row.floor:.1f}",
        ratio,
        f"{row.throttled} ({_share(row):.1%})",
        str(row.failed),
    )


def _share(row: Row) -> float:
    return row.throttled / row.writes if row.writes else 0.0


def table(rows: Sequence[Row], markdown: bool = False) -> str:
    """The rows as text (right-aligned columns) or Markdown."""
    body = [HEADERS, *(cells(r) for r in rows)]
    if markdown:
        body.insert(1, tuple("---:" for _ in HEADERS))
        return "\n".join("| " + " | ".join(r) + " |" for r in body)
    widths = [max(len(r[i]) for r in body) for i in range(len(HEADERS))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def notes(latency_ms: int) -> list[str]:
    return [
        "Throttled: the emulator enforces ARM's default buckets (writes 200, +10/s per "
        "subscription); floor = the busiest subscription's (writes - 200) / 10 s; ratio = "
        f"wall time of the whole command / floor; (writing s) = the part the command reports "
        f"as its apply, after start-up and reads. Emulator latency {latency_ms} ms per request.",
    ]


def targets(rows: Sequence[Row]) -> list[Verdict]:
    """One verdict per row: near the floor, few 429s, nothing failed, converged."""
    return [_verdict(row) for row in rows]


def _verdict(row: Row) -> Verdict:
    w = row.world
    problems = []
    if row.ratio is not None and row.ratio > FLOOR_RATIO:
        problems.append(f"{row.ratio:.2f}x the floor (target <= {FLOOR_RATIO}x)")
    if _share(row) > MAX_THROTTLED_SHARE:
        problems.append(f"{_share(row):.1%} 429s (target <= {MAX_THROTTLED_SHARE:.0%})")
    if row.exit_code != 0 or row.failed != 0:
        problems.append(f"apply exited {row.exit_code} with {row.failed} failed")
    if not row.converged:
        problems.append("a plan afterwards still found changes")
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "no floor"
    text = (
        f"throttled first apply, {w.subscriptions} sub(s) x {w.vaults} rules: {row.seconds:.1f} s "
        f"vs floor {row.floor:.1f} s = {ratio}, {row.throttled} 429s of {row.writes} writes"
    )
    if problems:
        return Verdict("FAIL", f"{text} — {'; '.join(problems)}")
    return Verdict("PASS", text)
