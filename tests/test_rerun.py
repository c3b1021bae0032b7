"""Re-runs converge: the same `apply --plan FILE`, run again after a partial failure, applies what
remains of the reviewed plan; after a success it says nothing is left; anything else exits 3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from azure.mgmt.monitor import MonitorManagementClient

from provisioner.sync.plan import checksum_of
from tests.e2e import SEED_SCENARIO, alertsync, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real `alertsync` command

if TYPE_CHECKING:
    from provisioner.emulator import Emulator


@pytest.fixture
def reviewed(arm_env: dict[str, str], tmp_path: Path) -> Path:
    """The seed scenario planned into plan.json: create a group and a rule, update a vault."""
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    plan_file = tmp_path / "plan.json"
    assert alertsync(arm_env, tmp_path, "plan", "--out", str(plan_file)).code == 0
    assert json.loads(plan_file.read_text())["summary"]["create"] == 2
    return plan_file


def apply_plan(env: dict[str, str], plan_file: Path) -> tuple[int, str, str]:
    run = alertsync(env, plan_file.parent, "apply", "--yes", "--plan", str(plan_file))
    return run.code, run.out, run.err


def fail_the_vault_once(world: Emulator) -> None:
    world.control.add_fault(
        "PATCH", "vaults/RSV-JPE-LRS$", status=400, code="BadRequest", message="try later"
    )


def test_a_rerun_after_a_partial_failure_applies_what_remains(
    arm_env: dict[str, str], reviewed: Path, world: Emulator
) -> None:
    fail_the_vault_once(world)
    code, out, _ = apply_plan(arm_env, reviewed)
    assert code == 1
    assert "Apply incomplete: 2 done, 1 failed" in out
    assert f"Re-run `alertsync apply --plan {reviewed}` to converge" in out
    world.control.clear_faults()

    code, out, err = apply_plan(arm_env, reviewed)
    assert code == 0, err
    assert "Applying the 1 change of the reviewed plan that remains (2 already applied)." in out
    assert "Apply complete: 1 done, 0 failed" in out
    assert alertsync(arm_env, reviewed.parent, "plan", "--detailed-exitcode").code == 0


def test_rerunning_an_apply_that_succeeded_exits_0_with_nothing_left(
    arm_env: dict[str, str], reviewed: Path
) -> None:
    assert apply_plan(arm_env, reviewed)[0] == 0
    code, out, err = apply_plan(arm_env, reviewed)
    assert code == 0, err
    assert "Nothing left to do: every change of the reviewed plan is applied." in out
    assert "stale" not in err


def test_a_rerun_refuses_a_change_outside_the_reviewed_plan(
    arm_env: dict[str, str],
    reviewed: Path,
    world: Emulator,
    monitor_client: MonitorManagementClient,
) -> None:
    fail_the_vault_once(world)
    assert apply_plan(arm_env, reviewed)[0] == 1
    world.control.clear_faults()
    # Meanwhile someone edits the group the first run created: its update was never reviewed.
    applied = monitor_client.action_groups.get("rg-monitoring", "ag-backup-oncall")
    applied.group_short_name = "byhand"
    monitor_client.action_groups.create_or_update("rg-monitoring", "ag-backup-oncall", applied)

    code, out, err = apply_plan(arm_env, reviewed)
    assert code == 3
    assert 'not in the reviewed plan: update action group "ag-backup-oncall"' in err
    assert "Applying" not in out
    assert monitor_client.action_groups.get(
        "rg-monitoring", "ag-backup-oncall"
    ).group_short_name == ("byhand")


def test_a_rerun_refuses_a_plan_file_edited_after_it_was_written(
    arm_env: dict[str, str], reviewed: Path, world: Emulator
) -> None:
    fail_the_vault_once(world)
    assert apply_plan(arm_env, reviewed)[0] == 1
    world.control.clear_faults()
    data = json.loads(reviewed.read_text())
    data["changes"][-1]["fields"][0]["new"] = "edited"
    reviewed.write_text(json.dumps(data))
    code, _, err = apply_plan(arm_env, reviewed)
    assert code == 3
    assert "the plan file was edited after it was written" in err


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [({"orphans": 5}, 0), ({"orphans": [{"id": 1}]}, 0), ({"problems": ["not an object"]}, 3)],
)
def test_a_plan_file_consistent_with_its_checksum_but_odd_never_tracebacks(
    arm_env: dict[str, str], reviewed: Path, hostile: dict[str, object], expected: int
) -> None:
    """Its changes are the reviewed ones: applied; a plan that had problems never is."""
    data = {**json.loads(reviewed.read_text()), **hostile}
    data["checksum"] = checksum_of(data)  # consistent with itself: only the content is odd
    reviewed.write_text(json.dumps(data))
    code, _, err = apply_plan(arm_env, reviewed)
    assert code == expected, err
    assert "Traceback" not in err
