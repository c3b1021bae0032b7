"""The safety rule on deleting action groups sees every rule of the subscription (pure)."""

from __future__ import annotations

import dataclasses

from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan, RuleUsers, deleted_groups
from tests.builders import SUB, group, group_id, rule, rule_id, state


def pruning_plan(users: RuleUsers | None) -> Plan:
    live = state(group("ag-oncall"), group("ag-new"))
    desired = state(group("ag-new"))
    found = compute(desired, live, prune=True)
    assert deleted_groups(found.changes) == {group_id("ag-oncall")}
    return Plan.build(found, live.resources, ["backup-alerts"], prune=True, users=users)


def test_a_rule_outside_the_specs_resource_groups_makes_the_delete_unsafe() -> None:
    foreign = dataclasses.replace(
        rule("app-team", owner=None, groups=("ag-oncall",)), id=rule_id("app-team", "rg-app")
    )
    plan = pruning_plan(RuleUsers({foreign.id: foreign}))
    (reason,) = plan.unsafe
    assert reason.startswith('deletes action group "ag-oncall"')
    assert 'alert processing rule "app-team" (rg "rg-app"' in reason


def test_rules_that_could_not_be_read_make_the_delete_unsafe() -> None:
    plan = pruning_plan(RuleUsers(unreadable={SUB: "access denied"}))
    (reason,) = plan.unsafe
    assert "could not be read to check that none uses it: access denied" in reason


def test_no_rule_using_the_group_leaves_the_delete_safe() -> None:
    other = rule("app-team", owner=None, groups=("ag-new",))
    assert pruning_plan(RuleUsers({other.id: other})).unsafe == ()
    assert pruning_plan(None).unsafe == ()
