"""The real `alertsync` command against the emulator: plan → apply → plan, drift, ownership, safety."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor.models import ActionGroupResource, EmailReceiver

from tests.e2e import SEED_SCENARIO, SUB, alertsync, write_doc, write_spec

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

AG = "ag-backup-oncall"
APR = "apr-backup-job-failures"


@pytest.fixture
def applied(arm_env: dict[str, str], tmp_path: Path) -> Path:
    """The seed scenario, applied; returns the working folder."""
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 0, run.err
    return tmp_path


def test_seed_scenario_plan_apply_plan(arm_env: dict[str, str], tmp_path: Path) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    before = alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode")
    assert before.code == 2, before.err
    assert before.out.rstrip().endswith("Plan: 2 to create, 1 to update, 0 to delete.")
    applied = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert applied.code == 0, applied.err
    assert "Apply complete: 3 done, 0 failed, 0 skipped" in applied.out
    after = alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode")
    assert after.code == 0, after.out + after.err
    assert "No changes." in after.out


def test_apply_without_yes_and_without_terminal_refuses(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    run = alertsync(arm_env, tmp_path, "apply", stdin="y\n")
    assert run.code == 1
    assert "--yes" in run.err
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 2  # nothing applied


def test_drift_shows_exactly_the_changed_field_and_apply_repairs_it(
    applied: Path, arm_env: dict[str, str], monitor_client: MonitorManagementClient
) -> None:
    group = monitor_client.action_groups.get("rg-monitoring", AG)
    receiver = next(r for r in group.email_receivers if r.name == "oncall")
    receiver.email_address = "intruder@example.com"
    monitor_client.action_groups.create_or_update("rg-monitoring", AG, group)
    drift = alertsync(arm_env, applied, "plan", "--detailed-exitcode", "--format", "json")
    assert drift.code == 2, drift.err
    (change,) = json.loads(drift.out)["changes"]
    assert change["action"] == "update"
    assert change["fields"] == [  # exactly that field: nothing else is reported as changed
        {
            "path": "emailReceivers[oncall].address",
            "old": "intruder@example.com",
            "new": "oncall@example.com",
        }
    ]
    assert alertsync(arm_env, applied, "apply", "--yes").code == 0
    assert alertsync(arm_env, applied, "plan", "--detailed-exitcode").code == 0


def test_reordered_recased_and_lowercase_live_state_shows_no_diff(
    applied: Path,
    arm_env: dict[str, str],
    monitor_client: MonitorManagementClient,
    rules_client: AlertProcessingRulesMgmtClient,
) -> None:
    group = monitor_client.action_groups.get("rg-monitoring", AG)
    group.email_receivers = list(reversed(group.email_receivers))
    rewritten = ActionGroupResource(
        location="global",
        tags=group.tags,
        group_short_name=group.group_short_name,
        enabled=True,
        email_receivers=[
            EmailReceiver(
                name=r.name,
                email_address=r.email_address,
                use_common_alert_schema=r.use_common_alert_schema,
            )
            for r in group.email_receivers
        ],
    )
    monitor_client.action_groups.create_or_update("rg-monitoring", AG, rewritten)
    rule = rules_client.alert_processing_rules.get_by_name("rg-monitoring", APR)
    rule.properties.scopes = [s.lower() for s in rule.properties.scopes]
    condition = rule.properties.conditions[0]
    condition.field, condition.operator = "severity", "equals"
    condition.values_property = ["sev1"]  # the SDK's name for the JSON `values`
    rule.properties.actions[0].action_group_ids = [
        i.upper().replace("SUBSCRIPTIONS", "subscriptions")
        for i in rule.properties.actions[0].action_group_ids
    ]
    rule.location = "global"
    rules_client.alert_processing_rules.create_or_update("rg-monitoring", APR, rule)
    stored = rules_client.alert_processing_rules.get_by_name("rg-monitoring", APR).as_dict()
    assert stored["properties"]["conditions"][0] == {  # Azure keeps the case it was sent
        "field": "severity",
        "operator": "equals",
        "values": ["sev1"],
    }
    run = alertsync(arm_env, applied, "plan", "--detailed-exitcode")
    assert run.code == 0, run.out + run.err


def _seed_neighbours(world_control: object) -> None:
    """An unmanaged group and one owned by another team, in the same resource group."""
    rg = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups"
    body = {"location": "Global", "properties": {"groupShortName": "x", "enabled": True}}
    world_control.seed(  # type: ignore[attr-defined]
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {
                            "name": "rg-monitoring",
                            "location": "japaneast",
                            "resources": [
                                {"id": f"{rg}/legacy", "body": body},
                                {
                                    "id": f"{rg}/other-team",
                                    "body": {
                                        **body,
                                        "tags": {
                                            "managed-by": "alertsync",
                                            "alertsync-owner": "other-team",
                                        },
                                    },
                                },
                            ],
                        }
                    ],
                }
            ]
        }
    )


def test_prune_deletes_only_what_this_owner_manages(
    applied: Path,
    arm_env: dict[str, str],
    world,
    monitor_client: MonitorManagementClient,  # type: ignore[no-untyped-def]
) -> None:
    _seed_neighbours(world.control)
    # Keep only the file header and the action group: the rule is no longer declared.
    text = "\n".join(line[4:] for line in SEED_SCENARIO.splitlines() if line.strip()).split(
        "alertProcessingRules:"
    )[0]
    (applied / "specs" / "backup.yaml").write_text(text)
    kept = alertsync(arm_env, applied, "plan")
    assert "--prune deletes it" in kept.out
    pruned = alertsync(arm_env, applied, "apply", "--yes", "--prune")
    assert pruned.code == 0, pruned.out + pruned.err
    assert "deleted alert processing rule" in pruned.out
    names = {g.name for g in monitor_client.action_groups.list_by_resource_group("rg-monitoring")}
    assert names == {AG, "legacy", "other-team"}
    assert alertsync(arm_env, applied, "plan", "--detailed-exitcode", "--prune").code == 0


def test_declaring_an_unmanaged_resource_is_refused_unless_adopted(
    arm_env: dict[str, str],
    tmp_path: Path,
    world,  # type: ignore[no-untyped-def]
) -> None:
    _seed_neighbours(world.control)
    write_spec(
        tmp_path,
        "legacy.yaml",
        f"""
        apiVersion: alertsync/v1
        owner: backup-alerts
        subscription: {SUB}
        resourceGroup: rg-monitoring
        actionGroups:
          - {{name: legacy, shortName: legacy, emailReceivers: [{{name: a, address: a@example.com}}]}}
          - {{name: other-team, shortName: x}}
        """,
    )
    refused = alertsync(arm_env, tmp_path, "plan")
    assert refused.code == 3
    assert "--adopt" in refused.err
    assert 'managed by owner "other-team"' in refused.err
    still_refused = alertsync(arm_env, tmp_path, "apply", "--yes", "--adopt")
    assert still_refused.code == 3  # the other team's group is never taken over
    (tmp_path / "specs" / "legacy.yaml").write_text(
        (tmp_path / "specs" / "legacy.yaml")
        .read_text()
        .replace("  - {name: other-team, shortName: x}\n", "")
    )
    adopted = alertsync(arm_env, tmp_path, "apply", "--yes", "--adopt")
    assert adopted.code == 0, adopted.out + adopted.err
    assert '& adopt action group "legacy"' in adopted.out
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0


def test_a_500_on_one_put_gives_a_partial_result_and_a_rerun_converges(
    arm_env: dict[str, str],
    tmp_path: Path,
    world,  # type: ignore[no-untyped-def]
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    # More than azure-core's retries, so the PUT of the group really fails.
    world.control.add_fault("PUT", "actionGroups/ag-backup-oncall", status=500, count=20)
    partial = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert partial.code == 1
    assert 'action group "ag-backup-oncall"' in partial.out
    assert "skipped: depends on action group" in partial.out  # the rule needs the group
    assert "updated vault" in partial.out  # independent changes still ran
    world.control.clear_faults()
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0


def test_a_stale_plan_is_refused(arm_env: dict[str, str], tmp_path: Path, world) -> None:  # type: ignore[no-untyped-def]
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    plan_file = tmp_path / "reviewed.json"
    assert alertsync(arm_env, tmp_path, "plan", "--out", str(plan_file)).code == 0
    # Someone creates the group out of band between review and merge.
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {
                            "name": "rg-monitoring",
                            "location": "japaneast",
                            "resources": [
                                {
                                    "id": f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups/ag-backup-oncall",
                                    "body": {
                                        "location": "Global",
                                        "tags": {
                                            "managed-by": "alertsync",
                                            "alertsync-owner": "backup-alerts",
                                        },
                                        "properties": {
                                            "groupShortName": "backuponcall",
                                            "enabled": True,
                                        },
                                    },
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )
    stale = alertsync(arm_env, tmp_path, "apply", "--yes", "--plan", str(plan_file))
    assert stale.code == 3
    assert "stale" in stale.err
    fresh = tmp_path / "fresh.json"
    assert alertsync(arm_env, tmp_path, "plan", "--out", str(fresh)).code == 0
    assert alertsync(arm_env, tmp_path, "apply", "--yes", "--plan", str(fresh)).code == 0


def test_an_unsafe_plan_is_refused_unless_forced(applied: Path, arm_env: dict[str, str]) -> None:
    spec = applied / "specs" / "backup.yaml"
    text = spec.read_text()
    assert "    shortName: backuponcall\n" in text
    spec.write_text(
        text.replace(
            "    shortName: backuponcall\n", "    shortName: backuponcall\n    enabled: false\n"
        )
    )
    refused = alertsync(arm_env, applied, "apply", "--yes")
    assert refused.code == 3
    assert "disables action group" in refused.err
    assert alertsync(arm_env, applied, "apply", "--yes", "--force").code == 0


def test_a_schedule_with_several_weekly_recurrences_converges(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    # Spec and Azure sides once ordered weekly recurrences differently (by position / by name):
    # Monday before Sunday on one side only was a diff no apply could remove.
    scheduled = SEED_SCENARIO.replace(
        "        actionGroups: [ag-backup-oncall]\n",
        "        actionGroups: [ag-backup-oncall]\n"
        "        schedule:\n"
        "          timeZone: Tokyo Standard Time\n"
        "          recurrences:\n"
        "            - weekly: {daysOfWeek: [Monday], startTime: '09:00:00', endTime: '17:00:00'}\n"
        "            - weekly: {daysOfWeek: [Sunday], startTime: '09:00:00', endTime: '17:00:00'}\n",
    )
    assert "schedule:" in scheduled
    write_spec(tmp_path, "backup.yaml", scheduled)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    again = alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode")
    assert again.code == 0, again.out


def test_a_location_change_is_refused_before_azure_is_asked(
    applied: Path,
    arm_env: dict[str, str],
    world,  # type: ignore[no-untyped-def]
) -> None:
    spec = applied / "specs" / "backup.yaml"
    text = spec.read_text()
    spec.write_text(
        text.replace(
            "    shortName: backuponcall\n",
            "    shortName: backuponcall\n    location: swedencentral\n",
        )
    )
    world.control.clear_requests()  # the first apply's writes, made by the `applied` fixture
    run = alertsync(arm_env, applied, "apply", "--yes")
    assert run.code == 3
    assert "is in location 'Global' and Azure cannot move it to 'swedencentral'" in run.err
    assert "Apply complete" not in run.out + run.err
    # Refused by the plan, not by Azure answering a PUT with 409: the plan read Azure, and
    # nothing was written.
    arm = [r for r in world.control.requests() if r["path"].startswith("/subscriptions")]
    assert any(r["method"] == "GET" for r in arm)
    assert [r for r in arm if r["method"] != "GET"] == []


def test_a_missing_vault_is_a_clear_plan_error(arm_env: dict[str, str], tmp_path: Path) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO.replace("RSV-JPE-LRS", "RSV-MISSING"))
    run = alertsync(arm_env, tmp_path, "plan")
    assert run.code == 1
    assert 'vault "RSV-MISSING" (rg "rg-backup"' in run.err
    assert "Traceback" not in run.err


def test_a_rule_scoped_to_a_missing_vault_is_a_clear_plan_error(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    # The vault is only a scope (no `vaults:` entry): alertsync must not create a rule for it.
    scoped_only = SEED_SCENARIO.split("    vaults:")[0].replace("RSV-JPE-LRS", "RSV-MISSING")
    write_spec(tmp_path, "backup.yaml", scoped_only)
    run = alertsync(arm_env, tmp_path, "plan")
    assert run.code == 1
    assert 'is scoped to vault "RSV-MISSING" (rg "rg-backup"' in run.err
    assert "which does not exist" in run.err


def test_a_plan_file_binds_from_any_working_directory(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    specs = write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    plan_file = tmp_path / "reviewed.json"
    assert alertsync(arm_env, tmp_path, "plan", "./specs", "--out", str(plan_file)).code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = alertsync(arm_env, elsewhere, "apply", str(specs), "--yes", "--plan", str(plan_file))
    assert run.code == 0, run.err


def test_a_plan_file_edited_after_review_is_refused(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    plan_file = tmp_path / "reviewed.json"
    assert alertsync(arm_env, tmp_path, "plan", "--out", str(plan_file)).code == 0
    text = plan_file.read_text()
    assert "oncall@example.com" in text
    plan_file.write_text(text.replace("oncall@example.com", "attacker@example.com"))
    run = alertsync(arm_env, tmp_path, "apply", "--yes", "--plan", str(plan_file))
    assert run.code == 3
    assert "the plan file was edited after it was written" in run.err


def test_bad_plan_file_is_a_clear_error(arm_env: dict[str, str], tmp_path: Path) -> None:
    write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)
    bad = tmp_path / "plan.json"
    bad.write_text('{"formatVersion": 1,\n "checksum": ')
    run = alertsync(arm_env, tmp_path, "apply", "--yes", "--plan", str(bad))
    assert run.code == 1
    assert f"{bad}:2:" in run.err
    assert "not a plan file" in run.err


def _many_groups_and_rules(count: int) -> dict[str, object]:
    return {
        "apiVersion": "alertsync/v1",
        "owner": "backup-alerts",
        "subscription": SUB,
        "resourceGroup": "rg-monitoring",
        "actionGroups": [
            {
                "name": f"ag-{i}",
                "shortName": f"ag{i}",
                "emailReceivers": [{"name": "oncall", "address": f"oncall{i}@example.com"}],
            }
            for i in range(count)
        ],
        "alertProcessingRules": [
            {
                "name": f"apr-{i}",
                "scopes": [{"vault": "RSV-JPE-LRS", "resourceGroup": "rg-backup"}],
                "conditions": {"severity": ["Sev1"]},
                "actionGroups": [f"ag-{i}"],
            }
            for i in range(count)
        ],
    }


def test_a_429_storm_on_30_percent_of_requests_still_applies_everything(
    arm_env: dict[str, str],
    tmp_path: Path,
    world,  # type: ignore[no-untyped-def]
) -> None:
    write_doc(tmp_path, "many.yaml", _many_groups_and_rules(10))
    # The apply makes 4 LISTs (the owner's footprint, groups, rules, the vaults rules name) and
    # 20 PUTs, then lists groups and rules again to verify what it wrote (the plan's footprint
    # and vault list stand: it wrote no vault); throttle 7 of them (30 %), each with
    # Retry-After: 1, as ARM does (SubscriptionRequestsThrottled). azure-core must wait and
    # retry each one.
    for i in (1, 4, 7):
        world.control.add_fault("PUT", f"actionGroups/ag-{i}$", status=429, retry_after=1)
        world.control.add_fault("PUT", f"actionRules/apr-{i}$", status=429, retry_after=1)
    world.control.add_fault("GET", "actionRules$", status=429, retry_after=1)
    world.control.clear_requests()
    run = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert run.code == 0, run.out + run.err
    assert "Apply complete: 20 done, 0 failed, 0 skipped" in run.out
    arm = [r["status"] for r in world.control.requests() if r["path"].startswith("/subscriptions")]
    throttled, answered = arm.count(429), len(arm) - arm.count(429)
    assert (throttled, answered) == (7, 26)  # 30 % of the requests the apply needed to write
    # One sign-in for the whole run, though 3 clients and 16 threads asked for tokens at once.
    sign_ins = [r for r in world.control.requests() if r["path"].endswith("/oauth2/v2.0/token")]
    assert len(sign_ins) == 1
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0


def test_plan_lists_every_spec_problem_with_its_line(
    arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "a.yaml", SEED_SCENARIO.replace("oncall@example.com", "not-an-email"))
    other = SEED_SCENARIO.replace("shortName: backuponcall", "shortName: backup-oncall-team")
    write_spec(
        tmp_path, "b.yaml", other.replace("ag-backup-oncall", "ag-two").replace("apr-", "apr2-")
    )
    run = alertsync(arm_env, tmp_path, "plan")
    assert run.code == 1
    assert "specs/a.yaml:9:" in run.err  # the email address
    assert "specs/b.yaml:7:" in run.err  # shortName
    assert "2 problem(s) in the specs" in run.err


def test_an_unsubscribed_receiver_is_warned_about_but_is_no_change(
    applied: Path,
    arm_env: dict[str, str],
    world,  # type: ignore[no-untyped-def]
) -> None:
    group_id = f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups/{AG}"
    world.control.set_receiver_status(group_id, "oncall", "Disabled")
    run = alertsync(arm_env, applied, "plan", "--detailed-exitcode")
    assert run.code == 0, run.out + run.err
    assert "! warning: emailReceivers[oncall] of action group" in run.out
    assert "unsubscribed" in run.out
