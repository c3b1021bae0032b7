"""`alertsync test-notify`: the real command against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.emulator import Emulator
from tests.e2e import SEED_SCENARIO, SUB, alertsync, write_spec

AG = "ag-backup-oncall"
AG_ID = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups/{AG}"


@pytest.fixture
def applied(arm_env: dict[str, str], tmp_path: Path) -> Path:
    """The seed scenario (two email receivers), applied; returns the working folder."""
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    return tmp_path


def test_every_receiver_succeeds_exit_0_one_line_each(
    applied: Path, arm_env: dict[str, str]
) -> None:
    run = alertsync(arm_env, applied, "test-notify", AG)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].startswith("Test notification (metricstaticthreshold) of action group")
    assert lines[1:3] == [
        "✓ email backup-team (backup-team@example.com): Completed",
        "✓ email oncall (oncall@example.com): Completed",
    ]
    assert lines[3] == "Notification Completed: 2 of 2 receiver(s) succeeded, 0 failed."


def test_a_failed_receiver_exits_1_with_its_detail(
    applied: Path, arm_env: dict[str, str], world: Emulator
) -> None:
    world.control.fail_test_notifications({"oncall": "The mailbox does not exist"})
    run = alertsync(arm_env, applied, "test-notify", AG, "--alert-type", "servicehealth")
    assert run.code == 1
    assert "✓ email backup-team (backup-team@example.com): Completed" in run.out
    assert "✗ email oncall (oncall@example.com): Failed: The mailbox does not exist" in run.out
    assert "1 of 2 receiver(s) succeeded, 1 failed." in run.out


def test_an_unsubscribed_receiver_fails_even_when_the_test_completes(
    applied: Path, arm_env: dict[str, str], world: Emulator
) -> None:
    world.control.set_receiver_status(AG_ID, "oncall", "Disabled")
    run = alertsync(arm_env, applied, "test-notify", AG)
    assert run.code == 1
    assert "✗ email oncall (oncall@example.com): Completed: unsubscribed" in run.out


def test_a_full_resource_id_needs_no_specs(applied: Path, arm_env: dict[str, str]) -> None:
    run = alertsync(
        arm_env,
        applied,
        "test-notify",
        AG_ID.replace("ag-backup-oncall", "AG-Backup-Oncall"),
        "--specs",
        "nowhere",
    )
    assert run.code == 0, run.err
    assert "2 of 2 receiver(s) succeeded" in run.out


def test_unknown_group_name_is_a_clear_error(applied: Path, arm_env: dict[str, str]) -> None:
    run = alertsync(arm_env, applied, "test-notify", "ag-nope")
    assert run.code == 1
    assert run.err.strip() == 'error: no action group named "ag-nope" is declared in specs'
    assert "Traceback" not in run.err


def test_declared_but_not_applied_group_says_to_apply(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    run = alertsync(arm_env, tmp_path, "test-notify", AG)
    assert run.code == 1
    assert "does not exist in Azure; run `alertsync apply` first" in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--alert-type", "backupfailure"), "choose from servicehealth"),
        (("--specs", "nowhere"), "nowhere"),
    ],
)
def test_bad_options_exit_1(
    applied: Path, arm_env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    run = alertsync(arm_env, applied, "test-notify", AG, *args)
    assert run.code == 1
    assert message in run.err
