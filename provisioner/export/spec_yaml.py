"""Spec documents → YAML text laid out as the docs write specs, reading back the same in YAML 1.1 and 1.2."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, Final

import yaml

from provisioner.kinds import KINDS
from provisioner.spec.yaml_loader import load_yaml

# The schema's published $id; the CLI passes a relative path instead when the repo layout is there.
SCHEMA_URL: Final = "https://alertsync.dev/schemas/alertsync.schema.json"
# A mapping or list of scalars about this long at most is written on one line, as in the docs.
_FLOW_WIDTH: Final = 80


class _SpecDumper(yaml.SafeDumper):
    """Block style with lists indented under their key, as the docs write specs."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        # PyYAML writes every printable character as it is, bidi controls and zero-width
        # characters included: a reviewer would see reversed or hidden text. A string holding
        # one is written with every non-ASCII character escaped (`\u202E`), visible and exact.
        if not any(map(_is_invisible, text)):
            super().write_double_quoted(text, split)
            return
        self.allow_unicode = False
        try:
            super().write_double_quoted(text, split)
        finally:
            self.allow_unicode = True


class _Flow(dict[str, Any]):
    """A mapping written on one line: `{name: oncall, address: oncall@example.com}`."""


class _FlowList(list[Any]):
    """A list of scalars written on one line: `[Sev1, Sev2]`."""


_STR_TAG: Final = "tag:yaml.org,2002:str"
_TIME_LIKE: Final = re.compile(r"^[0-9][0-9:T.-]*:[0-9:T.-]*$")
# Sections a reviewer reads line by line, whatever their size.
_ALWAYS_BLOCK: Final = frozenset({"conditions", "schedule"})


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int)


def _is_leaf(value: Any) -> bool:
    """A scalar or a list of scalars: what fits in a one-line mapping."""
    return _is_scalar(value) or (isinstance(value, list) and all(map(_is_scalar, value)))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(_text, value)) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _width(values: Sequence[Any]) -> int:
    """About how wide `{a: b, c: d}` or `[a, b]` is written (quotes not counted)."""
    return sum(len(_text(v)) for v in values) + 2 * len(values) + 2


def _styled(value: Any, depth: int = 0, key: str = "") -> Any:
    """Mark which mappings and lists to write in flow style: short leaves below an entry."""
    if isinstance(value, list):
        if all(map(_is_scalar, value)) and _width(value) <= _FLOW_WIDTH:
            return _FlowList(value)
        return [_styled(v, depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    styled = {k: _styled(v, depth + 1, k) for k, v in value.items()}
    short = all(map(_is_leaf, value.values())) and _width([*value, *value.values()]) <= _FLOW_WIDTH
    flow = short and (depth >= 3 or key == "tags") and key not in _ALWAYS_BLOCK
    return _Flow(styled) if flow else styled


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


# A word of letters, digits, '_' and '-' that starts with a letter is a plain string in YAML
# 1.1 and 1.2 (their numbers, dates and floats start with a digit, sign or dot) unless it is one
# of these words: most values (names, locations, kinds) need no trial parse.
_PLAIN_WORD: Final = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_KEYWORDS: Final = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


# Unicode categories a reader cannot see (controls, format characters such as bidi overrides
# and zero-width spaces, line and paragraph separators, unassigned and private code points).
_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"})


def _is_invisible(character: str) -> bool:
    """Unseen, or a space that is not the ASCII one (U+00A0 looks the same as U+0020)."""
    category = unicodedata.category(character)
    return category in _INVISIBLE_CATEGORIES or (category == "Zs" and character != " ")


def reads_back(text: str) -> bool:
    """Whether `text` unquoted reads back as this string in YAML 1.1 (PyYAML) and 1.2 (ours).

    Any text may come from Azure (`@team`, `*`, `%`, a tab): what YAML cannot read plain at
    all (a syntax error, an alias, a tag) does not read back either.
    """
    if _PLAIN_WORD.fullmatch(text) and text.lower() not in _KEYWORDS:
        return True
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return bool(parsed == text and load_yaml(text).data == text)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Quote what a YAML 1.1 reader (PyYAML, many editors) or our YAML 1.2 loader would not
    # read back as this text (`1e5` is a number only in 1.2), times of day for humans, and
    # text with characters a reviewer cannot see (written as escapes inside the quotes).
    if not reads_back(data) or _TIME_LIKE.match(data) or any(map(_is_invisible, data)):
        return dumper.represent_scalar(_STR_TAG, data, style='"')
    return dumper.represent_scalar(_STR_TAG, data)


_SpecDumper.add_representer(_Flow, _represent_flow)
_SpecDumper.add_representer(_FlowList, _represent_flow_list)
_SpecDumper.add_representer(str, _represent_str)

_SECTIONS: Final = tuple(f"{kind.section}:" for kind in KINDS)


def to_yaml(document: Mapping[str, Any], schema_ref: str = SCHEMA_URL) -> str:
    """The document as spec YAML: the schema comment first, keys in the given order."""
    body = yaml.dump(
        _styled(dict(document)),
        Dumper=_SpecDumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,  # never fold long values: one value, one line, reviewable diffs
    )
    return f"# yaml-language-server: $schema={schema_ref}\n" + _spaced(body)


def _spaced(body: str) -> str:
    """A blank line before each section and between its entries, as the examples are written."""
    lines: list[str] = []
    for line in body.splitlines():
        new_section = line.startswith(_SECTIONS)
        new_entry = line.startswith("  - ") and not lines[-1].endswith(_SECTIONS)
        if new_section or new_entry:
            lines.append("")
        lines.append(line)
    return "\n".join(lines) + "\n"
