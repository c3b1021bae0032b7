"""The benchmark's table (text or Markdown) and its targets, each PASS, FAIL or SKIP."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench.scenario import Case

TARGET_SIZE = 1000
PLAN_REQUEST_RATIO = 20.0
APPLY_SPEED_RATIO = 8.0

HEADERS = (
    "subs",
    "vaults",
    "plan s (as / base)",
    "ratio",
    "plan requests (as / base)",
    "ratio",
    "1st apply s (as / base)",
    "ratio",
    "no-op apply s (as / base)",
    "ratio",
    "no-op writes (as / base)",
)


def ratio(base: float, ours: float) -> float:
    return base / ours if ours else float("inf")


def plan_requests(case: Case) -> int:
    """alertsync's plan requests: the larger of before and after apply (its rules page then)."""
    return max(case.alertsync.plan.traffic.total, case.alertsync.replan.traffic.total)


def row(case: Case) -> tuple[str, ...]:
    """One table row: alertsync against the baseline, with the baseline-over-alertsync ratio."""
    a, b = case.alertsync, case.baseline
    mark = "†" if b.reused_from is not None else ""
    requests = f"{a.plan.traffic.total}→{a.replan.traffic.total} / {b.plan.traffic.total}"
    return (
        str(case.world.subscriptions),
        str(case.world.vaults),
        f"{a.plan.seconds:.2f} / {b.plan.seconds:.2f}{mark}",
        f"{ratio(b.plan.seconds, a.plan.seconds):.1f}x",
        requests,
        f"{ratio(b.plan.traffic.total, plan_requests(case)):.1f}x",
        f"{a.apply.seconds:.2f} / {b.apply.seconds:.2f}{mark}",
        f"{ratio(b.apply.seconds, a.apply.seconds):.1f}x",
        f"{a.noop.seconds:.2f} / {b.noop.seconds:.2f}{mark}",
        f"{ratio(b.noop.seconds, a.noop.seconds):.1f}x",
        f"{a.noop.traffic.writes} / {b.noop.traffic.writes}",
    )


def text_table(cases: Sequence[Case]) -> str:
    rows = [HEADERS, *(row(c) for c in cases)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(cases: Sequence[Case]) -> str:
    rows = [HEADERS, tuple("---:" for _ in HEADERS), *(row(c) for c in cases)]
    return "\n".join("| " + " | ".join(r) + " |" for r in rows)


def notes(cases: Sequence[Case], latency_ms: int) -> list[str]:
    """What the columns mean, and which baseline numbers were measured in another setting."""
    lines = [
        f"as = alertsync (the real command, one process per run); base = the naive baseline; "
        f"ratio = base / as. Emulator latency {latency_ms} ms per ARM request.",
        "plan requests: alertsync's first plan → its plan after apply (rule lists page at 100).",
        "baseline plan = the read phase (spec load, one GET per group, rule and vault, diff) "
        "of its first apply; its no-op apply makes the same GETs and writes nothing.",
    ]
    reused = sorted(
        {(c.world.vaults, c.baseline.reused_from) for c in cases if c.baseline.reused_from}
    )
    for vaults, source in reused:
        lines.append(
            f"† baseline at {vaults} vaults measured once, with {source} subscription(s): it sends "
            "the same sequential per-resource requests whatever the subscription count."
        )
    return lines


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # PASS, FAIL or SKIP
    text: str

    def line(self) -> str:
        return f"{self.status}  {self.text}"


def targets(cases: Sequence[Case]) -> list[Verdict]:
    return [
        plan_is_per_resource_group(cases),
        noop_writes_nothing(cases),
        plan_requests_at_target(cases),
        first_apply_at_target(cases),
    ]


def plan_is_per_resource_group(cases: Sequence[Case]) -> Verdict:
    """Every plan sends one request per (resource group, kind) list plus further pages; no GETs."""
    failures: list[str] = []
    by_subs: dict[int, list[Case]] = {}
    for case in cases:
        world, a = case.world, case.alertsync
        for measured, live in ((a.plan, False), (a.replan, True)):
            lists, extra = world.expected_plan_requests(rules_live=live)
            if measured.traffic.item_reads or measured.traffic.total != lists + extra:
                failures.append(f"{world.subscriptions}x{world.vaults}: {measured.traffic}")
        by_subs.setdefault(world.subscriptions, []).append(case)
    detail = "; ".join(_sizes_line(subs, group) for subs, group in sorted(by_subs.items()))
    status = "FAIL" if failures else "PASS"
    return Verdict(status, f"plan requests O(resource groups): {detail}" + _failed(failures))


def _sizes_line(subs: int, cases: Sequence[Case]) -> str:
    """e.g. `1 sub: lists 3 3 3 3 + pages 0 0 0 18 (after apply)` across sizes."""
    lists = " ".join(str(c.world.expected_plan_requests(True)[0]) for c in cases)
    pages = " ".join(str(c.world.expected_plan_requests(True)[1]) for c in cases)
    sizes = "/".join(str(c.world.vaults) for c in cases)
    item_reads = sum(c.alertsync.plan.traffic.item_reads for c in cases)
    return (
        f"{subs} sub(s), vaults {sizes}: lists {lists} + further pages {pages} "
        f"(per-resource GETs: {item_reads})"
    )


def _failed(failures: list[str]) -> str:
    return f" — unexpected: {', '.join(failures)}" if failures else ""


def noop_writes_nothing(cases: Sequence[Case]) -> Verdict:
    writes = {
        f"{c.world.subscriptions}x{c.world.vaults}": c.alertsync.noop.traffic.writes for c in cases
    }
    bad = [k for k, v in writes.items() if v]
    status = "FAIL" if bad else "PASS"
    return Verdict(
        status,
        f"no-op apply writes nothing: writes {sum(writes.values())} in {len(writes)} runs"
        + _failed(bad),
    )


def _at_target(cases: Sequence[Case]) -> list[Case]:
    return [c for c in cases if c.world.vaults == TARGET_SIZE]


def plan_requests_at_target(cases: Sequence[Case]) -> Verdict:
    chosen = _at_target(cases)
    if not chosen:
        return Verdict("SKIP", f"{TARGET_SIZE}-rule plan requests: size {TARGET_SIZE} not run")
    found = [(c, ratio(c.baseline.plan.traffic.total, plan_requests(c))) for c in chosen]
    parts = [
        f"{c.world.subscriptions} sub(s): {plan_requests(c)} vs {c.baseline.plan.traffic.total} = {r:.0f}x"
        for c, r in found
    ]
    ok = all(r >= PLAN_REQUEST_RATIO for _, r in found)
    return Verdict(
        "PASS" if ok else "FAIL",
        f"{TARGET_SIZE}-rule plan uses >= {PLAN_REQUEST_RATIO:.0f}x fewer requests: "
        + "; ".join(parts),
    )


def first_apply_at_target(cases: Sequence[Case]) -> Verdict:
    chosen = _at_target(cases)
    if not chosen:
        return Verdict("SKIP", f"first apply of {TARGET_SIZE} rules: size {TARGET_SIZE} not run")
    parts, ok = [], True
    for c in chosen:
        a, b = c.alertsync.apply.seconds, c.baseline.apply.seconds
        ok = ok and ratio(b, a) >= APPLY_SPEED_RATIO
        parts.append(
            f"{c.world.subscriptions} sub(s): {a:.1f} s vs {b:.1f} s = {ratio(b, a):.1f}x "
            f"({ratio(b - c.baseline.vault_seconds, a):.1f}x without the baseline's vault GETs)"
        )
    return Verdict(
        "PASS" if ok else "FAIL",
        f"first apply of {TARGET_SIZE} rules >= {APPLY_SPEED_RATIO:.0f}x faster: "
        + "; ".join(parts),
    )
