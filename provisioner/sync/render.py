"""Render a Plan as text (terminal), JSON (machines) or Markdown (pull requests). Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

import click

from provisioner.model import plural
from provisioner.sync.diff import Change
from provisioner.sync.field_diff import FieldChange
from provisioner.sync.fields import to_json
from provisioner.sync.plan import Plan, kind_of

_SYMBOLS: Final = {"create": "+", "update": "~", "adopt": "&", "delete": "-"}
_COLOURS: Final = {"create": "green", "update": "yellow", "adopt": "cyan", "delete": "red"}
_EMOJI: Final = {"create": "➕", "update": "✏️", "adopt": "🔗", "delete": "🗑️"}  # noqa: RUF001


def summary_line(plan: Plan) -> str:
    """`Plan: N to create, N to update, N to delete.` (adoptions count as updates)."""
    counts = plan.summary()
    updates = counts["update"] + counts["adopt"]
    return f"Plan: {counts['create']} to create, {updates} to update, {counts['delete']} to delete."


def verdict(plan: Plan) -> str | None:
    """What the plan amounts to, when the changes alone do not say it.

    A plan with problems is blocked whatever it lists (its creates may even be suppressed), so
    "Azure matches the specs" is only said of a plan that has nothing to change, nothing in the
    way and nothing kept: resources this owner still has but no spec declares do not match.
    """
    if plan.problems:
        problems = plural(len(plan.problems), "problem")
        return f"Plan blocked: {problems} must be fixed before anything can be applied."
    if not plan.changes and plan.orphans:
        kept = plural(len(plan.orphans), "resource")
        return (
            f"No changes to apply, but {kept} no spec declares any more "
            f"{'is' if len(plan.orphans) == 1 else 'are'} kept (--prune deletes "
            f"{'it' if len(plan.orphans) == 1 else 'them'})."
        )
    if not plan.changes:
        return "No changes. Azure matches the specs."
    return None


def format_value(value: Any) -> str:
    """A field value on one line, JSON-style; absent values read `(none)`."""
    if value is None:
        return "(none)"
    return json.dumps(to_json(value), sort_keys=True, ensure_ascii=False)


# --- text ------------------------------------------------------------------------------------


def render_text(plan: Plan, color: bool = False) -> str:
    """Plain, greppable text; with colour for a terminal."""

    def paint(text: str, action: str) -> str:
        return click.style(text, fg=_COLOURS[action]) if color else text

    lines: list[str] = []
    for change in plan.changes:
        lines += _text_change(change, paint)
    lines += [f"= selector {m.describe()}" for m in plan.selections]
    lines += [f"! {p.message}" + (f"  [{p.source}]" if p.source else "") for p in plan.problems]
    lines += [
        f"? kept (no longer declared; --prune deletes it): {o.describe()}" for o in plan.orphans
    ]
    accepted = " (accepted with --force)" if plan.force else ""
    lines += [f"! unsafe: {reason}{accepted}" for reason in plan.unsafe]
    lines += [f"! warning: {warning}" for warning in plan.warnings]
    said = verdict(plan)
    if said:
        lines.append(said)
    lines.append(summary_line(plan))
    return "\n".join(lines) + "\n"


def _text_change(change: Change, paint: Callable[[str, str], str]) -> list[str]:
    source = f"  [{change.source}]" if change.source else ""
    head = paint(f"{_SYMBOLS[change.action]} {change.action} {change.id.describe()}", change.action)
    if change.action == "delete":
        return [head]  # what is deleted is named; listing its every field adds only noise
    return [head + source] + [f"    {line}" for f in change.fields for line in _text_field(f)]


def _text_field(field: FieldChange) -> list[str]:
    if field.item_of is not None:
        return [f"{sign} {field.item_of}: {format_value(item)}" for sign, item in _items(field)]
    return [_text_value_change(field)]


def _items(field: FieldChange) -> list[tuple[str, Any]]:
    """An item of a set as `-` (removed) and/or `+` (added): in a set, nothing is rewritten."""
    removed = [("-", field.old)] if field.old is not None else []
    return removed + ([("+", field.new)] if field.new is not None else [])


def _text_value_change(field: FieldChange) -> str:
    if field.old is None:
        return f"{field.path}: {format_value(field.new)}"
    if field.new is None:
        return f"{field.path}: {format_value(field.old)} -> (removed)"
    return f"{field.path}: {format_value(field.old)} -> {format_value(field.new)}"


# --- JSON ------------------------------------------------------------------------------------


def render_json(plan: Plan) -> str:
    """The versioned plan document (see docs), stable key order."""
    return json.dumps(plan.to_data(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# --- Markdown --------------------------------------------------------------------------------


def render_markdown(plan: Plan) -> str:
    """A pull-request comment: counts, a warning banner for deletes, a table, details per change."""
    blocked = " (blocked)" if plan.problems else ""
    lines = [f"### alertsync plan{blocked}: {summary_line(plan).removeprefix('Plan: ')}", ""]
    lines += _md_banners(plan)
    said = verdict(plan)
    if said:
        lines += [f"**{said}**" if plan.problems else said, ""]
    if plan.changes:
        lines += _md_table(plan)
        for change in plan.changes:
            lines += _md_details(change)
    lines.append(f"<sub>Plan checksum `{plan.checksum()}`</sub>")
    return "\n".join(lines) + "\n"


def _md_banners(plan: Plan) -> list[str]:
    lines: list[str] = []
    deletes = [c for c in plan.changes if c.action == "delete"]
    if deletes:
        names = ", ".join(_md_code(c.id.name) for c in deletes)
        lines += [f"> [!WARNING]\n> This plan **deletes {len(deletes)}** resource(s): {names}", ""]
    verdict_of_force = (
        "accepted: planned with `--force`" if plan.force else "apply refuses without `--force`"
    )
    for reason in plan.unsafe:
        lines += [f"> [!CAUTION]\n> Unsafe: {_md_text(reason)} ({verdict_of_force})", ""]
    for problem in plan.problems:
        lines += [f"> [!CAUTION]\n> {_md_text(problem.message)}", ""]
    if plan.orphans:
        kept = ", ".join(_md_code(o.describe()) for o in plan.orphans)
        lines += [
            f"> [!NOTE]\n> Kept, no spec declares them any more (`--prune` deletes them): {kept}",
            "",
        ]
    for warning in plan.warnings:
        lines += [f"> [!NOTE]\n> {_md_text(warning)}", ""]
    if plan.selections:
        lines += ["Vault selectors:", ""]
        lines += [f"- {_md_text(m.describe())}" for m in plan.selections]
        lines.append("")
    return lines


def _md_table(plan: Plan) -> list[str]:
    lines = ["| Action | Kind | Name | Resource group | Fields |", "|---|---|---|---|---|"]
    for change in plan.changes:
        kind = kind_of(_resource(change)).change_noun
        lines.append(
            f"| {_EMOJI[change.action]} {change.action} | {kind} "
            f"| {_md_cell(_md_code(change.id.name))} "
            f"| {_md_text(change.id.resource_group or '')} | {len(change.fields)} |"
        )
    return [*lines, ""]


def _md_details(change: Change) -> list[str]:
    kind = kind_of(_resource(change)).change_noun
    summary = f"{_EMOJI[change.action]} {change.action} {kind} <code>{_html(change.id.name)}</code>"
    lines = [f"<details><summary>{summary}</summary>", ""]
    if change.source:
        lines += [f"Declared in {_md_code(change.source)}.", ""]
    lines += ["| Field | Before | After |", "|---|---|---|"]
    for field in change.fields:
        lines += _md_field_rows(field)
    return [*lines, "", "</details>", ""]


def _md_field_rows(field: FieldChange) -> list[str]:
    """One row per field; one `+`/`-` row per item of a set, named by its set."""
    if field.item_of is not None:
        return [
            f"| {sign} {_md_cell(_md_code(field.item_of))} | {_md_value(item, sign == '-')} "
            f"| {_md_value(item, sign == '+')} |"
            for sign, item in _items(field)
        ]
    old, new = _md_value(field.old), _md_value(field.new)
    return [f"| {_md_cell(_md_code(field.path))} | {old} | {new} |"]


def _md_value(value: Any, shown: bool = True) -> str:
    if value is None or not shown:
        return ""
    return _md_cell(_md_code(format_value(value)))


def _resource(change: Change) -> Any:
    return change.desired or change.live


# Values (names, descriptions, addresses, messages) are the spec author's or Azure's text and
# must never become Markdown or HTML: a backtick would end its code span, and a `</details>` or
# `<img>` would be live HTML. Values go in code spans (where HTML is inert), or are escaped.


def _md_code(text: str) -> str:
    """`text` as one CommonMark code span, whatever backticks it holds.

    The fence is one backtick longer than the longest run inside, so no run can close it early.
    CommonMark strips one space from each end of a span that starts and ends with a space, so a
    space pads each side when the text would otherwise merge with the fence (starts or ends with
    a backtick) or lose its own outer spaces.
    """
    text = text.replace("\n", " ")  # a line break would end the table row or the paragraph
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    padded = text.startswith("`") or text.endswith("`") or _loses_outer_spaces(text)
    return f"{fence} {text} {fence}" if padded else f"{fence}{text}{fence}"


def _loses_outer_spaces(text: str) -> bool:
    return text.startswith(" ") and text.endswith(" ") and bool(text.strip(" "))


def _md_cell(markdown: str) -> str:
    """Markdown made safe in a table cell: GFM splits cells at any `|` not escaped, even in code."""
    return markdown.replace("|", "\\|")


# Backslash-escaped: what would start emphasis, a code span, a link or image, a table cell or
# strikethrough. `<`, `>` and `&` become entities: no tag or entity of a value is ever HTML.
_MD_PUNCTUATION: Final = re.compile(r"([\\`*_\[\]|~])")


def _md_text(text: str) -> str:
    """A value as literal Markdown text, on one line."""
    return _MD_PUNCTUATION.sub(r"\\\1", _html(text))


def _html(text: str) -> str:
    """A value as literal HTML text, on one line (a blank line would end an HTML block)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", " ")


RENDERERS: Final[dict[str, Callable[[Plan], str]]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
