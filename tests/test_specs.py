"""Loading and validating specs: every fixture, the loader's positions, the schema's shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from provisioner.errors import SpecError, SpecProblem
from provisioner.model import FIELD_OPERATORS
from provisioner.spec import desired
from provisioner.spec import files as spec_files
from provisioner.spec.schema_check import schema
from provisioner.spec.yaml_loader import load_yaml
from tests.spec_fixtures import FIXTURES, cases, expectations

REPO = Path(__file__).parent.parent
SCHEMA_PATH = REPO.resolve() / "schemas" / "alertsync.schema.json"
EXAMPLES = sorted([*REPO.glob("specs/**/*.yaml"), *REPO.glob("examples/specs/**/*.yaml")])


def problems_of(paths: list[Path]) -> list[SpecProblem]:
    """What `alertsync validate` reports, through the library."""
    documents, problems = spec_files.check(paths)
    _, across = desired.check_across(documents)
    return spec_files.sorted_problems([*problems, *across])


@pytest.mark.parametrize("case", cases("invalid"), ids=lambda p: p.name)
def test_invalid_fixture_reports_exactly_its_mistake(case: Path) -> None:
    expected = expectations(case)
    assert expected, f"{case} declares no '# expect: LINE: fragment'"
    problems = problems_of([case])
    for want in expected:
        assert any(
            p.path == want.path and p.line == want.line and want.fragment in p.message
            for p in problems
        ), f"{want} not in:\n" + "\n".join(map(str, problems))
    assert len(problems) == len(expected), "\n".join(map(str, problems))


@pytest.mark.parametrize("case", cases("valid"), ids=lambda p: p.name)
def test_valid_fixture_has_no_problem(case: Path) -> None:
    assert problems_of([case]) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(REPO)))
def test_example_specs_validate_and_point_editors_at_the_schema(example: Path) -> None:
    assert problems_of([example]) == []
    first = example.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    assert (example.parent / first.removeprefix(prefix)).resolve() == SCHEMA_PATH


def test_load_raises_with_every_problem_of_every_file() -> None:
    names = ("short-name-too-long", "email-invalid", "yaml-syntax-error", "empty-file", "merge-key")
    invalid = [c for c in cases("invalid") if c.stem in names]
    with pytest.raises(SpecError) as caught:
        spec_files.load(invalid)
    assert {p.path for p in caught.value.problems} == {str(c) for c in invalid}


def test_load_returns_documents_in_path_order(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "notes.txt"):
        (tmp_path / name).write_text("apiVersion: alertsync/v1\nowner: x\n")
    assert [Path(d.path).name for d in spec_files.load([tmp_path])] == ["a.yml", "b.yaml"]


def test_upper_case_suffixes_are_found_in_folders_as_when_named(tmp_path: Path) -> None:
    for name in ("A.YAML", "b.Yml"):
        (tmp_path / name).write_text("apiVersion: alertsync/v1\nowner: x\n")
    assert [Path(d.path).name for d in spec_files.load([tmp_path])] == ["A.YAML", "b.Yml"]


def test_one_file_named_twice_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f.yaml").write_text("apiVersion: alertsync/v1\nowner: x\n")
    monkeypatch.chdir(tmp_path)
    twice = [Path("f.yaml"), Path("..") / tmp_path.name / "f.yaml", tmp_path]
    assert [d.path for d in spec_files.load(twice)] == ["f.yaml"]


def test_bytes_that_are_not_utf8_are_reported_where_they_are(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"apiVersion: alertsync/v1\nowner: caf\xe9\n")
    (problem,) = problems_of([tmp_path / "latin1.yaml"])
    assert (problem.line, problem.column) == (2, 11)
    assert "not UTF-8: byte 0xe9" in problem.message


def test_missing_path_and_empty_folder_are_problems(tmp_path: Path) -> None:
    problems = problems_of([tmp_path / "nope.yaml", tmp_path])
    assert [p.message for p in problems] == [
        "no spec files (*.yaml, *.yml) here",
        "no such file or directory",
    ]


# --- the YAML loader -------------------------------------------------------------------------


def test_loader_records_key_and_value_positions() -> None:
    loaded = load_yaml("a:\n  - name: x\n    list: [1, 2]\n")
    assert loaded.source.key_position(("a", 0, "name")) == (2, 5)
    assert loaded.source.value_position(("a", 0, "list", 1)) == (3, 15)
    assert loaded.source.value_position(("a", 0, "unknown")) == (2, 5)  # nearest ancestor


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("22:00:00", "22:00:00"),  # YAML 1.1 would say 79200
        ("2026-12-01T00:00:00", "2026-12-01T00:00:00"),  # and a datetime here
        ("no", "no"),
        ("off", "off"),
        ("'81'", "81"),
        ("081", 81),
        ("true", True),
        ("False", False),
        ("~", None),
        ("1.5", 1.5),
    ],
)
def test_loader_resolves_scalars_as_yaml_1_2(text: str, value: Any) -> None:
    assert load_yaml(f"v: {text}\n").data == {"v": value}


def test_loader_rejects_alias_cycles_without_recursing_forever() -> None:
    assert "cycle" in load_yaml("a: &x [1, *x]\n").problems[0].message


def test_load_for_plan_and_apply_refuses_an_alias_bomb_too() -> None:
    bomb = FIXTURES / "invalid" / "alias-billion-laughs.yaml"
    with pytest.raises(SpecError) as caught:
        spec_files.load([bomb])
    assert [p.line for p in caught.value.problems] == [9]


def test_a_too_deep_file_does_not_stop_the_others() -> None:
    deep = FIXTURES / "invalid" / "nested-too-deep.yaml"
    other = FIXTURES / "invalid" / "short-name-too-long.yaml"
    assert {p.path for p in problems_of([deep, other])} == {str(deep), str(other)}


def test_aliases_nested_too_deep_are_refused_at_the_outermost_alias() -> None:
    chain = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 80))
    (problem,) = load_yaml(chain).problems
    assert "nested more than 64 levels" in problem.message
    assert problem.position[0] == 64  # a63: [*a62] is the first value 65 levels deep


# --- the schema ------------------------------------------------------------------------------


def _walk(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.append((f"{path}.{name}", sub))
        for key, sub in node.items():
            found += _walk(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            found += _walk(sub, f"{path}[{index}]")
    return found


def test_schema_is_draft_2020_12_with_a_description_on_every_property() -> None:
    Draft202012Validator.check_schema(schema())
    missing = [path for path, sub in _walk(schema()) if "description" not in sub]
    assert missing == []


def test_schema_closes_every_object() -> None:
    def objects(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                found.append(node)
            for sub in node.values():
                found += objects(sub)
        elif isinstance(node, list):
            for sub in node:
                found += objects(sub)
        return found

    assert all(o.get("additionalProperties") is False for o in objects(schema()))


def test_schema_operators_per_field_match_the_model() -> None:
    fields = schema()["$defs"]["conditions"]["properties"]
    for field, operators in FIELD_OPERATORS.items():
        ref = fields[field[0].lower() + field[1:]]["$ref"].rsplit("/", 1)[1]
        allowed = schema()["$defs"][ref]["oneOf"][1]["properties"]
        assert [o[0].upper() + o[1:] for o in allowed] == list(operators), field


def test_schema_file_is_draft_2020_12_json_formatted_for_review() -> None:
    # The published contract: reviewed in diffs, so one stable layout (2-space indent, newline).
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    schema = json.loads(text)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert text == json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


# --- semantic checks on what the schema rejected ---------------------------------------------

_WRONG_VALUES: tuple[Any, ...] = (None, 5, True, "", "x y", [], [5], [None], {}, {"a": 5})


def _paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [path]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, sub in items:
        found += _paths(sub, (*path, key))
    return found


def _replaced(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replaced(data[path[0]], path[1:], value)  # type: ignore[index]
    return copy


def _survives_wrong_values(every_value: bool) -> None:
    """Each value of complete.yaml replaced by wrongly typed ones: every wrong value at every
    place, or (every_value=False) one per place, taking turns through _WRONG_VALUES."""
    complete = REPO / "examples" / "specs" / "complete.yaml"
    loaded = load_yaml(complete.read_text(encoding="utf-8"))
    for place, path in enumerate(_paths(loaded.data)[1:]):
        turn = place % len(_WRONG_VALUES)
        for wrong in _WRONG_VALUES if every_value else _WRONG_VALUES[turn : turn + 1]:
            data = _replaced(loaded.data, path, wrong)
            document = spec_files.SpecDocument("complete.yaml", data, loaded.source)
            checked, _ = spec_files.validate_document(document)  # never raises, whatever the value
            desired.check_across([checked])  # nor do the checks across files


def test_semantic_checks_survive_a_wrongly_typed_value_anywhere() -> None:
    _survives_wrong_values(every_value=False)  # the inner loop's slice of the sweep below


@pytest.mark.slow  # about 1,400 documents through the schema and the semantic checks
def test_semantic_checks_survive_any_wrongly_typed_value() -> None:
    _survives_wrong_values(every_value=True)


def test_a_schema_error_does_not_hide_the_semantic_errors_of_its_resource() -> None:
    case = FIXTURES / "invalid" / "rule-schema-and-semantic-errors.yaml"
    messages = [p.message for p in problems_of([case])]
    assert len(messages) == 3, messages


def test_a_mistake_in_aliased_text_is_reported_once(tmp_path: Path) -> None:
    # Each alias of the receivers makes the schema and the checks meet the bad address again.
    groups = "".join(
        f"  - {{name: ag-{i}, shortName: g{i}, emailReceivers: *mail}}\n" for i in range(50)
    )
    (tmp_path / "f.yaml").write_text(
        "apiVersion: alertsync/v1\nowner: x\n"
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: rg\n"
        "receivers: &mail [{name: oncall, address: not-an-address}]\n"
        f"actionGroups:\n{groups}"
    )
    problems = problems_of([tmp_path / "f.yaml"])
    at_the_anchor = [p for p in problems if p.line == 5 and "not-an-address" in p.message]
    assert len(at_the_anchor) == 1, "\n".join(map(str, problems))
    assert len(problems) <= 3, "\n".join(map(str, problems))


def _many_unknown_keys(tmp_path: Path, count: int) -> Path:
    keys = "".join(f"unknown{i}: 1\n" for i in range(count))
    (tmp_path / "f.yaml").write_text(f"apiVersion: alertsync/v1\nowner: x\n{keys}")
    return tmp_path / "f.yaml"


def test_a_file_reports_at_most_200_problems_and_says_how_many_more(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text("apiVersion: alertsync/v1\nowner: y\n")
    problems = problems_of([_many_unknown_keys(tmp_path, 300), tmp_path / "ok.yaml"])
    assert len(problems) == spec_files.MAX_PROBLEMS_PER_FILE + 1
    *shown, last = problems
    assert all("unknown key 'unknown" in p.message for p in shown)
    assert shown == sorted(shown, key=lambda p: p.line)
    assert (last.path, last.line) == (str(tmp_path / "f.yaml"), shown[-1].line)
    assert last.message.startswith("100 more problem(s) in this file not shown")
    assert str(SpecError(problems)) == "300 problem(s) in the specs"  # the unshown counted too


def test_sorting_again_with_more_problems_keeps_the_count(tmp_path: Path) -> None:
    # `validate` sorts the per-file problems again with the checks across files added.
    file = _many_unknown_keys(tmp_path, 300)
    _, problems = spec_files.check([file])
    across = SpecProblem(str(file), 1, 1, "declared twice")
    again = spec_files.sorted_problems([*problems, across])
    assert len(again) == spec_files.MAX_PROBLEMS_PER_FILE + 1
    assert again[0] == across
    assert again[-1].message.startswith("101 more problem(s) in this file not shown")


def test_counts_of_unshown_problems_add_up_however_alike_they_read(tmp_path: Path) -> None:
    # Two lists each cut at the same place with the same count: two batches left out, not one.
    file = _many_unknown_keys(tmp_path, 300)
    _, problems = spec_files.check([file])
    *_, unshown = problems
    merged = spec_files.sorted_problems([*problems, unshown])
    assert merged[-1].message.startswith("200 more problem(s) in this file not shown")
