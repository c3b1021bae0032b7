"""`alertsync check --window 7d` over 1,000 vaults: three paged lists, whatever the vault count."""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from bench.alertsync_run import TIMEOUT_SECONDS, command, run_env
from bench.report import Verdict
from bench.traffic import Traffic
from bench.world import LOCATION, PAGE_SIZE
from provisioner.emulator import Emulator

VAULTS = 1000
SUBSCRIPTION = "00000000-0000-0000-0000-00000000c4ec"
TARGET_SECONDS = 10.0
_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-monitoring/providers"
GROUP_ID = f"{_RG}/Microsoft.Insights/actionGroups/ag-oncall"


def _rule(name: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{_RG}/Microsoft.AlertsManagement/actionRules/{name}",
        "body": {"location": "Global", "properties": {"enabled": True, **properties}},
    }


def seed() -> dict[str, Any]:
    """One subscription: VAULTS vaults, a group, a rule routing every vault to it and a weekend
    maintenance rule suppressing them, so every vault has one gap a week."""
    scopes = [f"/subscriptions/{SUBSCRIPTION}"]
    group = {
        "id": GROUP_ID,
        "body": {
            "location": "Global",
            "properties": {
                "groupShortName": "oncall",
                "enabled": True,
                "emailReceivers": [{"name": "oncall", "emailAddress": "oncall@example.com"}],
            },
        },
    }
    route = _rule(
        "apr-all-vaults",
        {
            "scopes": scopes,
            "actions": [{"actionType": "AddActionGroups", "actionGroupIds": [GROUP_ID]}],
        },
    )
    weekend = _rule(
        "apr-weekend",
        {
            "scopes": scopes,
            "actions": [{"actionType": "RemoveAllActionGroups"}],
            "schedule": {
                "timeZone": "Tokyo Standard Time",
                "recurrences": [{"recurrenceType": "Weekly", "daysOfWeek": ["Saturday", "Sunday"]}],
            },
        },
    )
    vaults = [{"name": f"rsv-{n:04d}", "location": LOCATION} for n in range(VAULTS)]
    return {
        "subscriptions": [
            {
                "id": SUBSCRIPTION,
                "resourceGroups": [
                    {
                        "name": "rg-monitoring",
                        "location": LOCATION,
                        "resources": [group, route, weekend],
                    },
                    {"name": "rg-backup", "location": LOCATION, "vaults": vaults},
                ],
            }
        ]
    }


@dataclass(frozen=True, slots=True)
class CheckRun:
    seconds: float
    traffic: Traffic
    vaults: int
    with_gaps: int


def run_check(emulator: Emulator) -> CheckRun:
    """The real command, one process, against a freshly seeded world."""
    emulator.control.reset(seed=seed())
    emulator.control.clear_requests()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alertsync-bench-check-") as empty:
        done = subprocess.run(  # in an empty folder: no specs/ adds its subscriptions
            [
                *command(),
                "check",
                "--subscription",
                SUBSCRIPTION,
                "--window",
                "7d",
                "--format",
                "json",
            ],
            cwd=empty,
            env=run_env(emulator.env()),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    seconds = time.perf_counter() - started
    if done.returncode != 2:  # every vault has its weekend gap
        raise RuntimeError(f"alertsync check exited {done.returncode}:\n{done.stderr[-4000:]}")
    summary = json.loads(done.stdout)["summary"]
    traffic = Traffic.of(emulator.control.requests())
    return CheckRun(seconds, traffic, summary["vaults"], summary["withGaps"])


def expected_requests() -> int:
    """One list each of rules and action groups, the vaults' in pages."""
    return 2 + math.ceil(VAULTS / PAGE_SIZE)


def check_row(run: CheckRun) -> str:
    return (
        f"check --window 7d: {run.vaults} vaults in {run.seconds:.2f} s, "
        f"{run.traffic.total} requests ({run.traffic.item_reads} per-resource GETs), "
        f"{run.with_gaps} vaults with a weekend gap"
    )


def check_verdict(run: CheckRun) -> Verdict:
    """Requests independent of the vault count (beyond paging), and a bound on the time."""
    ok = (
        run.traffic.total == expected_requests()
        and run.vaults == VAULTS
        and run.with_gaps == VAULTS
        and run.seconds < TARGET_SECONDS
    )
    return Verdict(
        "PASS" if ok else "FAIL",
        f"{check_row(run)} (target: {expected_requests()} requests, < {TARGET_SECONDS:.0f} s)",
    )
