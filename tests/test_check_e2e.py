"""`alertsync check` end to end: the real command, the real SDK clients, the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.recoveryservices import RecoveryServicesClient

from provisioner.emulator import Emulator
from tests.e2e import SEED_SCENARIO, SUB, Run, alertsync, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

MONDAY = "2026-11-30T09:30:00Z"
SATURDAY = "2026-12-05T02:00:00Z"
VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"


def applied(arm_env: dict[str, str], tmp_path: Path) -> Path:
    specs = write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    done = alertsync(arm_env, tmp_path, "apply", "--yes", str(specs))
    assert done.code == 0, done.out + done.err
    return specs


def check(arm_env: dict[str, str], tmp_path: Path, *args: str) -> Run:
    return alertsync(arm_env, tmp_path, "check", *args)


def check_json(arm_env: dict[str, str], tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = check(arm_env, tmp_path, *args, "--format", "json")
    assert done.code in (0, 2), done.out + done.err
    return done.code, json.loads(done.out)


def weekend_suppression(world: Emulator) -> None:
    """A colleague's maintenance rule, made outside alertsync (as raw ARM, through the seed)."""
    rule_id = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.AlertsManagement/actionRules/apr-weekend"
    weekly = {"recurrenceType": "Weekly", "daysOfWeek": ["Saturday", "Sunday"]}
    properties = {
        "scopes": [f"/subscriptions/{SUB}"],
        "actions": [{"actionType": "RemoveAllActionGroups"}],
        "schedule": {"timeZone": "Tokyo Standard Time", "recurrences": [weekly]},
    }
    group = {"name": "rg-monitoring", "location": "japaneast"}
    group["resources"] = [{"id": rule_id, "body": {"location": "Global", "properties": properties}}]
    world.control.seed({"subscriptions": [{"id": SUB, "resourceGroups": [group]}]})


def test_the_seed_scenario_is_covered_and_json_has_the_contract(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = applied(arm_env, tmp_path)
    code, data = check_json(arm_env, tmp_path, str(specs), "--at", MONDAY)
    assert code == 0
    assert data["formatVersion"] == 1
    assert data["at"] == MONDAY
    assert data["summary"] == {"covered": 1, "notCovered": 0, "vaults": 1, "withGaps": 0}
    [vault] = data["vaults"]
    assert vault["id"].lower() == VAULT.lower()
    assert (vault["name"], vault["resourceGroup"], vault["subscription"]) == (
        "RSV-JPE-LRS",
        "rg-backup",
        SUB,
    )
    assert vault["covered"] is True
    assert vault["emails"] == ["backup-team@example.com", "oncall@example.com"]
    [route] = vault["routes"]
    assert route["rule"].lower().endswith("/actionrules/apr-backup-job-failures")
    assert route["actionGroup"].lower().endswith("/actiongroups/ag-backup-oncall")
    assert vault["problems"] == []
    assert vault["gaps"] == []
    text = check(arm_env, tmp_path, str(specs), "--at", MONDAY)
    assert text.code == 0, text.err
    assert "✓ RSV-JPE-LRS (rg rg-backup" in text.out
    assert "backup-team@example.com, oncall@example.com" in text.out


def test_a_weekend_suppression_is_found_now_and_over_the_window(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = applied(arm_env, tmp_path)
    weekend_suppression(world)
    code, data = check_json(arm_env, tmp_path, str(specs), "--at", SATURDAY)
    assert code == 2
    [vault] = data["vaults"]
    assert vault["covered"] is False
    assert [p["code"] for p in vault["problems"]] == ["suppressed"]
    assert "apr-weekend" in vault["problems"][0]["message"]
    code, data = check_json(arm_env, tmp_path, str(specs), "--at", MONDAY, "--window", "7d")
    assert code == 2  # covered now, but not all week
    [vault] = data["vaults"]
    assert vault["covered"] is True
    # Saturday and Sunday in Tokyo: Friday 15:00 UTC to Sunday 15:00 UTC.
    assert [(g["from"], g["until"], g["code"]) for g in vault["gaps"]] == [
        ("2026-12-04T15:00:00Z", "2026-12-06T15:00:00Z", "suppressed")
    ]
    text = check(arm_env, tmp_path, str(specs), "--at", MONDAY, "--window", "7d")
    assert "gap 2026-12-04T15:00:00Z → 2026-12-06T15:00:00Z: suppressed" in text.out


def test_undeclared_vaults_of_the_subscription_are_checked_too(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = applied(arm_env, tmp_path)
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {
                            "name": "rg-other",
                            "location": "japaneast",
                            "vaults": [{"name": "RSV-OTHER", "location": "japaneast"}],
                        }
                    ],
                }
            ]
        }
    )
    code, data = check_json(arm_env, tmp_path, str(specs), "--at", MONDAY)
    assert code == 2
    by_name = {v["name"]: v for v in data["vaults"]}
    assert by_name["RSV-JPE-LRS"]["covered"] is True
    assert [p["code"] for p in by_name["RSV-OTHER"]["problems"]] == ["no-rule"]


def test_job_failure_alerts_switched_off_on_the_vault(
    arm_env: dict[str, str], tmp_path: Path, vaults_client: RecoveryServicesClient
) -> None:
    applied(arm_env, tmp_path)
    vaults_client.vaults.begin_update(
        "rg-backup",
        "RSV-JPE-LRS",
        {
            "properties": {
                "monitoringSettings": {
                    "azureMonitorAlertSettings": {"alertsForAllJobFailures": "Disabled"}
                }
            }
        },
    ).result()
    code, data = check_json(arm_env, tmp_path, "--subscription", SUB, "--at", MONDAY)
    assert code == 2
    assert data["vaults"][0]["problems"][0]["code"] == "job-failure-alerts-disabled"


def test_markdown_and_out_file(arm_env: dict[str, str], tmp_path: Path) -> None:
    specs = applied(arm_env, tmp_path)
    out = tmp_path / "coverage.md"
    done = check(arm_env, tmp_path, str(specs), "--format", "markdown", "--out", str(out))
    assert done.code == 0, done.err
    markdown = out.read_text(encoding="utf-8")
    assert "| ✓ | RSV-JPE-LRS | rg-backup |" in markdown
    assert "✓ RSV-JPE-LRS" in done.out  # the text report on stdout


def test_cost_is_three_lists_per_subscription_whatever_the_vaults(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    vaults = [{"name": f"RSV-{i:03}", "location": "japaneast"} for i in range(60)]
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {"name": "rg-many", "location": "japaneast", "vaults": vaults}
                    ],
                }
            ]
        }
    )
    world.control.settings(pageSize=25)
    world.control.clear_requests()
    code, data = check_json(arm_env, tmp_path, "--subscription", SUB, "--at", MONDAY)
    assert code == 2
    assert data["summary"]["vaults"] == 61
    lists = [r["path"].lower() for r in world.control.requests() if r["method"] == "GET"]
    kinds = [p.split("/providers/")[-1] for p in lists if p.startswith("/subscriptions/")]
    # One list each, the vaults' followed over 3 pages of 25: nothing per vault.
    assert sorted(set(kinds)) == [
        "microsoft.alertsmanagement/actionrules",
        "microsoft.insights/actiongroups",
        "microsoft.recoveryservices/vaults",
    ]
    assert kinds.count("microsoft.recoveryservices/vaults") == 3
    assert len(kinds) == 5


def test_every_email_receiver_unsubscribed_is_no_email(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = applied(arm_env, tmp_path)
    group = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups/ag-backup-oncall"
    world.control.set_receiver_status(group, "oncall", "Disabled")
    code, data = check_json(arm_env, tmp_path, str(specs), "--at", MONDAY)
    assert code == 0
    assert data["vaults"][0]["emails"] == ["backup-team@example.com"]
    world.control.set_receiver_status(group, "backup-team", "Disabled")
    code, data = check_json(arm_env, tmp_path, str(specs), "--at", MONDAY)
    assert code == 2
    assert [p["code"] for p in data["vaults"][0]["problems"]] == ["no-email"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--at", "saturday"), ("Invalid value for --at: 'saturday' is not a time", 2)),
        (("--window", "7 days"), ("Invalid value for --window: '7 days' is not a duration", 2)),
        (("--window", "0d"), ("--window: '0d' must be longer than 0", 2)),
        (("--subscription", "not-a-guid"), ("is not a subscription ID", 1)),
    ],
)
def test_bad_arguments_are_one_clear_error(
    arm_env: dict[str, str], tmp_path: Path, args: tuple[str, ...], expected: tuple[str, int]
) -> None:
    """A bad --at or --window is a usage error (exit 2), as click's own and --since are."""
    message, code = expected
    done = check(arm_env, tmp_path, "--subscription", SUB, *args)
    assert done.code == code
    assert message in done.err
    assert "Traceback" not in done.err


def test_an_unknown_subscription_is_an_error(arm_env: dict[str, str], tmp_path: Path) -> None:
    done = check(arm_env, tmp_path, "--subscription", "11111111-1111-1111-1111-111111111111")
    assert done.code == 1
    assert "error:" in done.err
    assert "Traceback" not in done.err


def test_plan_warns_when_it_would_leave_a_vault_uncovered(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = applied(arm_env, tmp_path)
    spec = specs / "backup.yaml"
    spec.write_text(spec.read_text().replace("severity: [Sev1]", "severity: [Sev0]"))
    done = alertsync(arm_env, tmp_path, "plan", str(specs), "--format", "json")
    assert done.code == 0, done.err
    [warning] = json.loads(done.out)["warnings"]
    assert "RSV-JPE-LRS" in warning
    assert "would stop reaching anyone" in warning
    assert "condition-excludes" in warning
    text = alertsync(arm_env, tmp_path, "plan", str(specs))
    assert "would stop reaching anyone after this plan" in text.out


def test_plan_of_a_covering_spec_has_no_coverage_warning(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    done = alertsync(arm_env, tmp_path, "plan", str(specs), "--format", "json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["warnings"] == []  # not yet applied, but the plan covers it


def test_a_vault_the_specs_name_that_azure_lacks_is_a_warning(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = write_spec(tmp_path, "backup.yaml", SEED_SCENARIO.replace("RSV-JPE-LRS", "RSV-GONE"))
    code, data = check_json(arm_env, tmp_path, str(specs), "--at", MONDAY)
    assert code == 2  # the real vault: no rule (nothing applied)
    [warning] = data["warnings"]
    assert '"RSV-GONE"' in warning
    assert "does not exist in Azure" in warning
