"""The quick schema check (jsonschema-rs) never calls valid what jsonschema calls invalid, and
it does call the valid specs valid: it only spares jsonschema's time on those."""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bench.world import World
from provisioner.spec import schema_check
from provisioner.spec.yaml_loader import load_yaml
from tests.test_hostile_inputs import BAD_SPECS, SPEC

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(
    [*(ROOT / "tests/fixtures/specs").rglob("*.yaml"), *(ROOT / "examples/specs").rglob("*.yaml")]
)
VALID = [f for f in SPECS if "valid" in f.parts]


def jsonschema_errors(data: Any) -> list[str]:
    return [e.message for e in schema_check._validator().iter_errors(data)]


def agree(data: Any) -> None:
    """Valid for jsonschema-rs means no jsonschema error."""
    if schema_check.surely_valid(data):
        assert jsonschema_errors(data) == []


def data_of(text: str) -> Any:
    return load_yaml(text).data


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fixture_is_judged_alike(path: Path) -> None:
    agree(data_of(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "text", [t for _, t, _, _ in BAD_SPECS if isinstance(t, str)], ids=lambda t: repr(t)[:40]
)
def test_every_hostile_spec_is_judged_alike(text: str) -> None:
    agree(data_of(text))


@pytest.mark.parametrize("path", VALID, ids=lambda p: str(p.relative_to(ROOT)))
def test_valid_specs_skip_jsonschema(path: Path) -> None:
    data = data_of(path.read_text(encoding="utf-8"))
    assert jsonschema_errors(data) == []
    assert schema_check.surely_valid(data)


def test_a_large_spec_skips_jsonschema() -> None:
    data = data_of(yaml.safe_dump(World(1, 200).spec(0), sort_keys=False))
    assert schema_check.surely_valid(data)
    assert schema_check.schema_issues(data) == []


@pytest.mark.parametrize(
    ("why", "value"),
    [
        ("Python's `$` matches before a final line break", "rg-monitoring\n"),
        ("Python's `\\w` matches any letter", "rg-café"),
        ("an integer past 64 bits", 10**40),
        ("infinity", float("inf")),
    ],
)
def test_where_the_two_differ_jsonschema_decides(why: str, value: Any) -> None:
    assert not schema_check.surely_valid({**data_of(SPEC), "resourceGroup": value}), why


JSON_ISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        st.text(alphabet=string.printable + "é日\u0301\u200b\U0001f600", max_size=12),
        st.sampled_from(["Sev0", "Sev4", "Equals", "Daily", "Weekly", "08:00:00", "Global"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths(value, (*prefix, index))
    return found


def edited(data: Any, path: tuple[Any, ...], change: Callable[[Any], Any]) -> Any:
    """data with the value at path changed (copies along the path, data itself untouched)."""
    if not path:
        return change(data)
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {**data, head: edited(data[head], rest, change)}
    copy = list(data)
    copy[head] = edited(copy[head], rest, change)
    return copy


COMPLETE = data_of((ROOT / "examples/specs/complete.yaml").read_text(encoding="utf-8"))
COMPLETE_PATHS = paths(COMPLETE)


@given(st.sampled_from(COMPLETE_PATHS), JSON_ISH)
def test_a_complete_spec_with_one_value_replaced_is_judged_alike(
    path: tuple[Any, ...], value: Any
) -> None:
    agree(edited(COMPLETE, path, lambda _: value))


@given(st.sampled_from(COMPLETE_PATHS), JSON_ISH)
def test_a_complete_spec_with_a_key_or_item_added_is_judged_alike(
    path: tuple[Any, ...], value: Any
) -> None:
    def added(found: Any) -> Any:
        if isinstance(found, dict):
            return {**found, "x": value}
        return [*found, value] if isinstance(found, list) else found

    agree(edited(COMPLETE, path, added))
