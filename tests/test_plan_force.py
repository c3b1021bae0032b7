"""Unsafe plans fail review, not merge: `plan --detailed-exitcode` exits 3, `plan --force` records
a reviewer's acceptance in the plan and its checksum, and apply forces only what was reviewed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e import SEED_SCENARIO, alertsync, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

UNSAFE = "turns off the job failure alerts of"


@pytest.fixture
def unsafe_change(arm_env: dict[str, str], tmp_path: Path) -> Path:
    """The seed scenario applied, then its spec edited to turn job failure alerts off."""
    specs = write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    spec = specs / "backup.yaml"
    spec.write_text(spec.read_text().replace("jobFailureAlerts: true", "jobFailureAlerts: false"))
    return tmp_path


def test_an_unsafe_plan_exits_3_with_detailed_exitcode_and_still_writes_plan_and_markdown(
    arm_env: dict[str, str], unsafe_change: Path
) -> None:
    plan_file = unsafe_change / "plan.json"
    run = alertsync(
        arm_env,
        unsafe_change,
        *("plan", "--detailed-exitcode", "--format", "markdown", "--out", str(plan_file)),
    )
    assert run.code == 3, run.err
    assert f"> [!CAUTION]\n> Unsafe: {UNSAFE}" in run.out
    assert "(apply refuses without `--force`)" in run.out
    assert json.loads(plan_file.read_text())["options"]["force"] is False
    assert "plans again with --force" in run.err
    # Without --detailed-exitcode a plan only informs: it exits 0 as before.
    assert alertsync(arm_env, unsafe_change, "plan").code == 0


def test_plan_force_is_recorded_in_options_and_checksum_and_passes_review(
    arm_env: dict[str, str], unsafe_change: Path
) -> None:
    files = {name: unsafe_change / f"{name}.json" for name in ("plain", "forced")}
    assert alertsync(arm_env, unsafe_change, "plan", "--out", str(files["plain"])).code == 0
    forced = alertsync(
        arm_env,
        unsafe_change,
        *("plan", "--force", "--detailed-exitcode", "--out", str(files["forced"])),
    )
    assert forced.code == 2, forced.err  # changes pending: the force was granted
    assert f"! unsafe: {UNSAFE}" in forced.out and "(accepted with --force)" in forced.out
    plain, accepted = (json.loads(f.read_text()) for f in files.values())
    assert (plain["options"]["force"], accepted["options"]["force"]) == (False, True)
    assert plain["checksum"] != accepted["checksum"]
    assert plain["changes"] == accepted["changes"]


def test_apply_forces_only_a_plan_that_was_reviewed_with_force(
    arm_env: dict[str, str], unsafe_change: Path
) -> None:
    plain, forced = unsafe_change / "plain.json", unsafe_change / "forced.json"
    assert alertsync(arm_env, unsafe_change, "plan", "--out", str(plain)).code == 0
    assert alertsync(arm_env, unsafe_change, "plan", "--force", "--out", str(forced)).code == 0

    refused = alertsync(arm_env, unsafe_change, "apply", "--yes", "--plan", str(plain))
    assert refused.code == 3
    # Not "re-run with --force": apply refuses --force added to a reviewed plan (below).
    assert (
        f"refusing an unsafe plan: {plain} was made without --force; a reviewer who accepts "
        "these changes plans again with --force and has that plan reviewed"
    ) in refused.err
    added = alertsync(arm_env, unsafe_change, "apply", "--yes", "--force", "--plan", str(plain))
    assert added.code == 1
    assert f"{plain} was made without --force: leave it out" in added.err
    checksum = json.loads(plain.read_text())["checksum"]
    bound = alertsync(arm_env, unsafe_change, "apply", "--yes", "--force", "--checksum", checksum)
    assert bound.code == 3 and "stale" in bound.err  # --force is part of what was reviewed
    unforced = alertsync(arm_env, unsafe_change, "apply", "--yes", "--checksum", checksum)
    assert unforced.code == 3
    assert f"the plan reviewed as {checksum} was made without --force" in unforced.err

    applied = alertsync(arm_env, unsafe_change, "apply", "--yes", "--plan", str(forced))
    assert applied.code == 0, applied.err
    assert alertsync(arm_env, unsafe_change, "plan", "--detailed-exitcode").code == 0
