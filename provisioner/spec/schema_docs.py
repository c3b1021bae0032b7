"""Render the spec schema's descriptions as a Markdown reference (docs/spec-reference.md)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from provisioner.spec.schema_check import schema

Node = Mapping[str, Any]

COMMAND: Final = (
    "make docs"  # runs `python -m provisioner.spec.schema_docs > docs/spec-reference.md`
)
HEADER: Final = (
    "<!-- Generated from schemas/alertsync.schema.json by `make docs`; do not edit by hand. -->\n"
    "> Generated from [`schemas/alertsync.schema.json`](../schemas/alertsync.schema.json) by "
    f"`{COMMAND}` (`python -m provisioner.spec.schema_docs`); do not edit by hand.\n"
)
ROOT: Final = "#"
# Headings for the $defs that are object types; any other def gets its name, humanised.
TITLES: Final[dict[str, str]] = {
    ROOT: "File level",
    "tags": "Tags",
    "actionGroup": "Action group",
    "emailReceiver": "Email receiver",
    "smsReceiver": "SMS receiver",
    "webhookReceiver": "Webhook receiver",
    "armRoleReceiver": "ARM role receiver",
    "alertProcessingRule": "Alert processing rule",
    "scope": "Scope forms",
    "conditions": "Conditions",
    "conditionEqualityOnly": "Condition (equality operators)",
    "condition": "Condition (all operators)",
    "schedule": "Schedule",
    "recurrence": "Recurrence",
    "vault": "Vault",
}
_DEF_PREFIX: Final = "#/$defs/"
_COLUMNS: Final = ("Key", "Type", "Required", "Default", "Description")


@dataclass(slots=True)
class Section:
    """One object type: a $def or an inline object, and the YAML paths it appears at."""

    key: str  # ROOT, a $defs name, or the YAML path of an inline object
    title: str
    body: Node
    paths: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


# --- schema navigation ------------------------------------------------------------------------


def _def_name(node: Node) -> str | None:
    ref = node.get("$ref")
    return ref.removeprefix(_DEF_PREFIX) if isinstance(ref, str) else None


def _resolve(node: Node, defs: Node) -> Node:
    """The node with its $ref merged in; the node's own keywords (its description) win."""
    name = _def_name(node)
    if name is None:
        return node
    own = {k: v for k, v in node.items() if k != "$ref"}
    return {**_resolve(defs[name], defs), **own}


def _object_branch(node: Node) -> Node | None:
    """The mapping form of a oneOf (a condition's operators, a scope mapping), if any."""
    for branch in node.get("oneOf", ()):
        if "properties" in branch:
            return dict(branch)
    return None


def _is_map(node: Node) -> bool:
    return isinstance(node.get("additionalProperties"), dict) or "propertyNames" in node


def _is_section(node: Node) -> bool:
    return "properties" in node or _is_map(node) or _object_branch(node) is not None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _humanise(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize()


def _title(name: str | None, path: str, parent: str) -> str:
    """A $def's title, or for an inline object its parent's title and its key."""
    if name:
        return TITLES.get(name, _humanise(name))
    return f"{parent}: `{path.rsplit('.', maxsplit=1)[-1]}`"


# --- discovery: every object type, in the schema's property order -----------------------------


@dataclass(slots=True)
class _Walker:
    defs: Node
    sections: dict[str, Section] = field(default_factory=dict)

    def walk(self, node: Node, path: str, parent: str) -> None:
        name, resolved = _def_name(node), _resolve(node, self.defs)
        if not _is_section(resolved):
            self.descend(resolved, path, parent)
            return
        key = name or path
        if key in self.sections:
            self.sections[key].paths.append(path)
            return
        body = self.defs[name] if name else resolved
        title = _title(name, path, parent)
        self.sections[key] = Section(key, title, body, [path])
        self.descend(body, path, title)

    def descend(self, node: Node, path: str, parent: str) -> None:
        for key, child in node.get("properties", {}).items():
            self.walk(child, _join(path, key), parent)
        if isinstance(node.get("items"), dict):
            self.walk(node["items"], f"{path}[]", parent)
        for branch in node.get("oneOf", ()):
            (self.descend if "properties" in branch else self.walk)(branch, path, parent)


def sections(schema: Node) -> list[Section]:
    """Every object type of the schema, depth first in property order, the file level first."""
    walker = _Walker(schema.get("$defs", {}))
    walker.sections[ROOT] = Section(ROOT, TITLES[ROOT], schema, [""])
    walker.descend(schema, "", TITLES[ROOT])
    return list(walker.sections.values())


# --- type column ------------------------------------------------------------------------------


def _code(text: object) -> str:
    return f"`{text}`"


def _range(low: object, high: object, unit: str) -> str | None:
    if low is not None and high is not None:
        return f"{low}-{high}{unit}s" if unit else f"{low}-{high}"
    if low is not None:
        return f"at least {low}{_plural(low, unit)}"
    return f"at most {high}{_plural(high, unit)}" if high is not None else None


def _plural(count: object, unit: str) -> str:
    return unit if count == 1 or not unit else f"{unit}s"


def _constraints(node: Node) -> Iterator[str]:
    for text in (
        _range(node.get("minLength"), node.get("maxLength"), " character"),
        _range(node.get("minimum"), node.get("maximum"), ""),
        _range(node.get("minItems"), node.get("maxItems"), " item"),
    ):
        if text:
            yield text
    if node.get("uniqueItems"):
        yield "no duplicates"
    if "pattern" in node:
        yield f"pattern {_code(node['pattern'])}"


@dataclass(frozen=True, slots=True)
class _Types:
    defs: Node
    by_key: Mapping[str, Section]

    def link(self, node: Node, path: str) -> str | None:
        section = self.by_key.get(_def_name(node) or path)
        if section is None or not _is_section(_resolve(node, self.defs)):
            return None
        return f"[{section.title}](#{section.anchor})"

    def text(self, node: Node, path: str) -> str:
        linked = self.link(node, path)
        if linked:
            return linked
        resolved = _resolve(node, self.defs)
        if "oneOf" in resolved:
            return " or ".join(self.text(b, path) for b in resolved["oneOf"])
        return ", ".join([self._base(resolved, path), *_constraints(resolved)])

    def _base(self, node: Node, path: str) -> str:
        if "enum" in node and len(node["enum"]) == 1:
            return _code(node["enum"][0])
        if "enum" in node:
            return "one of " + " \\| ".join(_code(v) for v in node["enum"])
        if node.get("type") == "array":
            item = self.text(node.get("items", {}), f"{path}[]")
            return f"list of ({item})" if "," in item else f"list of {item}"
        return str(node.get("type", "mapping" if "properties" in node else "any"))


# --- rendering --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Table-safe: one line, pipes escaped (also inside code spans, as GFM tables require)."""
    return re.sub(r"(?<!\\)\|", r"\\|", _prose(text))


def _prose(text: str) -> str:
    """One line; outside code spans `<` is escaped so that `<owner>` is not taken for HTML."""
    parts = " ".join(text.split()).split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _operators(node: Node) -> str:
    branch = _object_branch(node)
    return ", ".join(_code(k) for k in branch["properties"]) if branch else ""


def _property_rows(body: Node, path: str, types: _Types) -> list[list[str]]:
    required = set(body.get("required", ()))
    rows = []
    for key, prop in body.get("properties", {}).items():
        resolved = _resolve(prop, types.defs)
        default = _code(json.dumps(resolved["default"])) if "default" in resolved else "—"
        rows.append(
            [
                _code(key),
                _escape(types.text(prop, _join(path, key))),
                "yes" if key in required else "no",
                default,
                _escape(resolved.get("description", "")),
                _operators(resolved),
            ]
        )
    return rows


def _map_rows(body: Node, path: str, types: _Types) -> list[list[str]]:
    rows = []
    for label, node in (
        ("*name*", body.get("propertyNames")),
        ("*value*", body.get("additionalProperties")),
    ):
        if isinstance(node, dict):
            text = _escape(types.text(node, f"{path}.<{label.strip('*')}>"))
            rows.append([label, text, "—", "—", _escape(node.get("description", "")), ""])
    return rows


def _table(rows: list[list[str]]) -> list[str]:
    with_operators = any(row[-1] for row in rows)
    columns = [*_COLUMNS, "Operators"] if with_operators else list(_COLUMNS)
    lines = [_row(columns), _row(["---"] * len(columns))]
    return lines + [_row(row if with_operators else row[:-1]) for row in rows]


def _notes(body: Node) -> Iterator[str]:
    low, high = body.get("minProperties"), body.get("maxProperties")
    if low == 1 and high == 1:
        yield "Exactly one key."
    elif low == 1:
        yield "At least one key."
    if high is not None and high != 1:
        yield f"At most {high} entries."
    for key, needs in body.get("dependentRequired", {}).items():
        yield f"{_code(key)} requires {', '.join(_code(n) for n in needs)}."


def _forms(body: Node, path: str, types: _Types) -> list[str]:
    """A oneOf's forms as a list: each form's type and description."""
    lines = ["One of:", ""]
    for branch in body["oneOf"]:
        resolved = _resolve(branch, types.defs)
        kind = "a mapping, keys below" if "properties" in branch else types.text(branch, path)
        lines.append(f"- {kind}: {_prose(resolved.get('description', ''))}")
    return [*lines, ""]


def _used_at(section: Section) -> str:
    places = ", ".join(_code(p) for p in section.paths if p)
    return f"Used at: {places}." if places else "The top level of every spec file."


def render_section(section: Section, types: _Types) -> list[str]:
    """One section: heading, where it is used, description, forms, notes, the table."""
    body, path = section.body, section.paths[0]
    lines = [f"## {section.title}", "", _used_at(section), ""]
    lines += [_prose(body.get("description", "")), ""]
    table_body = _object_branch(body) if "oneOf" in body else body
    if "oneOf" in body:
        lines += _forms(body, path, types)
    notes = list(_notes(table_body or {}))
    lines += [" ".join(notes), ""] if notes else []
    if _is_map(body):
        return lines + _table(_map_rows(body, path, types)) + [""]
    return lines + _table(_property_rows(table_body or {}, path, types)) + [""]


def _contents(found: list[Section]) -> list[str]:
    return [f"- [{s.title}](#{s.anchor})" for s in found] + [""]


def render(schema: Node) -> str:
    """The whole reference: header, introduction, contents, one section per object type."""
    found = sections(schema)
    types = _Types(schema.get("$defs", {}), {s.key: s for s in found})
    lines = [HEADER, "# alertsync spec reference", ""]
    lines += [
        f"{schema.get('title', '')}: every key, its type, whether it is required, its default and "
        "what it means, from the schema's descriptions. Unknown keys are errors everywhere. The "
        "guide, with the YAML rules and the checks across files, is "
        "[`spec-language.md`](spec-language.md).",
        "",
    ]
    lines += _contents(found)
    for section in found:
        lines += render_section(section, types)
    return "\n".join(lines).rstrip("\n") + "\n"


# --- checks -----------------------------------------------------------------------------------


def undocumented(schema: Node, pointer: str = "") -> list[str]:
    """JSON pointers of every property, $def, tag name or value schema without a description."""
    missing: list[str] = []
    named = [(f"{pointer}/properties/{k}", v) for k, v in schema.get("properties", {}).items()]
    named += [(f"{pointer}/$defs/{k}", v) for k, v in schema.get("$defs", {}).items()]
    named += [
        (f"{pointer}/{k}", schema[k])
        for k in ("propertyNames", "additionalProperties")
        if isinstance(schema.get(k), dict)
    ]
    for where, node in named:
        if not str(node.get("description", "")).strip():
            missing.append(where)
    for where, node in _children(schema, pointer):
        missing += undocumented(node, where)
    return missing


def _children(schema: Node, pointer: str) -> Iterator[tuple[str, Node]]:
    for key, value in schema.items():
        if isinstance(value, dict) and key not in ("const", "default", "dependentRequired"):
            yield f"{pointer}/{key}", value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield f"{pointer}/{key}/{i}", item


def main() -> None:
    """`python -m provisioner.spec.schema_docs`: print the reference for the published schema."""
    sys.stdout.write(render(schema()))


if __name__ == "__main__":
    main()
