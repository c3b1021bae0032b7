"""Entry point of `make bench`: run every case, print the table and the targets; exit 1 on a miss."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`: import `bench` from the repo root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import estate, report, throttled
from bench.check_coverage import check_verdict, run_check
from bench.scenario import BaselineRuns, Case, run_case
from bench.startup import startup_verdict
from bench.world import World
from provisioner.emulator import Emulator

# From this size on, the baseline (~3 GETs/PUTs per vault at the injected latency, sequential)
# is measured with the first subscription count only and reused: its requests do not depend on it.
BASELINE_ONCE_FROM = 1000
GROUPS = ("speed", "throttled", "estate")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--sizes", default="1,10,100,1000", help="vault counts (default: %(default)s)"
    )
    parser.add_argument(
        "--subscriptions", default="1,5", help="subscription counts (default: %(default)s)"
    )
    parser.add_argument(
        "--latency-ms", type=int, default=50, help="emulator latency (default: %(default)s)"
    )
    parser.add_argument(
        "--group",
        action="append",
        choices=GROUPS,
        help="run only this group (repeatable; default: all): speed = plan/apply against the "
        "baseline, throttled = first applies under ARM's token buckets against the floor, "
        "estate = 50 subscriptions x 20 vaults",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 1,10")
    parser.add_argument(
        "--markdown", action="store_true", help="print the table as Markdown (README)"
    )
    parser.add_argument(
        "--full-baseline",
        action="store_true",
        help=f"measure the baseline in every setting, also at >= {BASELINE_ONCE_FROM} vaults",
    )
    return parser.parse_args(argv)


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def run_all(emulator: Emulator, args: argparse.Namespace) -> list[Case]:
    """Every (subscriptions, size) case, in that order; progress on stderr."""
    sizes = [1, 10] if args.quick else numbers(args.sizes)
    measured: dict[int, tuple[BaselineRuns, int]] = {}
    cases: list[Case] = []
    for subs in numbers(args.subscriptions):
        for size in sizes:
            reuse = (
                measured.get(size)
                if size >= BASELINE_ONCE_FROM and not args.full_baseline
                else None
            )
            baseline = dataclasses.replace(reuse[0], reused_from=reuse[1]) if reuse else None
            started = time.perf_counter()
            case = run_case(emulator, World(subs, size), baseline)
            measured.setdefault(size, (case.baseline, subs))
            cases.append(case)
            print(
                f"bench: {subs} sub(s) x {size} vaults in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    groups = args.group or GROUPS
    started = time.perf_counter()
    verdicts: list[report.Verdict] = []
    with Emulator(port=0, latency_ms=args.latency_ms) as emulator:
        if "speed" in groups:
            verdicts += speed(emulator, args)
        if "throttled" in groups:
            rows = throttled.run_rows(emulator, quick=args.quick)
            print(
                throttled.table(rows, args.markdown),
                "",
                *throttled.notes(args.latency_ms),
                sep="\n",
            )
            print()
            verdicts += throttled.targets(rows)
        if "estate" in groups:
            whole = estate.run_estate(emulator)
            print(estate.row(whole), "", sep="\n")
            verdicts.append(estate.verdict(whole))
    for verdict in verdicts:
        print(verdict.line())
    print(f"\nbench: {time.perf_counter() - started:.0f} s in all")
    return 1 if any(v.status == "FAIL" for v in verdicts) else 0


def speed(emulator: Emulator, args: argparse.Namespace) -> list[report.Verdict]:
    """The speed group: its table and notes printed, its verdicts returned."""
    cases = run_all(emulator, args)
    checked = run_check(emulator)
    table = report.markdown_table(cases) if args.markdown else report.text_table(cases)
    print(table, "", *report.notes(cases, args.latency_ms), "", sep="\n")
    return [*report.targets(cases), check_verdict(checked), startup_verdict()]


if __name__ == "__main__":
    sys.exit(main())
