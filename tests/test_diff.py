"""The diff: field-level changes, ownership rules, prune of owned leftovers only, vault settings."""

from __future__ import annotations

import dataclasses

from hypothesis import given

from provisioner.ids import ResourceId
from provisioner.model import (
    ActionGroup,
    AlertProcessingRule,
    Condition,
    EmailReceiver,
    Resource,
    VaultAlertSettings,
)
from provisioner.sync.diff import compute
from provisioner.sync.field_diff import FieldChange, field_changes, named_as_declared
from provisioner.sync.kinds import resource_fields
from tests.builders import (
    OWNER,
    group,
    group_id,
    owned_tags,
    rule,
    rule_id,
    state,
    vault,
    vault_id,
)
from tests.properties import examples
from tests.test_resources import generated_groups, generated_rules


def test_identical_states_have_no_changes() -> None:
    desired = state(group(), rule(), vault())
    assert compute(desired, state(group(), rule(), vault())).changes == ()


def test_missing_resources_are_created_with_every_field() -> None:
    diff = compute(state(group()), state())
    (change,) = diff.changes
    assert change.action == "create"
    paths = [f.path for f in change.fields]
    assert "shortName" in paths
    assert "emailReceivers[oncall]" in paths
    assert change.source == "specs/s.yaml:1"


def test_a_changed_address_is_one_field_change() -> None:
    live = group(email_receivers=(EmailReceiver("oncall", "old@example.com", True),))
    (change,) = compute(state(group()), state(live)).changes
    assert change.action == "update"
    assert change.fields == (
        FieldChange("emailReceivers[oncall].address", "old@example.com", "oncall@example.com"),
    )


def test_receiver_status_is_never_a_diff() -> None:
    live = group(email_receivers=(EmailReceiver("oncall", "oncall@example.com", True, "Disabled"),))
    assert compute(state(group()), state(live)).changes == ()


def test_condition_values_are_a_set_one_change_per_value() -> None:
    live = rule(conditions=(Condition.build("Severity", "Equals", ["sev1", "SEV0"]),))
    (change,) = compute(state(rule()), state(live)).changes
    values = "conditions[Severity].values"
    assert change.fields == (FieldChange(f"{values}[Sev0]", "Sev0", None, values),)


def test_unmanaged_live_resource_is_a_problem_unless_adopted() -> None:
    live = group(owner=None)
    diff = compute(state(group()), state(live))
    assert diff.changes == ()
    (problem,) = diff.problems
    assert problem.code == "ownership"
    assert "--adopt" in problem.message
    (change,) = compute(state(group()), state(live), adopt=True).changes
    assert change.action == "adopt"


def test_foreign_owner_is_never_touched() -> None:
    diff = compute(state(group()), state(group(owner="someone-else")), adopt=True)
    assert diff.changes == ()
    assert 'owner "someone-else"' in diff.problems[0].message


def test_prune_deletes_only_resources_of_this_owner() -> None:
    live = state(
        group("ag-old"),
        group("ag-unmanaged", owner=None),
        group("ag-foreign", owner="other-team"),
        rule("apr-old", groups=("ag-old",)),
    )
    kept = compute(state(), live)
    assert kept.changes == ()
    assert set(kept.orphans) == {group_id("ag-old"), rule_id("apr-old")}
    pruned = compute(state(), live, prune=True)
    assert {c.id for c in pruned.changes} == {group_id("ag-old"), rule_id("apr-old")}
    assert all(c.action == "delete" for c in pruned.changes)
    assert pruned.orphans == ()


def test_owners_are_exact_a_differently_cased_owner_is_another_owner() -> None:
    # Azure compares tag values exactly: `BACKUP-ALERTS` is not this spec set's owner.
    found = compute(state(group()), state(group(owner=OWNER.upper())))
    (problem,) = found.problems
    assert problem.code == "ownership" and found.changes == ()
    assert f"--adopt-from {OWNER.upper()}" in problem.message and "only in case" in problem.message
    leftover = compute(state(), state(group(owner=OWNER.upper())), prune=True)
    assert leftover.changes == () and leftover.orphans == ()  # never pruned under our spelling


def test_vault_settings_compare_only_managed_fields() -> None:
    desired = state(VaultAlertSettings(vault_id(), job_failure_alerts=True))
    assert compute(desired, state(vault(job=True, classic=True))).changes == ()
    (change,) = compute(desired, state(vault(job=False, classic=True))).changes
    assert change.fields == (FieldChange("jobFailureAlerts", False, True),)


def test_missing_vault_is_a_problem_not_a_create() -> None:
    diff = compute(state(vault()), state())
    assert diff.changes == ()
    assert "does not exist" in diff.problems[0].message
    assert diff.problems[0].source == "specs/s.yaml:1"


def test_missing_resource_group_is_reported_once() -> None:
    rg = group_id("x").resource_group_id()
    diff = compute(state(group(), rule()), state(missing_resource_groups=frozenset({rg})))
    assert diff.changes == ()
    assert [p.id for p in diff.problems] == [rg]


def test_disabled_flag_change_is_a_field_change() -> None:
    live = dataclasses.replace(group(), enabled=False)
    (change,) = compute(state(group()), state(live)).changes
    assert change.fields == (FieldChange("enabled", False, True),)


def test_group_with_receivers_alertsync_cannot_write_is_refused_not_overwritten() -> None:
    live = state(
        group(short_name="changed"),
        unsupported_receivers={group_id("ag-oncall"): ("voiceReceivers[ops]",)},
    )
    diff = compute(state(group()), live)
    assert diff.changes == ()
    assert diff.problems[0].code == "unsupported"
    assert "voiceReceivers[ops]" in diff.problems[0].message
    # Unchanged groups are fine: nothing would be written.
    unchanged = state(
        group(), unsupported_receivers={group_id("ag-oncall"): ("voiceReceivers[ops]",)}
    )
    assert compute(state(group()), unchanged).problems == ()


def test_an_unsubscribed_receiver_is_a_warning_not_a_change() -> None:
    live = group(email_receivers=(EmailReceiver("oncall", "oncall@example.com", True, "Disabled"),))
    diff = compute(state(group()), state(live))
    assert diff.changes == ()
    (warning,) = diff.warnings
    assert warning.startswith('emailReceivers[oncall] of action group "ag-oncall"')
    assert "unsubscribed" in warning


def test_rule_scoped_to_a_missing_vault_is_a_problem() -> None:
    # The vault is named only as a scope (no `vaults:` entry): the plan must still refuse.
    diff = compute(state(group(), rule()), state(group(), missing_vaults=frozenset({vault_id()})))
    (problem,) = diff.problems
    assert problem.id == rule_id("apr-jobs")
    assert problem.code == "missing"
    assert f"scoped to {vault_id().describe()}, which does not exist" in problem.message
    assert problem.source == "specs/s.yaml:2"


def test_missing_vault_also_declared_is_reported_once() -> None:
    desired = state(group(), rule(), vault())
    diff = compute(desired, state(group(), missing_vaults=frozenset({vault_id()})))
    assert [p.id for p in diff.problems] == [vault_id()]


def test_a_location_change_is_refused_not_planned_as_an_update() -> None:
    diff = compute(state(group(location="swedencentral")), state(group()))
    assert diff.changes == ()
    (problem,) = diff.problems
    assert problem.code == "immutable"
    assert "is in location 'Global' and Azure cannot move it to 'swedencentral'" in problem.message


def test_tag_names_differing_only_in_case_are_the_same_tag() -> None:
    live = group(tags=owned_tags(Team="ops"))
    desired = group(tags=owned_tags(team="ops"))
    assert compute(state(desired), state(live)).changes == ()
    changed = group(tags=owned_tags(TEAM="dev"))
    (change,) = compute(state(changed), state(live)).changes
    assert change.fields == (FieldChange("tags[TEAM]", "ops", "dev"),)


def test_receiver_names_differing_only_in_case_are_the_same_receiver() -> None:
    live = group(email_receivers=(EmailReceiver("OnCall", "oncall@example.com", True),))
    assert compute(state(group()), state(live)).changes == ()
    moved = group(email_receivers=(EmailReceiver("ONCALL", "new@example.com", True),))
    (change,) = compute(state(moved), state(live)).changes
    assert change.fields == (
        FieldChange("emailReceivers[ONCALL].address", "oncall@example.com", "new@example.com"),
    )


def test_rule_adding_a_group_that_does_not_exist_is_a_problem() -> None:
    elsewhere = group_id("ag-noc", rg="rg-shared")
    wants = rule(action_group_ids=(elsewhere,))
    diff = compute(state(wants), state(missing_action_groups=frozenset({elsewhere})))
    (problem,) = diff.problems
    assert problem.id == rule_id("apr-jobs")
    assert f"adds {elsewhere.describe()}, which does not exist" in problem.message
    # A group the specs declare is created before the rule: not a problem.
    declared = compute(
        state(group(), rule()), state(missing_action_groups=frozenset({group_id("ag-oncall")}))
    )
    assert declared.problems == ()


def _cased(rid: ResourceId) -> ResourceId:
    """The same ID in other case (ARM may answer either; identity ignores case)."""
    return ResourceId.parse(str(rid).swapcase().replace("SUBSCRIPTIONS", "subscriptions"))


def _field_diff(want: Resource, have: Resource) -> list[FieldChange]:
    wanted = resource_fields(want)
    return list(field_changes(named_as_declared(resource_fields(have), wanted), wanted))


@examples(100)
@given(generated_rules())
def test_an_equal_live_rule_has_no_field_change_whatever_the_case_of_its_ids(
    rule: AlertProcessingRule,
) -> None:
    # diff skips building the field trees of a live twin equal to the declared model: that
    # holds only while equal models (IDs compared ignoring case) have no field change.
    live = dataclasses.replace(
        rule,
        id=_cased(rule.id),
        scopes=tuple(_cased(s) for s in rule.scopes),
        action_group_ids=tuple(_cased(g) for g in rule.action_group_ids),
    )
    assert live == rule
    assert _field_diff(rule, live) == []


@examples(100)
@given(generated_groups())
def test_an_equal_live_group_has_no_field_change(group: ActionGroup) -> None:
    live = dataclasses.replace(group, id=_cased(group.id))
    assert live == group
    assert _field_diff(group, live) == []
