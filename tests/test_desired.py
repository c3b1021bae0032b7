"""The desired-state builder: defaults, canonical forms, ownership tags, references, determinism."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from provisioner.errors import SpecError
from provisioner.ids import ResourceId
from provisioner.model import (
    ActionGroup,
    AlertProcessingRule,
    Condition,
    Recurrence,
    Schedule,
    Secret,
    VaultAlertSettings,
)
from provisioner.spec import desired
from provisioner.spec import files as spec_files
from provisioner.spec.behaviour import action_groups

REPO = Path(__file__).parent.parent
SUB = "00000000-0000-0000-0000-000000000000"
HEAD = (
    f"apiVersion: alertsync/v1\nowner: team-a\nsubscription: {SUB}\nresourceGroup: rg-monitoring\n"
)


def build(tmp_path: Path, env: dict[str, str] | None = None, **files: str) -> desired.DesiredState:
    for name, body in files.items():
        (tmp_path / f"{name}.yaml").write_text(HEAD + dedent(body))
    return desired.build(spec_files.load([tmp_path]), env=env)


def ag_id(name: str, group: str = "rg-monitoring") -> ResourceId:
    return ResourceId.for_resource(SUB, group, "Microsoft.Insights/actionGroups", name)


def test_seed_scenario_builds_the_documented_model() -> None:
    state = desired.build(spec_files.load([REPO / "specs"]))
    group = state.resources[ag_id("ag-backup-oncall")]
    assert isinstance(group, ActionGroup)
    assert (group.short_name, group.enabled, group.location) == ("backuponcall", True, "Global")
    assert group.email_receivers[0].use_common_alert_schema is True
    rule = next(r for r in state.resources.values() if isinstance(r, AlertProcessingRule))
    vault = ResourceId.parse(
        f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"
    )
    assert rule.scopes == (vault,)
    assert rule.conditions == (Condition("Severity", "Equals", ("Sev1",)),)
    assert rule.action_group_ids == (group.id,)
    assert state.resources[vault] == VaultAlertSettings(vault, True, False)
    assert state.vaults == {vault}
    assert state.resource_groups == {ResourceId(SUB, "rg-monitoring")}
    assert state.owners == {"backup-alerts"}
    assert state.sources[group.id].endswith("specs/backup-job-failures.yaml:9")


def test_every_omitted_value_gets_the_model_default(tmp_path: Path) -> None:
    state = build(
        tmp_path,
        a="""
        actionGroups: [{name: ag, shortName: ag}]
        alertProcessingRules:
          - {name: apr, scopes: [{resourceGroup: rg-b}], actionGroups: [ag]}
        vaults: [{name: RSV-X}]
        """,
    )
    owned = (("alertsync-owner", "team-a"), ("managed-by", "alertsync"))
    group = state.resources[ag_id("ag")]
    assert group == ActionGroup(ag_id("ag"), "ag", tags=owned)
    rule = next(r for r in state.resources.values() if isinstance(r, AlertProcessingRule))
    assert rule == AlertProcessingRule(
        rule.id, (ResourceId(SUB, "rg-b"),), action_group_ids=(group.id,), tags=owned
    )
    vault = next(r for r in state.resources.values() if isinstance(r, VaultAlertSettings))
    assert (vault.job_failure_alerts, vault.classic_alerts) == (None, None)
    assert vault.id.resource_group == "rg-monitoring"  # the file's default


def test_tags_merge_file_then_resource_then_ownership_ignoring_case(tmp_path: Path) -> None:
    state = build(
        tmp_path,
        a="""
        tags: {Team: platform, env: prod}
        actionGroups: [{name: ag, shortName: ag, tags: {team: backup}}]
        """,
    )
    assert state.resources[ag_id("ag")].tags == (  # type: ignore[union-attr]
        ("alertsync-owner", "team-a"),
        ("env", "prod"),
        ("managed-by", "alertsync"),
        ("team", "backup"),
    )


def test_canonical_forms_make_equivalent_specs_equal(tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first = build(
        one,
        a=f"""
        actionGroups:
          - name: ag
            shortName: ag
            location: Sweden Central
            emailReceivers: [{{name: b, address: b@example.com}}, {{name: a, address: a@example.com}}]
        alertProcessingRules:
          - name: apr
            scopes: [{{resourceGroup: rg-b}}, /subscriptions/{SUB.upper()}/resourceGroups/rg-a]
            conditions: {{targetResourceType: [Microsoft.RecoveryServices/Vaults], severity: [sev1, Sev0, SEV1]}}
            actionGroups: [ag]
            schedule:
              timeZone: tokyo standard time
              recurrences:
                - weekly: {{daysOfWeek: [Sunday, Saturday, Monday]}}
                - daily: {{startTime: "22:00:00", endTime: "06:00:00"}}
        """,
    )
    second = build(
        two,
        a=f"""
        actionGroups:
          - name: ag
            shortName: ag
            location: swedencentral
            emailReceivers: [{{name: a, address: a@example.com}}, {{name: b, address: b@example.com}}]
        alertProcessingRules:
          - name: apr
            scopes: [/subscriptions/{SUB}/resourcegroups/RG-A, {{resourceGroup: rg-b}}]
            conditions: {{severity: {{equals: [Sev0, Sev1]}}, targetResourceType: [microsoft.recoveryservices/vaults]}}
            actionGroups: [/subscriptions/{SUB}/resourceGroups/rg-monitoring/providers/microsoft.insights/actiongroups/AG]
            schedule:
              timeZone: Tokyo Standard Time
              recurrences:
                - daily: {{startTime: "22:00:00", endTime: "06:00:00"}}
                - weekly: {{daysOfWeek: [Monday, Saturday, Sunday]}}
        """,
    )
    assert first.resources == second.resources
    rule = next(r for r in first.resources.values() if isinstance(r, AlertProcessingRule))
    assert rule.conditions == (
        Condition("Severity", "Equals", ("Sev0", "Sev1")),
        Condition("TargetResourceType", "Equals", ("microsoft.recoveryservices/vaults",)),
    )
    assert rule.schedule == Schedule(
        time_zone="Tokyo Standard Time",
        recurrences=(
            Recurrence("Daily", "22:00:00", "06:00:00"),
            Recurrence("Weekly", days_of_week=("Sunday", "Monday", "Saturday")),
        ),
    )
    group = first.resources[ag_id("ag")]
    assert isinstance(group, ActionGroup)
    assert group.location == "swedencentral"
    assert [r.name for r in group.email_receivers] == ["a", "b"]


def test_build_is_deterministic_and_sorted() -> None:
    paths = [REPO / "examples" / "specs", REPO / "tests" / "fixtures" / "specs" / "valid"]
    first = desired.build(spec_files.load(paths))
    again = desired.build(spec_files.load(list(reversed(paths))))
    assert first == again
    assert list(first.resources) == sorted(first.resources)
    assert list(first.sources) == list(first.resources)


def test_rules_reference_groups_declared_in_other_files(tmp_path: Path) -> None:
    state = build(
        tmp_path,
        a="alertProcessingRules: [{name: apr, scopes: [{resourceGroup: rg-b}], actionGroups: [AG-Elsewhere]}]\n",
        b="actionGroups: [{name: ag-elsewhere, resourceGroup: rg-other, shortName: x}]\n",
    )
    rule = next(r for r in state.resources.values() if isinstance(r, AlertProcessingRule))
    assert rule.action_group_ids == (ag_id("ag-elsewhere", "rg-other"),)
    assert state.resource_groups == {ResourceId(SUB, "rg-monitoring"), ResourceId(SUB, "rg-other")}


def test_suppression_rule_and_vault_scopes(tmp_path: Path) -> None:
    state = build(
        tmp_path,
        a="""
        alertProcessingRules:
          - name: apr
            scopes: [{vault: RSV-A}, {vault: RSV-B, resourceGroup: rg-backup}]
            suppressNotifications: true
        """,
    )
    rule = next(iter(state.resources.values()))
    assert isinstance(rule, AlertProcessingRule)
    assert (rule.action_type, rule.action_group_ids) == ("RemoveAllActionGroups", ())
    assert {v.name for v in state.vaults} == {"RSV-A", "RSV-B"}
    assert {v.resource_group for v in state.vaults} == {"rg-monitoring", "rg-backup"}


WEBHOOK = """
actionGroups:
  - name: ag
    shortName: ag
    webhookReceivers: [{name: hook, serviceUriFromEnv: ALERTSYNC_TEST_HOOK}]
"""


def test_webhook_url_is_a_placeholder_without_env_and_a_secret_with_it(tmp_path: Path) -> None:
    offline = build(tmp_path, a=WEBHOOK).resources[ag_id("ag")]
    online = desired.build(
        spec_files.load([tmp_path]), env={"ALERTSYNC_TEST_HOOK": "https://example.com/h?k=1"}
    ).resources[ag_id("ag")]
    assert isinstance(offline, ActionGroup) and isinstance(online, ActionGroup)
    assert offline.webhook_receivers[0].service_uri == action_groups.unresolved_secret(
        "ALERTSYNC_TEST_HOOK"
    )
    assert online.webhook_receivers[0].service_uri == Secret("https://example.com/h?k=1")
    assert "k=1" not in repr(online)


def test_missing_webhook_variable_names_file_line_and_variable(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + WEBHOOK)
    with pytest.raises(SpecError) as caught:
        desired.build(spec_files.load([tmp_path]), env={})
    [problem] = caught.value.problems
    assert (Path(problem.path).name, problem.line) == ("a.yaml", 9)
    assert "ALERTSYNC_TEST_HOOK is not set" in problem.message


def test_owners_of_all_files(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(HEAD.replace("team-a", "team-b"))
    state = build(tmp_path, a="")
    assert state.owners == {"team-a", "team-b"}
