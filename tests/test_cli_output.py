"""What the real `alertsync` command prints, against the emulator: apply reports, plan verdicts,
error lines, argument checks and colour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e import SEED_SCENARIO, SUB, alertsync, on_a_terminal, write_spec

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

VAULT = f'vault "RSV-JPE-LRS" (rg "rg-backup", sub "{SUB}")'
MONITORING = f'rg "rg-monitoring", sub "{SUB}"'


@pytest.mark.slow
def test_a_failed_change_names_its_resource_once_then_what_azure_said(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    world.control.add_fault(
        "PATCH", "vaults/RSV-JPE-LRS$", status=400, code="BadRequest", message="try later"
    )
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 1
    (line,) = [line for line in run.out.splitlines() if line.startswith("✗")]
    assert line == f"✗ update {VAULT}: (BadRequest) try later"


@pytest.mark.slow
@pytest.mark.parametrize("checksum", ["", "  ", "sha256:", "sha256:abc", "md5:" + "0" * 64])
def test_an_empty_or_malformed_checksum_is_a_usage_error_and_applies_nothing(
    arm_env: dict[str, str], tmp_path: Path, checksum: str
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    run = alertsync(arm_env, tmp_path, "apply", "--yes", "--checksum", checksum)
    assert run.code == 2  # a usage error, as click reports it
    assert "Invalid value for '--checksum'" in run.err
    assert "is not a plan checksum" in run.err
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 2


@pytest.mark.slow
def test_the_checksum_plan_printed_binds_apply(arm_env: dict[str, str], tmp_path: Path) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    plan_file = tmp_path / "plan.json"
    assert alertsync(arm_env, tmp_path, "plan", "--out", str(plan_file)).code == 0
    checksum = json.loads(plan_file.read_text())["checksum"]
    run = alertsync(arm_env, tmp_path, "apply", "--yes", "--checksum", f" {checksum.upper()}\n")
    assert run.code == 0, run.err
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0


@pytest.mark.slow
def test_a_plan_file_that_cannot_be_written_is_one_error_line(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    target = tmp_path / "no-such-folder" / "plan.json"
    run = alertsync(arm_env, tmp_path, "plan", "--out", str(target))
    assert run.code == 1
    assert run.err.strip().splitlines()[-1] == (
        f"error: cannot write the plan to {target}: No such file or directory"
    )
    assert "Traceback" not in run.err


@pytest.mark.slow
def test_plan_and_checksum_together_are_a_usage_error(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    plan_file = tmp_path / "plan.json"
    assert alertsync(arm_env, tmp_path, "plan", "--out", str(plan_file)).code == 0
    checksum = json.loads(plan_file.read_text())["checksum"]
    run = alertsync(
        arm_env, tmp_path, "apply", "--yes", "--plan", str(plan_file), "--checksum", checksum
    )
    assert run.code == 2  # a usage error, as click reports it
    assert "give --plan or --checksum, not both" in run.err
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 2


GROUPS = (
    f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups"
)


def _seed_unmanaged_groups(world: Emulator, *names: str) -> None:
    body = {"location": "Global", "properties": {"groupShortName": "x", "enabled": True}}
    resources = [{"id": f"{GROUPS}/{name}", "body": body} for name in names]
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {"name": "rg-monitoring", "location": "japaneast", "resources": resources}
                    ],
                }
            ]
        }
    )


def _declaring_groups(*names: str) -> str:
    groups = "\n".join(f"  - {{name: {name}, shortName: x}}" for name in names)
    return (
        f"apiVersion: alertsync/v1\nowner: backup-alerts\nsubscription: {SUB}\n"
        f"resourceGroup: rg-monitoring\nactionGroups:\n{groups}\n"
    )


@pytest.mark.slow
def test_each_plan_problem_is_its_own_error_line(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    _seed_unmanaged_groups(world, "legacy-a", "legacy-b")
    write_spec(tmp_path, "legacy.yaml", _declaring_groups("legacy-a", "legacy-b"))
    for command in (["plan"], ["apply", "--yes"]):
        run = alertsync(arm_env, tmp_path, *command)
        assert run.code == 3, run.err
        errors = [line for line in run.err.splitlines() if line.startswith("error:")]
        assert [e.split('"')[1] for e in errors] == ["legacy-a", "legacy-b"]
        assert all(e.endswith("(the plan then shows it as an adopt)") for e in errors)


@pytest.mark.slow
def test_each_unsafe_reason_is_its_own_error_line(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    spec = tmp_path / "specs" / "backup.yaml"
    text = spec.read_text()
    silenced = text.split("    emailReceivers:")[0] + "    enabled: false\n"
    spec.write_text(silenced + "alertProcessingRules:" + text.split("alertProcessingRules:")[1])
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 3, run.err
    errors = [line for line in run.err.splitlines() if line.startswith("error:")]
    assert errors == [
        f'error: unsafe: disables action group "ag-backup-oncall" ({MONITORING})',
        f'error: unsafe: removes the last email receiver of action group "ag-backup-oncall" '
        f"({MONITORING})",
        "error: refusing an unsafe plan; re-run with --force if this is intended",
    ]


@pytest.mark.slow
def test_a_plan_blocked_by_a_missing_resource_group_does_not_say_azure_matches(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(
        tmp_path, "missing.yaml", _declaring_groups("ag-new").replace("rg-monitoring", "rg-nope")
    )
    for output in ("text", "markdown"):
        run = alertsync(arm_env, tmp_path, "plan", "--format", output)
        assert run.code == 1, run.err
        assert 'resource group "rg-nope"' in run.err
        assert "No changes" not in run.out
        assert "Plan blocked: 1 problem must be fixed" in run.out


@pytest.mark.slow
def test_a_plan_blocked_by_unmanaged_resources_does_not_say_azure_matches(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    _seed_unmanaged_groups(world, "legacy-a")
    write_spec(tmp_path, "legacy.yaml", _declaring_groups("legacy-a"))
    run = alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode")
    assert run.code == 3
    assert "No changes" not in run.out
    assert "Plan blocked: 1 problem must be fixed" in run.out
    adopted = alertsync(arm_env, tmp_path, "apply", "--yes", "--adopt")
    assert adopted.code == 0, adopted.err
    assert "No changes. Azure matches the specs." in alertsync(arm_env, tmp_path, "plan").out


def _plan_on_a_terminal(env: dict[str, str], cwd: Path) -> str:
    """`alertsync plan` with stdout on a pseudo-terminal, as a person runs it; what it showed."""
    code, shown = on_a_terminal(env, cwd, "plan")
    assert code == 0
    return shown


@pytest.mark.slow
@pytest.mark.parametrize(
    ("no_color", "coloured"), [(None, True), ("", True), ("1", False), ("false", False)]
)
def test_only_a_non_empty_no_color_turns_colour_off(
    arm_env: dict[str, str], tmp_path: Path, no_color: str | None, coloured: bool
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    env = {k: v for k, v in arm_env.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    shown = _plan_on_a_terminal(env, tmp_path)
    assert "+ create action group" in shown
    assert ("\x1b[" in shown) is coloured
