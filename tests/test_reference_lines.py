"""A problem about one scope entry (or action group entry) of a rule points at that entry's line,
not the rule's: a rule may name hundreds of vaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e import SUB, alertsync, write_spec

SPEC = f"""
    apiVersion: alertsync/v1
    owner: backup-alerts
    subscription: {SUB}
    resourceGroup: rg-monitoring
    alertProcessingRules:
      - name: apr-many-vaults
        scopes:
          - {{vault: RSV-JPE-LRS, resourceGroup: rg-backup}}
          - {{vault: RSV-GONE, resourceGroup: rg-backup}}
        actionGroups:
          - /subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups/ag-elsewhere
"""


@pytest.mark.smoke  # one real `alertsync plan` against the emulator stays in test-fast
def test_a_missing_scope_or_group_points_at_its_own_entry(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SPEC)
    plan_file = tmp_path / "plan.json"
    run = alertsync(arm_env, tmp_path, "plan", "--out", str(plan_file))
    assert run.code == 1
    missing = {p["message"].split(" which")[0]: p["source"] for p in _problems(plan_file)}
    assert len(missing) == 2
    (vault_source,) = [s for m, s in missing.items() if "RSV-GONE" in m]
    (group_source,) = [s for m, s in missing.items() if "ag-elsewhere" in m]
    assert vault_source == "specs/backup.yaml:9"  # the scope entry, not the rule (line 6)
    assert group_source == "specs/backup.yaml:11"
    assert any(
        line.startswith("! ") and "RSV-GONE" in line and line.endswith("[specs/backup.yaml:9]")
        for line in run.out.splitlines()
    )


def _problems(plan_file: Path) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = json.loads(plan_file.read_text())["problems"]
    return problems
