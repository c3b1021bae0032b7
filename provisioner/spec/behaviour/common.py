"""What the spec checks of every kind share: flagged paths, tags and bidirectional characters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from provisioner.errors import SpecProblem
from provisioner.model import OWNERSHIP_TAGS
from provisioner.spec.document import SpecDocument, format_json_path, is_at_or_under
from provisioner.spec.entries import Entry, mapping
from provisioner.spec.schema_check import visible
from provisioner.spec.yaml_loader import JsonPath

MAX_TAGS = 50  # per resource, Azure's limit (tag-resources.md), ownership tags included


@dataclass(frozen=True)
class Flagged:
    """The paths the schema already reported: their values may have any type, or be missing."""

    paths: frozenset[JsonPath]

    def covers(self, path: JsonPath) -> bool:
        """True when path is at or under a flagged path."""
        return any(path[: len(flagged)] == flagged for flagged in self.paths)

    def covers_problem(self, problem: SpecProblem) -> bool:
        """True when the problem is about a flagged value: the schema's message already says it."""
        return any(is_at_or_under(problem.json_path, format_json_path(f)) for f in self.paths)

    def any_of(self, paths: Iterable[JsonPath]) -> bool:
        return any(self.covers(path) for path in paths)


# Unicode's Bidi_Control characters: they reorder the text around them, so a name can show a
# reviewer (in a diff, a plan, the portal) something else than it is ("Trojan Source").
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def check_bidi(
    doc: SpecDocument, names: Iterable[tuple[JsonPath, object]]
) -> Iterator[SpecProblem]:
    for where, name in names:
        found = _BIDI_CONTROLS.search(name) if isinstance(name, str) else None
        if found and isinstance(name, str):
            code = ord(found.group())
            label = where[-1] if where[-1] in ("name", "shortName") else "tag name"
            message = (
                f"{label} '{visible(name)}' holds U+{code:04X} "
                f"({unicodedata.name(found.group())}), a bidirectional control character: "
                "reviewers would see the text around it reordered; remove it"
            )
            yield doc.problem(where, message, at_key=label == "tag name")


def check_tags(doc: SpecDocument, path: JsonPath, entry: Entry) -> list[SpecProblem]:
    problems = list(check_tag_names(doc, (*path, "tags"), entry.get("tags")))
    raw = doc.data.get("tags")
    file_tags: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    own = mapping(entry.get("tags"))
    merged = {name.casefold() for name in (*file_tags, *own)}
    if len(merged) + len(OWNERSHIP_TAGS) > MAX_TAGS:
        message = (
            f"{len(merged)} tags with the file's: at most {MAX_TAGS - len(OWNERSHIP_TAGS)} "
            f"(Azure allows {MAX_TAGS} and alertsync adds {len(OWNERSHIP_TAGS)} ownership tags)"
        )
        problems.append(doc.problem((*path, "tags") if own else path, message))
    return problems


def check_tag_names(doc: SpecDocument, path: JsonPath, tags: object) -> Iterator[SpecProblem]:
    names = tags if isinstance(tags, Mapping) else {}
    yield from check_bidi(doc, [((*path, name), name) for name in names])  # tag names
    seen: dict[str, str] = {}
    for name in tags if isinstance(tags, Mapping) else ():
        if name.casefold() in OWNERSHIP_TAGS:
            message = f"tag '{name}' is reserved: alertsync sets it to mark what it manages"
            yield doc.problem((*path, name), message, at_key=True)
        elif seen.setdefault(name.casefold(), name) != name:
            message = f"tags '{seen[name.casefold()]}' and '{name}' differ only in case; Azure treats tag names case-insensitively"
            yield doc.problem((*path, name), message, at_key=True)
