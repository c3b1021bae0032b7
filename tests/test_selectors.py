"""Vault selectors: written in specs, kept apart in the desired state, resolved over live vaults."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from provisioner.errors import SpecError
from provisioner.ids import VAULT_TYPE, ResourceId
from provisioner.model import AlertProcessingRule, VaultAlertSettings, VaultSelector, make_tags
from provisioner.spec import desired
from provisioner.spec import files as spec_files
from provisioner.sync.selectors import resolve

SUB = "00000000-0000-0000-0000-000000000000"
HEAD = (
    f"apiVersion: alertsync/v1\nowner: team-a\nsubscription: {SUB}\nresourceGroup: rg-monitoring\n"
)
GROUP = "actionGroups:\n  - {name: ag, shortName: ag, emailReceivers: [{name: a, address: a@example.com}]}\n"


def build(tmp_path: Path, body: str) -> desired.DesiredState:
    (tmp_path / "s.yaml").write_text(HEAD + GROUP + dedent(body))
    return desired.build(spec_files.load([tmp_path]))


def vault(name: str, rg: str = "rg-backup", **tags: str) -> VaultAlertSettings:
    rid = ResourceId.for_resource(SUB, rg, VAULT_TYPE, name)
    return VaultAlertSettings(rid, True, True, tags=make_tags(tags))


def rule_of(state: desired.DesiredState) -> AlertProcessingRule:
    return next(r for r in state.resources.values() if isinstance(r, AlertProcessingRule))


RULE_WITH_SELECTORS = """
alertProcessingRules:
  - name: r
    scopes:
      - vault: RSV-NAMED
        resourceGroup: rg-other
      - vaults: {resourceGroup: rg-backup}
      - vaults: {tags: {Env: prod}}
    actionGroups: [ag]
"""


def test_a_rule_keeps_its_named_scopes_and_its_selectors_apart(tmp_path: Path) -> None:
    state = build(tmp_path, RULE_WITH_SELECTORS)
    rule = rule_of(state)
    assert [s.name for s in rule.scopes] == ["RSV-NAMED"]
    assert state.rule_selectors[rule.id] == (
        VaultSelector(SUB, "rg-backup"),
        VaultSelector(SUB, None, (("Env", "prod"),)),
    )
    assert state.selectors == {
        VaultSelector(SUB, "rg-backup"),
        VaultSelector(SUB, None, (("Env", "prod"),)),
    }


def test_selectors_add_the_vaults_they_match_to_the_rules_scopes(tmp_path: Path) -> None:
    state = build(tmp_path, RULE_WITH_SELECTORS)
    vaults = [
        vault("a"),  # by resource group
        vault("b", rg="rg-elsewhere", env="prod"),  # by tag: names ignore case
        vault("c", rg="rg-elsewhere", env="Prod"),  # values do not
        vault("d", rg="rg-elsewhere"),
    ]
    resolved = resolve(state, vaults)
    assert [s.name for s in rule_of(resolved.desired).scopes] == ["a", "b", "RSV-NAMED"]
    assert [(m.selector.describe(), [v.name for v in m.vaults]) for m in resolved.matches] == [
        ("vaults {resourceGroup: rg-backup}", ["a"]),
        ("vaults {tags: {Env: prod}}", ["b"]),
    ]
    assert not resolved.problems and not resolved.warnings


def test_a_selector_that_matches_nothing_is_a_warning_and_a_rule_left_without_scope_a_problem(
    tmp_path: Path,
) -> None:
    state = build(
        tmp_path,
        """
        alertProcessingRules:
          - name: r
            scopes: [{vaults: {tags: {env: prod}}}]
            actionGroups: [ag]
        """,
    )
    resolved = resolve(state, [vault("a")])
    (problem,) = resolved.problems
    assert "would cover no vault" in problem.message and problem.source is not None
    (warning,) = resolved.warnings
    assert warning.startswith('vaults {tags: {env: prod}} of alert processing rule "r"')
    assert warning.endswith("matches 0 vaults")


def test_select_applies_settings_to_every_match_and_a_named_entry_wins(tmp_path: Path) -> None:
    state = build(
        tmp_path,
        """
        vaults:
          - select: {resourceGroup: rg-backup}
            jobFailureAlerts: true
          - select: {tags: {tier: gold}}
            classicAlerts: false
          - name: bb
            resourceGroup: rg-backup
            jobFailureAlerts: false
        """,
    )
    assert state.vault_selections[0].selector == VaultSelector(SUB, "rg-backup")
    resolved = resolve(state, [vault("aa", tier="gold"), vault("bb"), vault("cc", rg="rg-x")])
    settings = {
        rid.name: (r.job_failure_alerts, r.classic_alerts)
        for rid, r in resolved.desired.resources.items()
        if isinstance(r, VaultAlertSettings)
    }
    assert settings == {"aa": (True, False), "bb": (False, None)}
    assert resolved.desired.sources[vault("aa").id].endswith(
        "s.yaml:9"
    )  # the first selection that matched


def test_two_selections_that_disagree_on_a_vault_are_a_problem(tmp_path: Path) -> None:
    state = build(
        tmp_path,
        """
        vaults:
          - select: {resourceGroup: rg-backup}
            jobFailureAlerts: true
          - select: {tags: {tier: bronze}}
            jobFailureAlerts: false
        """,
    )
    resolved = resolve(state, [vault("a", tier="bronze"), vault("b")])
    (problem,) = resolved.problems
    assert problem.id == vault("a").id
    assert "jobFailureAlerts: true at" in problem.message
    assert "jobFailureAlerts: false at" in problem.message
    assert vault("a").id not in resolved.desired.resources
    assert vault("b").id in resolved.desired.resources


def test_without_selectors_resolution_changes_nothing(tmp_path: Path) -> None:
    state = build(tmp_path, "")
    assert resolve(state, [vault("a")]).desired is state


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "alertProcessingRules:\n  - {name: r, actionGroups: [ag], scopes: [{vaults: {}}]}\n",
            "vaults: give resourceGroup or tags",
        ),
        (
            "vaults:\n  - {select: {}}\n",
            "select: give resourceGroup or tags",
        ),
        (
            "vaults:\n  - {name: RSV-A, select: {resourceGroup: rg}}\n",
            "give name or select, not both",
        ),
        ("vaults:\n  - {jobFailureAlerts: true}\n", "give name or select"),
        (
            "vaults:\n  - {select: {tags: {a: b}}, resourceGroup: rg}\n",
            "with select, give the resource group inside it",
        ),
        (
            "alertProcessingRules:\n  - name: r\n    actionGroups: [ag]\n    scopes:\n"
            "      - vaults: {tags: {a: b}, subscription: 11111111-1111-1111-1111-111111111111}\n",
            "an alert processing rule cannot span subscriptions",
        ),
        (
            "alertProcessingRules:\n  - name: r\n    actionGroups: [ag]\n    scopes:\n"
            "      - vaults: {resourceGroup: rg-b}\n      - vaults: {resourceGroup: RG-B}\n",
            "vaults {resourceGroup: RG-B} is listed twice",
        ),
    ],
)
def test_malformed_selectors_are_clear_spec_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        build(tmp_path, body)
    assert message in " ".join(p.message for p in raised.value.problems)
