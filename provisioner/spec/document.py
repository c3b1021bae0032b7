"""SpecDocument: one loaded spec file, its data and where each value was written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provisioner.errors import SpecProblem
from provisioner.spec.yaml_loader import JsonPath, SourceMap

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_json_path(path: JsonPath) -> str:
    """`$.actionGroups[0].tags['cost center']`: the JSONPath of a location in a document."""
    parts = ["$"]
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            parts.append(f".{part}")
        else:
            parts.append("['" + part.replace("'", "\\'") + "']")
    return "".join(parts)


def is_at_or_under(json_path: str, ancestor: str) -> bool:
    """True when the formatted json_path is ancestor itself or lies inside it."""
    return json_path == ancestor or json_path.startswith((ancestor + ".", ancestor + "["))


# File-level keys every entry inherits (or the tags and ownership built from them): a problem
# there makes every entry of the file unusable for checks across files.
INHERITED_KEYS = ("apiVersion", "owner", "subscription", "resourceGroup", "tags")


@dataclass(frozen=True, eq=False)
class SpecDocument:
    """A spec file that parsed as one YAML mapping (not necessarily a valid spec)."""

    path: str  # as shown to the user, e.g. "specs/backup.yaml"
    data: Mapping[str, Any]
    source: SourceMap
    # Entries ((section, index)) with a problem of their own; () when the whole file has one.
    flawed: frozenset[JsonPath] = field(default_factory=frozenset)

    def is_sound(self, entry: JsonPath) -> bool:
        """True when neither the entry nor the file-level values it inherits have a problem."""
        return () not in self.flawed and entry not in self.flawed

    def problem(self, where: JsonPath, message: str, *, at_key: bool = False) -> SpecProblem:
        """A problem located at a value (or at the key naming it) of this document."""
        if at_key:
            line, column = self.source.key_position(where)
        else:
            line, column = self.source.value_position(where)
        return SpecProblem(self.path, line, column, message, format_json_path(where))

    def line_of(self, where: JsonPath) -> int:
        """The line where the key naming `where` (or its value) was written."""
        return self.source.key_position(where)[0]

    def describe(self, where: JsonPath) -> str:
        """`specs/backup.yaml:12`, for messages that point at another place."""
        return f"{self.path}:{self.source.value_position(where)[0]}"

    @property
    def owner(self) -> str:
        return str(self.data["owner"])
