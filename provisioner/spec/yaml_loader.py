"""Parse one YAML spec file into plain data plus the line/column of every key and value."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

try:
    from yaml._yaml import CParser as _LibyamlParser

    _LIBYAML: type[Any] | None = _LibyamlParser
except ImportError:  # PyYAML built without libyaml: every text takes the careful reader
    _LIBYAML = None

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
_STR, _INT_TAG, _FLOAT_TAG = (_STANDARD_TAG + kind for kind in ("str", "int", "float"))
_BOOL_TAG, _NULL_TAG, _MERGE = (_STANDARD_TAG + kind for kind in ("bool", "null", "merge"))
_SEQ, _MAP = _STANDARD_TAG + "seq", _STANDARD_TAG + "map"
# The tag of a plain scalar written without one: resolved below by the YAML 1.2 core schema,
# never by PyYAML's 1.1 resolver.
_PLAIN = "tag:alertsync,2026:plain"
# The tags of YAML 1.2's core schema, which a spec may write explicitly (`!!str 123` is the
# text "123"). Any other (`!!binary`, `!!set`, `!!python/object/apply:…`, `!custom`) is refused:
# a spec is plain data, and a tag alertsync ignored would change what the value means.
_SCALAR_TAGS = frozenset({_PLAIN, _STR, _INT_TAG, _FLOAT_TAG, _BOOL_TAG, _NULL_TAG})
_NODE_TAGS: dict[type[yaml.Node], frozenset[str]] = {
    yaml.ScalarNode: _SCALAR_TAGS,
    yaml.SequenceNode: frozenset({_SEQ}),
    yaml.MappingNode: frozenset({_MAP}),
}

# Specs nest about six levels deep; far deeper input is a mistake or an attack, and PyYAML's
# composer (like the checks after it) recurses once per level: 900 levels of `[` would end in a
# RecursionError. Counted on the expanded tree, so chains of aliases are held to it too.
MAX_DEPTH = 64
# Values an alias may add to one document, summed over all aliases. Without a budget, ten levels
# of ten aliases (a 534-byte "billion laughs") expand to 10**10 values and exhaust memory.
MAX_ALIAS_VALUES = 100_000


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


def load_yaml(text: str, *, fast: bool = True) -> LoadedYaml:
    """Parse text as exactly one YAML document; never raises for bad input.

    `fast` reads plain text with libyaml when PyYAML has it (the outcome is the same, tested
    in tests/test_yaml_fast.py); False always takes the careful pure-Python reader.
    """
    source = SourceMap()
    problems: list[LoadProblem] = []
    nodes = _compose_nodes(text, fast)
    if isinstance(nodes, LoadProblem):
        return LoadedYaml(None, source, [nodes])
    if len(nodes) > 1:
        second = _position(nodes[1].start_mark)
        problems.append(
            LoadProblem(
                second, "one YAML document per file: split this second document into a file"
            )
        )
    if not nodes:
        return LoadedYaml(None, source, problems)
    converter = _Converter(source, problems)
    try:
        data = converter.convert(nodes[0], ())
    except _Refused as error:  # half a document would only produce misleading schema errors
        return LoadedYaml(None, source, [*problems, error.problem])
    if converter.unreadable:  # a value it could not read: its type complaints would mislead
        return LoadedYaml(None, source, problems)
    return LoadedYaml(data, source, problems)


def _compose_nodes(text: str, fast: bool) -> list[yaml.Node] | LoadProblem:
    """The documents' node trees, or why the text cannot be read as YAML at all."""
    if fast:
        nodes = _compose_fast(text)
        if nodes is not None:
            return nodes
    try:
        return list(_compose_all(text))
    except _Refused as error:
        return error.problem
    except yaml.MarkedYAMLError as error:
        return _syntax_problem(error)
    except yaml.reader.ReaderError as error:
        return _unreadable_character(text, error)
    except yaml.YAMLError as error:
        return LoadProblem((1, 1), f"cannot read YAML: {error}")


class _Refused(Exception):
    """The document is too deep or expands too much to be read at all."""

    def __init__(self, problem: LoadProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _too_deep(mark: yaml.Mark, path: JsonPath = ()) -> _Refused:
    message = f"values are nested more than {MAX_DEPTH} levels deep; a spec needs fewer than 10"
    return _Refused(LoadProblem(_position(mark), message, path))


class _AliasNode(yaml.Node):
    """Where an alias (`*name`) was written, standing for the node its anchor names.

    PyYAML hands back the anchored node itself, losing the alias's position: a resource
    duplicated through an alias would be reported at the anchor, and an over-large expansion
    could not be pinned on the alias that causes it.
    """

    def __init__(self, target: yaml.Node, anchor: str, mark: yaml.Mark) -> None:
        super().__init__(target.tag, target.value, mark, mark)
        self.target = target
        self.anchor = anchor


class _SpecComposer(yaml.SafeLoader):
    """The careful reader: PyYAML's pure-Python scanner, whose errors alertsync words; keeps
    alias positions and refuses nesting deeper than MAX_DEPTH."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            target = super().compose_node(parent, index)
            assert target is not None  # PyYAML returns the anchored node or raises
            mark = event.start_mark
            assert isinstance(mark, yaml.Mark)  # the pure-Python scanner always sets one
            return _AliasNode(target, str(event.anchor), mark)
        if self.depth >= MAX_DEPTH:
            raise _too_deep(event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_scalar_node(self, anchor: Any) -> yaml.ScalarNode:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        node = super().compose_scalar_node(anchor)
        node.tag = _scalar_tag(event.tag, node.style)
        return node


def _scalar_tag(written: str | None, style: str | None) -> str:
    """The tag a scalar was written with; a plain one without a tag is resolved later.

    `!` (the non-specific tag) makes a scalar text, as the YAML spec says; PyYAML would resolve
    `! 123` to an integer.
    """
    if written is None:
        return _PLAIN if style is None else _STR
    return _STR if written == "!" else written


def _compose_fast(text: str) -> list[yaml.Node] | None:
    """The documents' node trees read by libyaml's C scanner and parser (about ten times
    faster), or None when the careful reader must read the text: it then says what it always
    says, errors and positions included.

    The trees are the careful reader's (tests/test_yaml_fast.py compares them); only text both
    scanners read alike is tried (`_fast_candidate`), and anything unusual gives up: anchors and
    aliases (whose positions the careful reader keeps), nesting past MAX_DEPTH, every error.
    """
    if _LIBYAML is None or not _fast_candidate(text):
        return None
    parser = _LIBYAML(text)
    try:
        return _FastComposer(parser).documents()
    except Exception:  # any trouble at all: the careful reader reads it and decides
        return None
    finally:
        parser.dispose()


# Where libyaml and PyYAML's scanner disagree (tabs: libyaml takes `key:<TAB>value`, PyYAML
# refuses it) or where only the careful reader words the outcome exactly (a control character,
# a directive): such text is left to the careful reader.
_NOT_FAST = re.compile(
    r"[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]|^%|[|>][-+0-9]*#|[?]",
    re.MULTILINE,
)


def _fast_candidate(text: str) -> bool:
    # At the end of a text without a final line break, libyaml places empty values elsewhere.
    return text.endswith("\n") and _NOT_FAST.search(text) is None


class _Unusual(Exception):
    """Text the fast reader leaves to the careful one."""


class _FastComposer:
    """Nodes straight from libyaml's events, tagged as _SpecComposer tags them.

    Events and their marks are libyaml's own classes (marks with the same line and column as
    PyYAML's), hence typed Any here.
    """

    def __init__(self, parser: Any) -> None:
        self.next_event: Callable[[], Any] = parser.get_event

    def documents(self) -> list[yaml.Node]:
        found: list[yaml.Node] = []
        self.next_event()  # the stream's start
        while not isinstance(self.next_event(), yaml.StreamEndEvent):  # a document's start
            found.append(self.node(self.next_event(), 0))
            self.next_event()  # the document's end
        return found

    def node(self, event: Any, depth: int) -> yaml.Node:
        if event.anchor is not None or depth >= MAX_DEPTH:  # an alias has an anchor too
            raise _Unusual
        kind = type(event)
        if kind is yaml.ScalarEvent:
            style = event.style or None  # libyaml says '' for plain, PyYAML None
            if style is None and not event.value:
                raise _Unusual  # an empty value: libyaml may place it a column further on
            tag = _scalar_tag(event.tag, style)
            return yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style)
        if kind is yaml.SequenceStartEvent:
            items: list[yaml.Node] = []
            while type(end := self.next_event()) is not yaml.SequenceEndEvent:
                items.append(self.node(end, depth + 1))
            tag, closed_at = _collection_tag(event.tag, _SEQ), _libyaml_mark(end.end_mark)
            return yaml.SequenceNode(tag, items, event.start_mark, closed_at, event.flow_style)
        if kind is yaml.MappingStartEvent:
            pairs: list[tuple[yaml.Node, yaml.Node]] = []
            while type(last := self.next_event()) is not yaml.MappingEndEvent:
                key = self.node(last, depth + 1)
                pairs.append((key, self.node(self.next_event(), depth + 1)))
            tag, closed_at = _collection_tag(event.tag, _MAP), _libyaml_mark(last.end_mark)
            return yaml.MappingNode(tag, pairs, event.start_mark, closed_at, event.flow_style)
        raise _Unusual


def _libyaml_mark(mark: Any) -> Any:
    """libyaml's Mark, with the line and column PyYAML's would have: passed where PyYAML's
    stubs expect their own Mark class (the types differ, the fields read are the same)."""
    return mark


def _collection_tag(written: str | None, default: str) -> str:
    return default if written is None or written == "!" else written


def _compose_all(text: str) -> Iterator[yaml.Node]:
    loader = _SpecComposer(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                yield node
    finally:
        loader.dispose()


def _position(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _unreadable_character(text: str, error: yaml.reader.ReaderError) -> LoadProblem:
    """A character YAML forbids (a control character), at its line and column."""
    before = text[: error.position]
    line = before.count("\n") + 1
    column = error.position - (before.rfind("\n") + 1) + 1
    code = int(error.character)
    message = (
        f"character U+{code:04X} is not allowed in YAML; "
        f"inside double quotes, write it as the escape \\x{code:02x}"
        if code < 0x100
        else f"character U+{code:04X} is not allowed in YAML"
    )
    return LoadProblem((line, column), message)


# PyYAML reads a plain key only up to this many characters, then gives up on finding its colon.
_MAX_SIMPLE_KEY = 1024


def _syntax_problem(error: yaml.MarkedYAMLError) -> LoadProblem:
    mark = error.problem_mark or error.context_mark
    if _at_the_end(error) and error.context_mark is not None:
        mark = error.context_mark  # the end of the file says less than where the construct began
    where = _position(mark) if mark is not None else (1, 1)
    detail = " ".join(part for part in (error.context, error.problem) if part)
    if "could not find expected ':'" in detail and where[1] > _MAX_SIMPLE_KEY:
        detail += f" (a key is at most {_MAX_SIMPLE_KEY} characters)"
    return LoadProblem(where, f"YAML syntax error: {detail or error}")


def _at_the_end(error: yaml.MarkedYAMLError) -> bool:
    problem = str(error.problem)
    return "<stream end>" in problem or "end of stream" in problem


class _Converter:
    """Turns composed nodes into dicts, lists and scalars, recording positions on the way."""

    def __init__(self, source: SourceMap, problems: list[LoadProblem]) -> None:
        self.source = source
        self.problems = problems
        self.reported: set[tuple[Position, str]] = set()
        self.open: set[int] = set()  # nodes being converted: an alias to one of them is a cycle
        self.alias_values = 0  # values added by expanding aliases, against MAX_ALIAS_VALUES
        self.expanding: list[tuple[_AliasNode, JsonPath]] = []  # outermost first
        self.unreadable = False  # a value was refused (a tag, an unreadable number)

    def convert(self, node: yaml.Node, path: JsonPath) -> Any:
        self.source.values.setdefault(path, _position(node.start_mark))
        if len(path) > MAX_DEPTH:  # only reachable through aliases: blame the outermost one
            alias, where = self.expanding[0] if self.expanding else (node, path)
            raise _too_deep(alias.start_mark, where)
        if isinstance(node, _AliasNode):
            return self._expand(node, path)
        if self.expanding:
            self._spend_alias_budget()
        if not self._tag_supported(node, path):
            return None
        self.open.add(id(node))
        try:
            return self._convert_node(node, path)
        finally:
            self.open.discard(id(node))

    def _expand(self, alias: _AliasNode, path: JsonPath) -> Any:
        if id(alias.target) in self.open:
            message = "a YAML alias refers to the node that contains it (a cycle)"
            self._refuse(LoadProblem(_position(alias.start_mark), message, path))
            return None
        self.expanding.append((alias, path))
        try:
            return self.convert(alias.target, path)
        finally:
            self.expanding.pop()

    def _spend_alias_budget(self) -> None:
        self.alias_values += 1
        if self.alias_values > MAX_ALIAS_VALUES:
            culprit, where = self.expanding[0]  # the alias written where the expansion starts
            message = (
                f"alias *{culprit.anchor} makes aliases expand to more than {MAX_ALIAS_VALUES} "
                "values in this file (aliases of aliases multiply); write fewer nested aliases"
            )
            raise _Refused(LoadProblem(_position(culprit.start_mark), message, where))

    def _convert_node(self, node: yaml.Node, path: JsonPath) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _scalar(self, node: yaml.ScalarNode, path: JsonPath) -> Any:
        try:
            return _scalar(node)
        except _Unreadable as error:
            self._refuse(LoadProblem(_position(node.start_mark), str(error), path))
            return None

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
        if isinstance(node, _AliasNode):
            node = node.target
        if _is_merge_key(node):
            problem = LoadProblem(
                _position(node.start_mark), "merge keys (<<) are not supported here", path
            )
            self._report(problem)
            return None
        if not self._tag_supported(node, path):
            return None
        try:
            value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
        except _Unreadable as error:
            self._refuse(LoadProblem(_position(node.start_mark), str(error), path))
            return None
        if isinstance(value, str):
            return value
        where = _position(node.start_mark)
        self._report(LoadProblem(where, "non-string keys are not supported here", path))
        return None

    def _duplicate(self, key: str, here: Position, first: Position, path: JsonPath) -> None:
        # PyYAML keeps the last of two equal keys silently; a second `severity:` condition would
        # then replace the first without a word. Reject it instead.
        message = f"duplicate key '{key}' (first written at line {first[0]})"
        self._report(LoadProblem(here, message, path))

    def _tag_supported(self, node: yaml.Node, path: JsonPath) -> bool:
        if node.tag in _NODE_TAGS.get(type(node), frozenset()):
            return True
        message = (
            f"YAML tag {_short_tag(node.tag)} is not supported: specs are plain data "
            "(only !!str, !!int, !!float, !!bool and !!null may be written)"
        )
        self._refuse(LoadProblem(_position(node.start_mark), message, path))
        return False

    def _refuse(self, problem: LoadProblem) -> None:
        """A value that cannot be read: reported, and the document is not used."""
        self.unreadable = True
        self._report(problem)

    def _report(self, problem: LoadProblem) -> None:
        """Each problem once: every alias of an anchored node converts its text again, and
        would say the same thing about the same place once per alias (tens of thousands of
        lines for a few hundred bytes)."""
        written_at = (problem.position, problem.message)
        if written_at not in self.reported:
            self.reported.add(written_at)
            self.problems.append(problem)


class _Unreadable(Exception):
    """A scalar whose text cannot be the value its tag (or its look) says; says why."""


def _short_tag(tag: str) -> str:
    """`!!str` for the standard tags, as people write them; others as written."""
    return "!!" + tag.removeprefix(_STANDARD_TAG) if tag.startswith(_STANDARD_TAG) else tag


def _is_merge_key(node: yaml.Node) -> bool:
    plain_merge = node.tag == _PLAIN and node.value == "<<"
    return isinstance(node, yaml.ScalarNode) and (plain_merge or node.tag == _MERGE)


def _scalar(node: yaml.ScalarNode) -> Any:
    text: str = node.value
    if node.tag == _PLAIN:
        return _plain(text)
    if node.tag == _STR:
        return text
    value = _plain(text)  # an explicit !!int, !!float, !!bool or !!null: its text must fit it
    fits = {
        _INT_TAG: isinstance(value, int) and not isinstance(value, bool),
        _FLOAT_TAG: isinstance(value, int | float) and not isinstance(value, bool),
        _BOOL_TAG: isinstance(value, bool),
        _NULL_TAG: value is None,
    }
    if not fits[node.tag]:
        raise _Unreadable(f"{text!r} is not a value of YAML tag {_short_tag(node.tag)}")
    return float(value) if node.tag == _FLOAT_TAG else value


# The first characters a null, bool, int or float can start with: any other plain scalar is text
# (most of a spec: names, IDs, addresses), known without trying four patterns.
_NOT_TEXT_START = frozenset("~nNtTfF+-.0123456789")


def _plain(text: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema."""
    if text and text[0] not in _NOT_TEXT_START:
        return text
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text.lower() == "true"
    if _INT.match(text):
        return _integer(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def _integer(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:  # Python refuses to convert more than 4,300 digits (a DoS guard)
        digits = len(text.lstrip("+-"))
        raise _Unreadable(
            f"a number of {digits} digits is too long to be a value here; "
            "if it is text, put it in quotes"
        ) from None
