"""The fast YAML reader (libyaml) reads every text exactly as the careful one (PyYAML's own
scanner): the same data, the same line and column for every key and value, the same problems.

It is a speed-up only: what it does not read alike it must leave to the careful reader.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from bench.world import World
from provisioner.spec import yaml_loader
from provisioner.spec.yaml_loader import load_yaml
from tests.test_hostile_inputs import BAD_SPECS, SPEC

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILES = sorted(
    [*(ROOT / "tests" / "fixtures" / "specs").rglob("*.y*ml"), *(ROOT / "examples").rglob("*.y*ml")]
)
# Valid specs without anchors and aliases (those the careful reader reads, to keep their places).
VALID_FILES = [
    f
    for f in [
        *(ROOT / "tests/fixtures/specs/valid").rglob("*.yaml"),
        *(ROOT / "examples/specs").rglob("*.yaml"),
    ]
    if not re.search(r"[&*][\w-]", f.read_text(encoding="utf-8"))
]


def read_alike(text: str) -> None:
    """Both readers give the same data, positions and problems."""
    fast, careful = load_yaml(text), load_yaml(text, fast=False)
    assert fast.data == careful.data
    assert fast.source == careful.source
    assert fast.problems == careful.problems


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fixture_and_example_reads_alike(path: Path) -> None:
    read_alike(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text", [t for _, t, _, _ in BAD_SPECS if isinstance(t, str)], ids=lambda t: repr(t)[:40]
)
def test_every_hostile_spec_reads_alike(text: str) -> None:
    read_alike(text)


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_valid_specs_take_the_fast_reader(path: Path) -> None:
    assert yaml_loader._compose_fast(path.read_text(encoding="utf-8")) is not None


def test_a_large_spec_takes_the_fast_reader_with_the_same_positions() -> None:
    text = yaml.safe_dump(World(1, 300).spec(0), sort_keys=False)
    assert yaml_loader._compose_fast(text) is not None
    read_alike(text)
    last_rule = load_yaml(text).source.keys[("alertProcessingRules", 299, "name")]
    assert last_rule == (text.splitlines().index("- name: apr-rsv-0299") + 1, 3)


@pytest.mark.parametrize(
    ("why", "text"),
    [
        ("a tab libyaml accepts and PyYAML refuses", "a:\tb\n"),
        ("an anchor", "a: &x 1\nb: 2\n"),
        ("an alias", "a: &x 1\nb: *x\n"),
        ("a syntax error", "a: [1\n"),
        ("a directive", "%YAML 1.1\n---\na: 1\n"),
        ("nesting past the limit", "a: " + "[" * 100 + "]" * 100 + "\n"),
        ("a control character", "a: \x07\n"),
        ("a byte order mark", "\ufeffa: 1\n"),
    ],
)
def test_unusual_text_takes_the_careful_reader(why: str, text: str) -> None:
    assert yaml_loader._compose_fast(text) is None, why
    read_alike(text)


# Characters that make YAML structure, and a few that make it hard: random text of them is mostly
# broken YAML, which must reach the careful reader (or read alike where libyaml accepts it).
YAML_ISH = string.ascii_letters[:6] + "0123456789 \n\r\t:-?,[]{}#&*!|>'\"%@`\\~.+_é日\u2028\x85"


@given(st.text(alphabet=YAML_ISH, max_size=80))
@example("a: 'x\n\n  y'\n")
@example('a: "x\\\n  y"\n')
@example("- ? a\n  : b\n")
@example("a:\n- 1\n- 2\n")
@example("a: b\r\nc: d\r\n")
@example("a: b\rc: d\r")
@example("a: é\u2028b: c\n")
def test_random_text_reads_alike(text: str) -> None:
    read_alike(text)


@given(st.integers(min_value=0, max_value=len(SPEC)), st.text(alphabet=YAML_ISH, max_size=6))
def test_specs_with_a_random_edit_read_alike(at: int, inserted: str) -> None:
    read_alike(SPEC[:at] + inserted + SPEC[at:])


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(alphabet=string.printable + "é日\u00a0\U0001f600", max_size=20),
    )


documents = st.recursive(
    scalars(),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(string.ascii_letters + " -_:#", max_size=8), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(
    documents,
    st.sampled_from([None, True, False]),
    st.sampled_from([None, "'", '"', "|", ">"]),
    st.integers(min_value=2, max_value=6),
    st.sampled_from([20, 80]),
)
def test_dumped_documents_read_alike(
    data: Any, flow: bool | None, style: str | None, indent: int, width: int
) -> None:
    text = yaml.safe_dump(
        data, default_flow_style=flow, default_style=style, indent=indent, width=width
    )
    read_alike(text)
