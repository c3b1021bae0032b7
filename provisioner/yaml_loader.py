"""Parse one YAML spec file into plain data plus the line/column of every key and value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

JsonPath = tuple[str | int, ...]
Position = tuple[int, int]  # 1-based line and column

# YAML 1.2 core schema scalars. PyYAML speaks YAML 1.1, where `22:00:00` is the integer 79200
# (base 60), `2026-12-01T00:00:00` a datetime and `no`/`off` booleans: all silently wrong for
# schedules and country codes, so plain scalars are resolved here instead.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_STANDARD_TAG = "tag:yaml.org,2002:"


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """A problem found while reading YAML, before any schema applies."""

    position: Position
    message: str
    json_path: JsonPath = ()


@dataclass
class SourceMap:
    """Where each value (and each mapping key) of a document was written."""

    values: dict[JsonPath, Position] = field(default_factory=dict)
    keys: dict[JsonPath, Position] = field(default_factory=dict)

    def value_position(self, path: JsonPath) -> Position:
        """The position of the value at path, or of its nearest recorded ancestor."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return (1, 1)

    def key_position(self, path: JsonPath) -> Position:
        """The position of the key naming path's last element (its value's if not a key)."""
        return self.keys.get(path) or self.value_position(path)


@dataclass
class LoadedYaml:
    """The outcome of reading one file: data (None if unusable), where things are, problems."""

    data: Any
    source: SourceMap
    problems: list[LoadProblem]


def load_yaml(text: str) -> LoadedYaml:
    """Parse text as exactly one YAML document; never raises for bad input."""
    source = SourceMap()
    problems: list[LoadProblem] = []
    try:
        nodes = list(_compose_all(text))
    except yaml.MarkedYAMLError as error:
        return LoadedYaml(None, source, [_syntax_problem(error)])
    except yaml.YAMLError as error:  # e.g. a reader error: bad bytes
        return LoadedYaml(None, source, [LoadProblem((1, 1), f"cannot read YAML: {error}")])
    if len(nodes) > 1:
        second = _position(nodes[1].start_mark)
        problems.append(
            LoadProblem(
                second, "one YAML document per file: split this second document into a file"
            )
        )
    if not nodes:
        return LoadedYaml(None, source, problems)
    data = _Converter(source, problems).convert(nodes[0], ())
    return LoadedYaml(data, source, problems)


def _compose_all(text: str) -> Iterator[yaml.Node]:
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()


def _position(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _syntax_problem(error: yaml.MarkedYAMLError) -> LoadProblem:
    mark = error.problem_mark or error.context_mark
    if "<stream end>" in str(error.problem) and error.context_mark is not None:
        mark = error.context_mark  # the end of the file says less than where the construct began
    where = _position(mark) if mark is not None else (1, 1)
    detail = " ".join(part for part in (error.context, error.problem) if part)
    return LoadProblem(where, f"YAML syntax error: {detail or error}")


class _Converter:
    """Turns composed nodes into dicts, lists and scalars, recording positions on the way."""

    def __init__(self, source: SourceMap, problems: list[LoadProblem]) -> None:
        self.source = source
        self.problems = problems
        self.open: set[int] = set()  # nodes being converted: an alias to one of them is a cycle

    def convert(self, node: yaml.Node, path: JsonPath) -> Any:
        self.source.values.setdefault(path, _position(node.start_mark))
        self._check_tag(node, path)
        if id(node) in self.open:
            message = "a YAML alias refers to the node that contains it (a cycle)"
            self.problems.append(LoadProblem(_position(node.start_mark), message, path))
            return None
        self.open.add(id(node))
        try:
            return self._convert_node(node, path)
        finally:
            self.open.discard(id(node))

    def _convert_node(self, node: yaml.Node, path: JsonPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Position] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            here = _position(key_node.start_mark)
            if key in first_seen:
                self._duplicate(key, here, first_seen[key], (*path, key))
                continue
            first_seen[key] = here
            self.source.keys[(*path, key)] = here
            result[key] = self.convert(value_node, (*path, key))
        return result

    def _key(self, node: yaml.Node, path: JsonPath) -> str | None:
        value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(value, str) and node.tag != _STANDARD_TAG + "merge":
            return value
        what = "merge keys (<<)" if node.tag == _STANDARD_TAG + "merge" else "non-string keys"
        self.problems.append(
            LoadProblem(_position(node.start_mark), f"{what} are not supported here", path)
        )
        return None

    def _duplicate(self, key: str, here: Position, first: Position, path: JsonPath) -> None:
        # PyYAML keeps the last of two equal keys silently; a second `severity:` condition would
        # then replace the first without a word. Reject it instead.
        message = f"duplicate key '{key}' (first written at line {first[0]})"
        self.problems.append(LoadProblem(here, message, path))

    def _check_tag(self, node: yaml.Node, path: JsonPath) -> None:
        if not node.tag.startswith(_STANDARD_TAG):
            message = f"YAML tag {node.tag} is not supported"
            self.problems.append(LoadProblem(_position(node.start_mark), message, path))


def _scalar(node: yaml.ScalarNode) -> Any:
    text: str = node.value
    if node.style is not None:
        return text  # quoted or block: always a string (explicit tags such as !!str are ignored)
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text, 10)
    if _FLOAT.match(text):
        return float(text)
    return text
