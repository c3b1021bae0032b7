"""What the real `alertsync` command prints, against the emulator: apply reports, plan verdicts,
error lines, argument checks and colour."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e import SEED_SCENARIO, alertsync, write_spec

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

VAULT = 'vault "RSV-JPE-LRS" (rg "rg-backup", sub "00000000-0000-0000-0000-000000000000")'


def test_a_failed_change_names_its_resource_once_then_what_azure_said(
    arm_env: dict[str, str], tmp_path: Path, world: Emulator
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    world.control.add_fault(
        "PATCH", "vaults/RSV-JPE-LRS$", status=400, code="BadRequest", message="try later"
    )
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 1
    (line,) = [line for line in run.err.splitlines() if line.startswith("✗")]
    assert line == f"✗ update {VAULT}: (BadRequest) try later"


@pytest.mark.parametrize("checksum", ["", "  ", "sha256:", "sha256:abc", "md5:" + "0" * 64])
def test_an_empty_or_malformed_checksum_is_a_usage_error_and_applies_nothing(
    arm_env: dict[str, str], tmp_path: Path, checksum: str
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    run = alertsync(arm_env, tmp_path, "apply", "--yes", "--checksum", checksum)
    assert run.code == 1
    assert "Invalid value for '--checksum'" in run.err
    assert "is not a plan checksum" in run.err
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 2


def test_the_checksum_plan_printed_binds_apply(arm_env: dict[str, str], tmp_path: Path) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    plan_file = tmp_path / "plan.json"
    assert alertsync(arm_env, tmp_path, "plan", "--out", str(plan_file)).code == 0
    checksum = json.loads(plan_file.read_text())["checksum"]
    run = alertsync(arm_env, tmp_path, "apply", "--yes", "--checksum", f" {checksum.upper()}\n")
    assert run.code == 0, run.err
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0
