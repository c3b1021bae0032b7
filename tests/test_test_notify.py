"""`alertsync test-notify`: the real command against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.azure.mappings.action_groups import TEST_ALERT_TYPES
from provisioner.emulator import Emulator
from tests.e2e import SEED_SCENARIO, SUB, alertsync, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

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
        "✓ email backup-team (backup-team@example.com): delivered (Azure: Completed)",
        "✓ email oncall (oncall@example.com): delivered (Azure: Completed)",
    ]
    assert lines[3] == (
        "2 of 2 receiver(s) delivered, 0 not delivered "
        "(Azure reports the test notification Completed)."
    )


def test_a_failed_receiver_exits_1_with_its_detail(
    applied: Path, arm_env: dict[str, str], world: Emulator
) -> None:
    world.control.fail_test_notifications({"oncall": "The mailbox does not exist"})
    run = alertsync(arm_env, applied, "test-notify", AG, "--alert-type", "servicehealth")
    assert run.code == 1
    assert "✓ email backup-team (backup-team@example.com): delivered (Azure: Completed)" in run.out
    assert (
        "✗ email oncall (oncall@example.com): not delivered: The mailbox does not exist "
        "(Azure: Failed)" in run.out
    )
    assert "1 of 2 receiver(s) delivered, 1 not delivered" in run.out


def test_an_unsubscribed_receiver_fails_even_when_the_test_completes(
    applied: Path, arm_env: dict[str, str], world: Emulator
) -> None:
    world.control.set_receiver_status(AG_ID, "oncall", "Disabled")
    run = alertsync(arm_env, applied, "test-notify", AG)
    assert run.code == 1
    assert (
        "✗ email oncall (oncall@example.com): not delivered: unsubscribed (receiver status "
        "Disabled): it gets no alerts until re-enabled (Azure: Completed)" in run.out
    )
    assert "1 of 2 receiver(s) delivered, 1 not delivered" in run.out
    assert "Completed: unsubscribed" not in run.out


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
    assert "2 of 2 receiver(s) delivered" in run.out


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
    ("args", "code", "message"),
    [
        (("--alert-type", "backupfailure"), 2, "choose from servicehealth"),  # a usage error
        (("--specs", "nowhere"), 1, "nowhere"),
    ],
)
def test_bad_options_are_refused(
    applied: Path, arm_env: dict[str, str], args: tuple[str, ...], code: int, message: str
) -> None:
    run = alertsync(arm_env, applied, "test-notify", AG, *args)
    assert run.code == code
    assert message in run.err


def test_rate_limited_test_is_not_retried_and_says_when_to_try_again(
    applied: Path, arm_env: dict[str, str], world: Emulator
) -> None:
    # Azure allows 2 tests per group and 5 per subscription every 5 minutes
    # (docs/azure-behaviour.md#test-notifications). A retry would notify everyone twice: the
    # request log shows one POST. That nothing waits out Retry-After (300 s here) is shown on a
    # fake clock in test_azure.py::test_a_rate_limited_test_notification_is_neither_retried_nor_waited_for.
    world.control.add_fault(
        method="POST", path="createNotifications", status=429, count=1, retry_after=300
    )
    world.control.clear_requests()
    run = alertsync(arm_env, applied, "test-notify", AG)
    assert run.code == 1
    assert run.out == ""
    [sentence] = run.err.splitlines()
    assert sentence.startswith(f'error: testing action group "{AG}"')
    assert "Azure's limit on test notifications was reached" in sentence
    assert "try again in 300s (after " in sentence
    tests = [r for r in world.control.requests() if r["path"].endswith("createNotifications")]
    assert [r["status"] for r in tests] == [429]


def test_alert_type_is_accepted_in_any_case(applied: Path, arm_env: dict[str, str]) -> None:
    run = alertsync(arm_env, applied, "test-notify", AG, "--alert-type", "LogAlertV2")
    assert run.code == 0, run.err
    assert run.out.startswith("Test notification (logalertv2) of action group")


def test_a_missing_ca_bundle_is_named(applied: Path, arm_env: dict[str, str]) -> None:
    env = {**arm_env, "ALERTSYNC_CA_BUNDLE": "/nonexistent/ca.pem"}
    run = alertsync(env, applied, "test-notify", AG)
    assert run.code == 1
    assert run.err.strip() == (
        "error: CA bundle file not found: /nonexistent/ca.pem (ALERTSYNC_CA_BUNDLE)"
    )


def test_alert_type_help_lists_every_valid_type() -> None:
    run = alertsync({"COLUMNS": "400"}, Path.cwd(), "test-notify", "--help")
    assert run.code == 0, run.err
    help_text = " ".join(run.out.split())
    assert ", ".join(TEST_ALERT_TYPES) in help_text
