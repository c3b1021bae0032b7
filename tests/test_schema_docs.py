"""The generated spec reference: current with the schema, complete, and every property described."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provisioner.model import FIELD_OPERATORS
from provisioner.spec.schema_check import schema
from provisioner.spec.schema_docs import HEADER, render, sections, undocumented

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "spec-reference.md"


def test_reference_is_current_with_the_schema() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(schema()), (
        f"{REFERENCE.name} is out of date with schemas/alertsync.schema.json: "
        "run `make docs` and commit docs/spec-reference.md"
    )


def test_reference_says_it_is_generated_and_how() -> None:
    text = render(schema())
    assert text.startswith(HEADER)
    assert "make docs" in text.splitlines()[0]


def test_every_property_in_the_schema_has_a_description() -> None:
    missing = undocumented(schema())
    assert missing == [], "add a description to: " + ", ".join(missing)


def test_a_property_without_description_is_found_wherever_it_is() -> None:
    broken: dict[str, Any] = {
        "properties": {"a": {"type": "string", "description": "fine"}, "b": {"type": "string"}},
        "$defs": {
            "x": {
                "description": "fine",
                "oneOf": [{"type": "object", "properties": {"deep": {"type": "integer"}}}],
            },
            "m": {"description": "a map", "additionalProperties": {"type": "string"}},
        },
    }
    assert sorted(undocumented(broken)) == [
        "/$defs/m/additionalProperties",
        "/$defs/x/oneOf/0/properties/deep",
        "/properties/b",
    ]


def _property_keys(node: Any) -> Iterator[str]:
    """Every property name anywhere in the schema."""
    if isinstance(node, dict):
        yield from node.get("properties", {})
        for value in node.values():
            yield from _property_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_keys(item)


def test_every_property_has_a_row() -> None:
    rows = set(re.findall(r"^\| `([^`]+)` \|", render(schema()), flags=re.MULTILINE))
    assert set(_property_keys(schema())) <= rows


def test_sections_follow_the_schema_order() -> None:
    titles = [s.title for s in sections(schema())]
    expected = ["File level", "Action group", "Email receiver", "SMS receiver", "Webhook receiver"]
    expected += ["ARM role receiver", "Alert processing rule", "Scope forms", "Conditions"]
    expected += ["Schedule", "Recurrence", "Vault"]
    assert [t for t in titles if t in expected] == expected


def _condition_rows(text: str) -> dict[str, str]:
    section = text.split("\n## Conditions\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|.*\| ([^|]*) \|$", section, flags=re.MULTILINE)
    return dict(rows)


@pytest.mark.parametrize("api_field", sorted(FIELD_OPERATORS))
def test_each_condition_field_lists_the_operators_alertsync_accepts(api_field: str) -> None:
    key = api_field[0].lower() + api_field[1:]
    operators = [op[0].lower() + op[1:] for op in FIELD_OPERATORS[api_field]]
    assert _condition_rows(render(schema()))[key] == ", ".join(f"`{op}`" for op in operators)
