"""Output people can pipe and trust: what goes to stdout and stderr, and how often."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from azure.mgmt.monitor import MonitorManagementClient

from tests.e2e import SEED_SCENARIO, SUB, alertsync, on_a_terminal, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes


def test_debug_is_accepted_after_the_subcommand(tmp_path: Path) -> None:
    write_spec(tmp_path, "broken.yaml", "apiVersion: alertsync/v1\nowner: [not, a, name]\n")
    quiet = alertsync({}, tmp_path, "validate", "specs")
    assert quiet.code == 1 and "DEBUG:" not in quiet.err
    for args in (("validate", "specs", "--debug"), ("--debug", "validate", "specs")):
        run = alertsync({}, tmp_path, *args)
        assert "No such option" not in run.err
        assert run.code == 1 and "DEBUG:provisioner" in run.err, args


def test_debug_after_a_double_dash_is_a_path(tmp_path: Path) -> None:
    run = alertsync({}, tmp_path, "validate", "--", "--debug")
    assert run.code == 1
    assert "--debug" in run.err and "DEBUG:" not in run.err


def test_per_change_results_go_to_stdout_with_the_plan(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 0, run.err
    done = [line for line in run.out.splitlines() if line.startswith("✓")]
    assert len(done) == 3 and done[0].startswith('✓ created action group "ag-backup-oncall"')
    assert "✓" not in run.err  # `apply > log` keeps every result; stderr is for diagnostics
    assert run.out.index("Plan: 2 to create") < run.out.index("✓") < run.out.index("Apply complete")


def test_a_plan_that_keeps_resources_never_says_azure_matches(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    spec = specs / "backup.yaml"
    spec.write_text(spec.read_text().split("alertProcessingRules:")[0] + "vaults: []\n")
    for output in ("text", "markdown"):
        run = alertsync(arm_env, tmp_path, "plan", "--format", output)
        assert run.code == 0, run.err
        assert "Azure matches" not in run.out
        assert (
            "No changes to apply, but 1 resource no spec declares any more is kept "
            "(--prune deletes it)." in run.out
        )
    markdown = alertsync(arm_env, tmp_path, "plan", "--format", "markdown").out
    assert "> [!NOTE]\n> Kept, no spec declares them any more" in markdown
    assert 'alert processing rule "apr-backup-job-failures"' in markdown


UNMANAGED = f"""
    apiVersion: alertsync/v1
    owner: backup-alerts
    subscription: {SUB}
    resourceGroup: rg-monitoring
    actionGroups:
      - {{name: legacy-a, shortName: x}}
"""


def test_on_a_terminal_each_problem_prints_once(
    arm_env: dict[str, str], tmp_path: Path, monitor_client: MonitorManagementClient
) -> None:
    monitor_client.action_groups.create_or_update(
        "rg-monitoring",
        "legacy-a",
        {"location": "Global", "group_short_name": "x", "enabled": True},
    )
    write_spec(tmp_path, "legacy.yaml", UNMANAGED)
    for args in (("plan",), ("apply", "--yes")):
        code, shown = on_a_terminal({**arm_env, "NO_COLOR": "1"}, tmp_path, *args, stderr_too=True)
        assert code == 3, shown
        assert shown.count("is not managed by alertsync") == 1, shown
        assert "error: the plan is blocked by 1 problem (the ! lines above)" in shown
    piped = alertsync(arm_env, tmp_path, "plan")  # in a pipeline, stderr says it all again
    assert "is not managed by alertsync" in piped.out and "is not managed by alertsync" in piped.err


def test_on_a_terminal_each_unsafe_reason_prints_once_with_what_accepts_it(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    spec = specs / "backup.yaml"
    spec.write_text(spec.read_text().replace("jobFailureAlerts: true", "jobFailureAlerts: false"))
    env = {**arm_env, "NO_COLOR": "1"}
    for args, then in (
        (("plan", "--detailed-exitcode"), "a reviewer who accepts these changes plans again"),
        (("apply", "--yes"), "re-run with --force if this is intended"),
    ):
        code, shown = on_a_terminal(env, tmp_path, *args, stderr_too=True)
        assert code == 3, shown
        assert shown.count("turns off the job failure alerts of") == 1, shown
        assert then in shown


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_sign_in_endpoint_says_cannot_reach_it(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    authority = f"https://127.0.0.1:{_closed_port()}"
    run = alertsync({**arm_env, "AZURE_AUTHORITY_HOST": authority}, tmp_path, "plan")
    assert run.code == 1
    assert f"cannot reach {authority} to sign in" in run.err
    assert "sign-in failed" not in run.err and "az login" not in run.err
