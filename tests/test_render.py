"""Rendering plans as text and Markdown: the verdict line, and Markdown that values cannot break.

Markdown is checked by parsing it with a CommonMark parser (markdown-it-py, with GFM tables),
as GitHub would, and reading back what the reader would see.
"""

from __future__ import annotations

import re
from html import unescape

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from provisioner.ids import ResourceId
from provisioner.sync.diff import Problem, compute
from provisioner.sync.plan import Plan
from provisioner.sync.render import _md_cell, _md_code, format_value, render_markdown, render_text
from tests.builders import OWNER, SUB, State, group, rule, state


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


# --- Markdown that values cannot break ---------------------------------------------------------

NASTY = "a `tick` `` and ``` </details> <details> <img src=x> | pipe & &lt; \\ *em* [l](u) end"
MARKDOWN = MarkdownIt("commonmark").enable("table")  # raw HTML on, as GitHub allows <details>


def code_spans(markdown: str) -> list[str]:
    """The text of every inline code span, as a reader sees it."""
    return [
        child.content
        for token in MARKDOWN.parse(markdown)
        if token.type == "inline"
        for child in token.children or []
        if child.type == "code_inline"
    ]


def test_values_with_backticks_and_html_stay_literal_in_their_code_spans() -> None:
    plan = plan_of(state(group("`ag`"), rule(description=NASTY, groups=("`ag`",))), state())
    markdown = render_markdown(plan)
    spans = code_spans(markdown)
    assert format_value(NASTY) in spans  # the description cell, whole
    assert "`ag`" in spans  # the name in the table: starts and ends with a backtick
    html = MARKDOWN.render(markdown)
    assert html.count("<details>") == html.count("</details>") == len(plan.changes)
    assert "<img" not in html


def test_messages_with_html_and_markdown_stay_literal_text() -> None:
    problem = Problem(group().id, f"cannot: {NASTY}")
    plan = Plan((), (problem,), (), (f"unsafe: {NASTY}",), warnings=(f"note: {NASTY}",))
    html = MARKDOWN.render(render_markdown(plan))
    assert "<img" not in html and "</details>" not in html and "<details>" not in html
    assert "<em>" not in html and "<a " not in html
    shown = unescape(re.sub(r"<[^>]+>", "", html))
    for said in (f"cannot: {NASTY}", f"Unsafe: unsafe: {NASTY}", f"note: {NASTY}"):
        assert said in shown


LINE = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1)


@given(LINE)
def test_any_text_round_trips_through_a_code_span(text: str) -> None:
    assert code_spans(f"x {_md_code(text)} x") == [text]


@given(LINE)
def test_any_text_round_trips_through_a_code_span_in_a_table_cell(text: str) -> None:
    table = f"| h |\n|---|\n| {_md_cell(_md_code(text))} |\n"
    assert code_spans(table) == [text]
