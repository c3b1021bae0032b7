"""What the real `alertsync` command prints, against the emulator: apply reports, plan verdicts,
error lines, argument checks and colour."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
