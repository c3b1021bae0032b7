"""The whole estate through the real `alertsync` command: vault selectors, and the safety rule on
deleting action groups that any rule of the subscription uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e import SUB, alertsync, write_spec

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

VAULTS = (
    f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults"
)
GROUPS = (
    f"/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups"
)
RULES_ELSEWHERE = (
    f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.AlertsManagement/actionRules"
)

ONE_GROUP = f"""
    apiVersion: alertsync/v1
    owner: backup-alerts
    subscription: {SUB}
    resourceGroup: rg-monitoring
    actionGroups:
      - name: ag-oncall
        shortName: oncall
        emailReceivers: [{{name: oncall, address: oncall@example.com}}]
"""

SELECTING = (
    ONE_GROUP
    + """
    alertProcessingRules:
      - name: apr-backup
        scopes:
          - vaults: {resourceGroup: rg-backup}
        conditions:
          monitorService: [Azure Backup]
        actionGroups: [ag-oncall]
      - name: apr-prod
        scopes:
          - vaults: {tags: {env: prod}}
        actionGroups: [ag-oncall]
    vaults:
      - select: {tags: {env: prod}}
        classicAlerts: false
    """
)


def seed_vault(world: Emulator, name: str, group: str = "rg-backup", **tags: str) -> None:
    vault: dict[str, Any] = {"name": name, "location": "japaneast", "tags": tags}
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [{"name": group, "location": "japaneast", "vaults": [vault]}],
                }
            ]
        }
    )


def scope_change(change: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(added, removed) scope IDs of a rule's change, whether the plan lists scopes as one
    field or item by item."""
    old: set[str] = set()
    new: set[str] = set()
    for field in change["fields"]:
        if field["path"].startswith("scopes"):
            old |= _ids(field["old"])
            new |= _ids(field["new"])
    return {i.lower() for i in new - old}, {i.lower() for i in old - new}


def _ids(value: Any) -> set[str]:
    if value is None:
        return set()
    return set(value) if isinstance(value, list) else {value}


def test_a_selector_adds_a_vault_created_after_the_last_apply(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    seed_vault(world, "RSV-PROD-1", "rg-app", env="prod")
    write_spec(tmp_path, "backup.yaml", SELECTING)
    first = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert first.code == 0, first.out + first.err
    assert "= selector vaults {resourceGroup: rg-backup} of alert processing rule" in first.out
    assert "matches 1 vault: RSV-JPE-LRS" in first.out
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0

    seed_vault(world, "RSV-NEW", env="dev")  # in rg-backup, not prod
    run = alertsync(arm_env, tmp_path, "plan", "--format", "json", "--detailed-exitcode")
    assert run.code == 2, run.err
    plan = json.loads(run.out)
    (change,) = plan["changes"]
    assert (change["action"], change["name"]) == ("update", "apr-backup")
    assert scope_change(change) == ({f"{VAULTS}/RSV-NEW".lower()}, set())
    (backup, prod, settings) = plan["selections"]
    assert [v.rsplit("/", 1)[1] for v in backup["vaults"]] == ["RSV-JPE-LRS", "RSV-NEW"]
    assert [v.rsplit("/", 1)[1] for v in prod["vaults"]] == ["RSV-PROD-1"]
    assert settings["rule"] is None and settings["vaults"] == prod["vaults"]

    applied = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert applied.code == 0, applied.out + applied.err
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0


def test_a_vault_tagged_later_gets_the_selected_settings_and_scope(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    seed_vault(world, "RSV-PROD-1", "rg-app", env="prod")
    write_spec(tmp_path, "backup.yaml", SELECTING)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    seed_vault(world, "RSV-PROD-2", "rg-data", env="prod")
    run = alertsync(arm_env, tmp_path, "plan", "--format", "json")
    assert run.code == 0, run.err
    changes = {(c["kind"], c["name"]): c for c in json.loads(run.out)["changes"]}
    assert set(changes) == {
        ("alertProcessingRule", "apr-prod"),
        ("vaultAlertSettings", "RSV-PROD-2"),
    }
    added, removed = scope_change(changes["alertProcessingRule", "apr-prod"])
    assert [i.rsplit("/", 1)[1] for i in added] == ["rsv-prod-2"] and not removed
    settings = changes["vaultAlertSettings", "RSV-PROD-2"]["fields"]
    assert [(f["path"], f["old"], f["new"]) for f in settings] == [("classicAlerts", True, False)]


def test_a_selector_left_with_no_vault_blocks_its_rule(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", SELECTING)  # no vault is tagged env: prod
    run = alertsync(arm_env, tmp_path, "plan")
    assert run.code == 1
    assert 'alert processing rule "apr-prod"' in run.err and "would cover no vault" in run.err
    assert "! warning: vaults {tags: {env: prod}}" in run.out


# --- deleting an action group any rule of the subscription uses ----------------------------------

TWO_GROUPS = (
    ONE_GROUP
    + """
      - name: ag-renamed
        shortName: renamed
        emailReceivers: [{name: oncall, address: oncall@example.com}]
    """
)


def seed_foreign_rule(world: Emulator, group: str) -> None:
    """A rule nobody declares, in another resource group, that adds `group`."""
    body = {
        "location": "Global",
        "properties": {
            "scopes": [f"/subscriptions/{SUB}"],
            "actions": [{"actionType": "AddActionGroups", "actionGroupIds": [group]}],
            "enabled": True,
        },
    }
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": SUB,
                    "resourceGroups": [
                        {
                            "name": "rg-app",
                            "location": "japaneast",
                            "resources": [{"id": f"{RULES_ELSEWHERE}/app-team", "body": body}],
                        }
                    ],
                }
            ]
        }
    )


def rule_lists(world: Emulator) -> list[dict[str, Any]]:
    return [
        r
        for r in world.control.requests()
        if r["method"] == "GET" and r["path"].lower().endswith("/actionrules")
    ]


def test_deleting_a_group_an_undeclared_rule_uses_is_refused_without_force(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", TWO_GROUPS)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    seed_foreign_rule(world, f"{GROUPS}/ag-oncall")
    # Renamed away: ag-oncall is no longer declared, so --prune deletes it.
    write_spec(tmp_path, "backup.yaml", TWO_GROUPS.replace("name: ag-oncall", "name: ag-new"))
    world.control.clear_requests()
    refused = alertsync(arm_env, tmp_path, "apply", "--yes", "--prune")
    assert refused.code == 3, refused.out + refused.err
    assert (
        'unsafe: deletes action group "ag-oncall" (rg "rg-monitoring", sub '
        f'"{SUB}") while alert processing rule "app-team" (rg "rg-app"'
    ) in refused.err
    assert len(rule_lists(world)) == 2  # rg-monitoring's list, and the subscription's once
    forced = alertsync(arm_env, tmp_path, "apply", "--yes", "--prune", "--force")
    assert forced.code == 0, forced.out + forced.err


def test_a_plan_that_deletes_no_group_does_not_list_the_subscriptions_rules(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    write_spec(tmp_path, "backup.yaml", TWO_GROUPS)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    world.control.clear_requests()
    assert alertsync(arm_env, tmp_path, "plan", "--prune").code == 0
    assert [r["path"].split("/resourceGroups/")[1] for r in rule_lists(world)] == [
        "rg-monitoring/providers/Microsoft.AlertsManagement/actionRules"
    ]


# --- the owners' footprint, found by tag ----------------------------------------------------------

RULE_ELSEWHERE = """
    alertProcessingRules:
      - name: apr-app
        resourceGroup: rg-app
        scopes: [{resourceGroup: rg-app}]
        actionGroups: [ag-oncall]
    """


def test_the_last_rule_removed_from_a_resource_group_is_kept_then_pruned(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    seed_vault(world, "RSV-APP", "rg-app")  # rg-app exists
    write_spec(tmp_path, "backup.yaml", ONE_GROUP + RULE_ELSEWHERE)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    write_spec(tmp_path, "backup.yaml", ONE_GROUP)  # rg-app is no longer named by the specs
    world.control.clear_requests()
    kept = alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode")
    assert kept.code == 0, kept.out + kept.err
    assert (
        '? kept (no longer declared; --prune deletes it): alert processing rule "apr-app" '
        '(rg "rg-app"'
    ) in kept.out
    tag_lists = [r for r in world.control.requests() if r["path"].lower().endswith("/resources")]
    assert [r["path"] for r in tag_lists] == [f"/subscriptions/{SUB}/resources"]
    pruned = alertsync(arm_env, tmp_path, "apply", "--yes", "--prune")
    assert pruned.code == 0, pruned.out + pruned.err
    assert '- delete alert processing rule "apr-app"' in pruned.out
    assert alertsync(arm_env, tmp_path, "plan", "--prune", "--detailed-exitcode").code == 0


def test_a_subscription_given_on_the_command_line_is_searched_too(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    other = "11111111-1111-1111-1111-111111111111"
    elsewhere = ONE_GROUP.replace(f"subscription: {SUB}", f"subscription: {other}")
    world.control.seed(
        {
            "subscriptions": [
                {
                    "id": other,
                    "resourceGroups": [{"name": "rg-monitoring", "location": "japaneast"}],
                }
            ]
        }
    )
    write_spec(tmp_path, "backup.yaml", elsewhere)
    assert alertsync(arm_env, tmp_path, "apply", "--yes").code == 0
    write_spec(tmp_path, "backup.yaml", ONE_GROUP)  # the other subscription is no longer used
    unseen = alertsync(arm_env, tmp_path, "plan", "--format", "json")
    assert json.loads(unseen.out)["orphans"] == []
    seen = alertsync(arm_env, tmp_path, "plan", "--format", "json", "--subscription", other)
    plan = json.loads(seen.out)
    assert [o.rsplit("/", 1)[1] for o in plan["orphans"]] == ["ag-oncall"]
    assert plan["options"]["subscriptions"] == [other]
    bad = alertsync(arm_env, tmp_path, "plan", "--subscription", "not-a-guid")
    assert bad.code == 2 and "'not-a-guid' is not a subscription ID" in bad.err  # usage error
