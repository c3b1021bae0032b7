"""A live rule that adds an action group Azure no longer has: export says so, plan refuses it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provisioner.export.build import Dangling, Snapshot, export, summary_lines
from tests.builders import SUB, group, group_id, rule
from tests.e2e import alertsync
from tests.seeds import DEFAULT_SEED

MONITORING = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring"
GONE = f"{MONITORING}/providers/Microsoft.Insights/actionGroups/ag-gone"


def test_a_rule_naming_a_group_missing_from_a_listed_scope_is_dangling() -> None:
    snapshot = Snapshot(
        SUB, action_groups=(group("ag-oncall"),), rules=(rule(groups=("ag-gone",)),)
    )
    result = export(snapshot)
    assert result.dangling == (Dangling(rule().id, group_id("ag-gone")),)
    lines = summary_lines(result, "out")
    assert any('"ag-gone"' in line and "no longer exists" in line for line in lines), lines


def test_a_group_outside_the_listed_resource_groups_is_not_judged() -> None:
    """Export read only rg-monitoring's listing of a group in rg-shared: it cannot tell."""
    shared = group_id("ag-noc", "rg-shared")
    listed = Snapshot(
        SUB,
        rules=(rule(action_group_ids=(shared,)),),
        resource_groups=("rg-monitoring",),
    )
    assert export(listed, owner="backup-alerts").dangling == ()
    whole = Snapshot(SUB, rules=(rule(action_group_ids=(shared,)),))
    assert [d.group for d in export(whole, owner="backup-alerts").dangling] == [shared]


def test_a_healthy_export_names_nothing_dangling() -> None:
    result = export(Snapshot(SUB, action_groups=(group(),), rules=(rule(),)))
    assert result.dangling == ()
    assert not any("no longer exists" in line for line in summary_lines(result, "out"))


def _dangling_seed() -> dict[str, Any]:
    """The default world plus a managed rule whose action group was deleted under it."""
    seed: dict[str, Any] = json.loads(json.dumps(DEFAULT_SEED))
    seed["subscriptions"][0]["resourceGroups"][0]["resources"] = [
        {
            "id": f"{MONITORING}/providers/Microsoft.AlertsManagement/actionRules/apr-old",
            "body": {
                "location": "Global",
                "tags": {"managed-by": "alertsync", "alertsync-owner": "backup-alerts"},
                "properties": {
                    "enabled": True,
                    "scopes": [f"/subscriptions/{SUB}"],
                    "actions": [{"actionType": "AddActionGroups", "actionGroupIds": [GONE]}],
                },
            },
        }
    ]
    return seed


@pytest.mark.slow
def test_export_names_the_missing_group_and_plan_refuses_it_until_fixed(
    arm_env: dict[str, str], world: Any, tmp_path: Path
) -> None:
    world.control.reset(seed=_dangling_seed())
    exported = alertsync(arm_env, tmp_path, "export", "--out", "out")
    assert exported.code == 0, exported.err
    said = exported.out + exported.err
    assert '"apr-old"' in said and '"ag-gone"' in said and "no longer exists" in said, said
    spec = tmp_path / "out" / "rg-monitoring.yaml"
    assert "ag-gone" in spec.read_text()  # written as Azure holds it, not silently dropped

    refused = alertsync(arm_env, tmp_path, "plan", "out")
    assert refused.code == 1, refused.out + refused.err
    shown = refused.out + refused.err
    assert "rg-monitoring.yaml:" in shown and '"ag-gone"' in shown and "does not exist" in shown
    assert "Traceback" not in shown

    fixed = spec.read_text().replace(GONE, "ag-oncall")
    spec.write_text(
        fixed + "\nactionGroups:\n  - name: ag-oncall\n    shortName: oncall\n    emailReceivers:\n"
        "      - {name: oncall, address: oncall@example.com}\n"
    )
    applied = alertsync(arm_env, tmp_path, "apply", "out", "--yes")
    assert applied.code == 0, applied.out + applied.err
    clean = alertsync(arm_env, tmp_path, "plan", "out", "--detailed-exitcode")
    assert clean.code == 0, clean.out + clean.err
