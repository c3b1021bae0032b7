"""Rendering plans as text and Markdown: the verdict line, and Markdown that values cannot break.

Markdown is checked by parsing it with a CommonMark parser (markdown-it-py, with GFM tables),
as GitHub would, and reading back what the reader would see.
"""

from __future__ import annotations

from provisioner.diff import compute
from provisioner.ids import ResourceId
from provisioner.plan import Plan
from provisioner.render import render_markdown, render_text
from tests.builders import OWNER, SUB, State, group, state


def plan_of(desired: State, live: State) -> Plan:
    return Plan.build(compute(desired, live), live.resources, [OWNER])


def blocked_by_a_missing_resource_group() -> Plan:
    rg = ResourceId(SUB, "rg-monitoring")
    return plan_of(state(group()), state(missing_resource_groups=frozenset({rg})))


def test_a_plan_with_nothing_to_do_says_azure_matches() -> None:
    plan = plan_of(state(group()), state(group()))
    assert "No changes. Azure matches the specs." in render_text(plan)
    assert "No changes. Azure matches the specs." in render_markdown(plan)


def test_a_plan_blocked_by_problems_never_says_azure_matches() -> None:
    plan = blocked_by_a_missing_resource_group()
    assert plan.problems and not plan.changes  # the create is suppressed
    text, markdown = render_text(plan), render_markdown(plan)
    for rendered in (text, markdown):
        assert "No changes" not in rendered
        assert "Azure matches" not in rendered
    assert "Plan blocked: 1 problem must be fixed before anything can be applied." in text
    assert markdown.startswith("### alertsync plan (blocked): ")
    assert "**Plan blocked: 1 problem must be fixed" in markdown


def test_a_plan_with_changes_and_problems_says_it_is_blocked() -> None:
    # An unmanaged group (a problem without --adopt) next to a group to create.
    plan = plan_of(state(group("ag-new"), group("ag-old")), state(group("ag-old", owner=None)))
    assert plan.changes and plan.problems
    assert "Plan blocked: 1 problem must be fixed" in render_text(plan)
    assert "(blocked)" in render_markdown(plan)
