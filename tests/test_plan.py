"""The plan: apply order, safety rules, a stable JSON form and a checksum that tracks content."""

from __future__ import annotations

import dataclasses
import json

from provisioner.model import Recurrence, Schedule, Secret, WebhookReceiver
from provisioner.sync.diff import compute
from provisioner.sync.plan import Plan
from provisioner.sync.render import render_json
from tests.builders import OWNER, group, group_id, rule, rule_id, state, vault, vault_id


def plan_of(desired, live, **kw) -> Plan:  # type: ignore[no-untyped-def]
    return Plan.build(compute(desired, live, **kw), live.resources, [OWNER])


def test_groups_come_before_rules_and_deletes_run_in_reverse() -> None:
    live = state(vault(job=False), group("ag-old"), rule("apr-old", groups=("ag-old",)))
    desired = state(rule("apr-new", groups=("ag-new",)), group("ag-new"), vault())
    plan = plan_of(desired, live, prune=True)
    order = [(c.action, c.id.name) for c in plan.changes]
    assert order == [
        ("create", "ag-new"),
        ("create", "apr-new"),
        ("update", "RSV-JPE-LRS"),
        ("delete", "apr-old"),
        ("delete", "ag-old"),
    ]


def test_small_plans_are_safe() -> None:
    assert plan_of(state(group(), rule()), state()).unsafe == ()


def test_deleting_a_group_a_surviving_rule_uses_is_unsafe() -> None:
    # The rule is foreign (not ours), still uses ag-oncall; pruning ag-oncall would break it.
    live = state(group(), rule("apr-foreign", owner="other-team"))
    plan = plan_of(state(), live, prune=True)
    assert [c.id for c in plan.changes] == [group_id("ag-oncall")]
    assert any("still uses it" in reason for reason in plan.unsafe)


def test_deleting_a_group_with_its_rule_is_safe() -> None:
    plan = plan_of(state(), state(group(), rule()), prune=True)
    assert plan.unsafe == ()
    assert {c.id for c in plan.changes} == {group_id("ag-oncall"), rule_id("apr-jobs")}


def test_disabling_and_removing_last_email_are_unsafe() -> None:
    desired = state(dataclasses.replace(group(), enabled=False, email_receivers=()))
    plan = plan_of(desired, state(group()))
    assert any(r.startswith("disables action group") for r in plan.unsafe)
    assert any(r.startswith("removes the last email receiver") for r in plan.unsafe)


def test_deleting_over_30_percent_of_ten_is_unsafe() -> None:
    live = state(*[group(f"ag-{i}") for i in range(10)])
    desired = state(*[group(f"ag-{i}") for i in range(6)])
    plan = plan_of(desired, live, prune=True)
    assert plan.count("delete") == 4
    assert plan.unsafe == ("too many deletes: 4 of 10 managed resources (40%, over 30%)",)


def test_json_is_versioned_and_stable() -> None:
    plan = plan_of(state(group(), rule()), state())
    data = json.loads(render_json(plan))
    assert data["formatVersion"] == 1
    assert data["summary"] == {"create": 2, "update": 0, "adopt": 0, "delete": 0}
    assert [c["kind"] for c in data["changes"]] == ["actionGroup", "alertProcessingRule"]
    assert render_json(plan) == render_json(plan_of(state(group(), rule()), state()))


def test_checksum_changes_with_content_only() -> None:
    a = plan_of(state(group()), state())
    b = plan_of(state(group()), state())
    c = plan_of(state(group(short_name="other")), state())
    assert a.checksum() == b.checksum() != c.checksum()


def _hooked(url: str):  # type: ignore[no-untyped-def]
    return group(webhook_receivers=(WebhookReceiver("hook", Secret(url)),))


def test_secrets_never_reach_the_plan_but_change_the_checksum() -> None:
    one = plan_of(state(_hooked("https://hooks.example.com/key-one")), state())
    two = plan_of(state(_hooked("https://hooks.example.com/key-two")), state())
    text = render_json(one)
    assert "key-one" not in text
    assert "(sensitive value)" in text
    assert one.checksum() != two.checksum()


def test_turning_off_job_failure_alerts_is_unsafe() -> None:
    plan = plan_of(state(vault(job=False)), state(vault(job=True)))
    assert plan.unsafe == (f"turns off the job failure alerts of {vault().id.describe()}",)
    assert plan_of(state(vault(job=True)), state(vault(job=False))).unsafe == ()


def test_checksum_ignores_where_the_specs_declare_the_changes() -> None:
    # `plan ./specs` and `plan /abs/specs`, or an edited comment, give the same changes.
    desired = state(group(), rule())
    moved = dataclasses.replace(
        desired, sources={rid: f"../x/{s}" for rid, s in desired.sources.items()}
    )
    assert plan_of(moved, state()).checksum() == plan_of(desired, state()).checksum()
    assert plan_of(moved, state()).to_data()["changes"][0]["source"].startswith("../x/")


def test_vault_updates_do_not_count_towards_too_many_updates() -> None:
    # Vault settings are not owned (no tags): counting them against the owned groups and rules
    # refused a plan that changes no group or rule at all.
    groups = [group(f"ag-{i}") for i in range(10)]
    vaults = [dataclasses.replace(vault(classic=True), id=vault_id(f"RSV-{i}")) for i in range(4)]
    desired = state(*groups, *[dataclasses.replace(v, classic_alerts=False) for v in vaults])
    plan = plan_of(desired, state(*groups, *vaults))
    assert plan.count("update") == 4
    assert plan.unsafe == ()


def test_resources_with_an_owner_tag_but_no_managed_by_are_not_counted_as_owned() -> None:
    unmanaged = [group(f"ag-{i}", tags=(("alertsync-owner", OWNER),)) for i in range(10)]
    plan = plan_of(state(), state(*unmanaged), prune=True)
    assert plan.changes == ()  # not ours: never pruned, and no fraction to judge


SILENCED = rule(action_type="RemoveAllActionGroups", action_group_ids=())
WEEKLY = Schedule(recurrences=(Recurrence("Weekly", days_of_week=("Sunday",)),))
UNTIL = Schedule(effective_until="2026-12-01T00:00:00", time_zone="Tokyo Standard Time")
TURNED = (
    f"turns {rule_id('apr-jobs').describe()} from adding action groups into suppressing "
    "notifications"
)
CREATED_ALWAYS = (
    f"creates {rule_id('apr-jobs').describe()}, which suppresses notifications at all times "
    "(no end date, no recurrence)"
)
MADE_ALWAYS = (
    f"makes {rule_id('apr-jobs').describe()} suppress notifications at all times "
    "(no end date, no recurrence)"
)


def silenced(schedule: Schedule | None = None, *, enabled: bool = True):  # type: ignore[no-untyped-def]
    return dataclasses.replace(SILENCED, schedule=schedule, enabled=enabled)


def test_a_rule_turned_into_suppression_is_unsafe_whatever_its_schedule() -> None:
    assert plan_of(state(silenced(WEEKLY)), state(rule())).unsafe == (TURNED,)
    # Without a window it also suppresses at all times: both reasons hold.
    assert plan_of(state(silenced()), state(rule())).unsafe == (TURNED, MADE_ALWAYS)


def test_a_new_suppression_rule_is_unsafe_unless_it_ends_or_recurs() -> None:
    assert plan_of(state(silenced()), state()).unsafe == (CREATED_ALWAYS,)
    assert plan_of(state(silenced(WEEKLY)), state()).unsafe == ()
    assert plan_of(state(silenced(UNTIL)), state()).unsafe == ()
    assert plan_of(state(silenced(enabled=False)), state()).unsafe == ()


def test_a_schedule_of_only_a_start_or_a_time_zone_suppresses_forever() -> None:
    for schedule in (
        Schedule(time_zone="Tokyo Standard Time"),
        Schedule(effective_from="2026-01-01T00:00:00"),
    ):
        assert plan_of(state(silenced(schedule)), state()).unsafe == (CREATED_ALWAYS,)


def test_enabling_a_suppression_rule_without_a_window_is_unsafe() -> None:
    plan = plan_of(state(silenced()), state(silenced(enabled=False)))
    assert plan.unsafe == (MADE_ALWAYS,)
    # Enabling one with a weekly window only restores the window.
    assert plan_of(state(silenced(WEEKLY)), state(silenced(WEEKLY, enabled=False))).unsafe == ()


def test_removing_the_window_of_a_suppression_rule_is_unsafe() -> None:
    assert plan_of(state(silenced()), state(silenced(WEEKLY))).unsafe == (MADE_ALWAYS,)
    assert plan_of(state(silenced()), state(silenced(UNTIL))).unsafe == (MADE_ALWAYS,)


def test_a_rule_that_already_suppressed_at_all_times_is_not_flagged_again() -> None:
    # Editing its description changes nothing about the silence it already made.
    changed = dataclasses.replace(silenced(), description="maintenance")
    plan = plan_of(state(changed), state(silenced()))
    assert plan.count("update") == 1
    assert plan.unsafe == ()
