"""Lists whose order Azure ignores are sets in every plan: one `+`/`-` line per item in text and
Markdown, and one JSON field whose path names the item."""

from __future__ import annotations

import json

from provisioner.ids import ResourceId
from provisioner.model import Condition, Recurrence, Schedule
from provisioner.sync.diff import compute
from provisioner.sync.field_diff import FieldChange
from provisioner.sync.plan import Plan
from provisioner.sync.render import render_json, render_markdown, render_text
from tests.builders import OWNER, State, group_id, owned_tags, rule, state, vault_id


def plan_of(desired: State, live: State) -> Plan:
    return Plan.build(compute(desired, live), live.resources, [OWNER])


def lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


VAULTS = tuple(sorted(vault_id(f"rsv-{i:04}") for i in range(1000)))
ADDED = vault_id("rsv-new")


def test_one_vault_added_to_a_rule_of_1000_scopes_is_one_line_everywhere() -> None:
    plan = plan_of(state(rule(scopes=tuple(sorted((*VAULTS, ADDED))))), state(rule(scopes=VAULTS)))
    assert lines_with(render_text(plan), "scopes") == [f'    + scopes: "{ADDED}"']
    (row,) = lines_with(render_markdown(plan), "scopes")
    assert row == f'| + `scopes` |  | `"{ADDED}"` |'
    (field,) = json.loads(render_json(plan))["changes"][0]["fields"]
    assert field == {"path": f"scopes[{ADDED}]", "old": None, "new": str(ADDED)}


def test_a_renamed_action_group_is_one_minus_and_one_plus_line() -> None:
    plan = plan_of(state(rule(groups=("ag-new",))), state(rule(groups=("ag-old",))))
    text = render_text(plan)
    assert lines_with(text, "actionGroups") == [
        f'    + actionGroups: "{group_id("ag-new")}"',
        f'    - actionGroups: "{group_id("ag-old")}"',
    ]
    markdown = render_markdown(plan)
    assert f'| - `actionGroups` | `"{group_id("ag-old")}"` |  |' in markdown
    paths = [f["path"] for f in json.loads(render_json(plan))["changes"][0]["fields"]]
    assert paths == [f"actionGroups[{group_id('ag-new')}]", f"actionGroups[{group_id('ag-old')}]"]


def test_an_added_condition_value_is_one_line() -> None:
    live = rule(conditions=(Condition.build("Severity", "Equals", ["Sev1"]),))
    want = rule(conditions=(Condition.build("Severity", "Equals", ["Sev1", "Sev2"]),))
    text = render_text(plan_of(state(want), state(live)))
    assert lines_with(text, "conditions") == ['    + conditions[Severity].values: "Sev2"']


def weekly(*days: str, start: str | None = None, end: str | None = None) -> Recurrence:
    return Recurrence("Weekly", start, end, days_of_week=days)


def suppression(*recurrences: Recurrence) -> object:
    schedule = Schedule(time_zone="Tokyo Standard Time", recurrences=recurrences)
    return rule(action_type="RemoveAllActionGroups", groups=(), schedule=schedule)


def test_an_added_weekday_or_day_of_month_is_one_line() -> None:
    live = suppression(weekly("Saturday", "Sunday"), Recurrence("Monthly", days_of_month=(1,)))
    want = suppression(
        weekly("Monday", "Saturday", "Sunday"), Recurrence("Monthly", days_of_month=(1, 15))
    )
    text = render_text(plan_of(state(want), state(live)))  # type: ignore[arg-type]
    assert lines_with(text, "schedule") == [
        "    + schedule.recurrences[monthly all day].daysOfMonth: 15",
        '    + schedule.recurrences[weekly all day].daysOfWeek: "Monday"',
    ]


def test_two_recurrences_of_one_window_are_both_kept_and_compared() -> None:
    live = suppression(weekly("Monday"), weekly("Friday"))
    want = suppression(weekly("Monday"), weekly("Saturday"))
    (change,) = compute(state(want), state(live)).changes  # type: ignore[arg-type]
    assert [(f.path, f.old, f.new) for f in change.fields] == [
        ("schedule.recurrences[weekly all day #2].daysOfWeek[Friday]", "Friday", None),
        ("schedule.recurrences[weekly all day #2].daysOfWeek[Saturday]", None, "Saturday"),
    ]


def test_ids_differing_only_in_case_are_the_same_item() -> None:
    shouted = ResourceId.parse(str(vault_id()).replace("rg-backup", "RG-BACKUP"))
    assert compute(state(rule()), state(rule(scopes=(shouted,)))).changes == ()


def test_a_created_rule_lists_each_scope_as_an_item() -> None:
    scopes = (vault_id("rsv-a"), vault_id("rsv-b"))
    (change,) = compute(state(rule(scopes=scopes)), state()).changes
    assert [f for f in change.fields if f.item_of == "scopes"] == [
        FieldChange(f"scopes[{s}]", None, s, "scopes") for s in scopes
    ]


def test_tags_stay_a_keyed_map_a_value_change_is_old_to_new() -> None:
    live = rule(tags=owned_tags(team="ops"))
    (change,) = compute(state(rule(tags=owned_tags(team="platform"))), state(live)).changes
    assert change.fields == (FieldChange("tags[team]", "ops", "platform"),)
    assert lines_with(render_text(plan_of(state(rule()), state(live))), "team") == [
        '    tags[team]: "ops" -> (removed)'
    ]
