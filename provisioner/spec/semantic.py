"""Checks within one spec file that JSON Schema cannot express: each kind's (provisioner.spec.kinds)
and those every entry shares (its home, the file's tags)."""

from __future__ import annotations

from collections.abc import Sequence

from provisioner.errors import SpecProblem
from provisioner.spec import kinds as spec_kinds
from provisioner.spec.behaviour.common import Flagged, check_tag_names
from provisioner.spec.document import SpecDocument
from provisioner.spec.entries import Entry, called, entries, home
from provisioner.spec.yaml_loader import JsonPath

__all__ = ["check_document", "entries"]


def check_document(doc: SpecDocument, flagged: Sequence[JsonPath]) -> list[SpecProblem]:
    """Semantic problems of one document, except those about values the schema flagged.

    Every check runs on every entry, so that one schema error does not hide the other mistakes
    of its resource; the checks therefore tolerate values of any type.
    """
    flags = Flagged(frozenset(flagged))
    problems = list(check_tag_names(doc, ("tags",), doc.data.get("tags")))
    for section, index, entry in entries(doc):
        path: JsonPath = (section, index)
        spec_kind = spec_kinds.of_section(section)
        problems += _check_home(doc, path, entry, flags, spec_kind)
        problems += spec_kind.check(doc, path, entry, flags)
    return [problem for problem in problems if not flags.covers_problem(problem)]


def _check_home(
    doc: SpecDocument, path: JsonPath, entry: Entry, flags: Flagged, spec_kind: spec_kinds.SpecKind
) -> list[SpecProblem]:
    name = called(spec_kind.kind.label, entry)
    needed = spec_kind.home_keys(entry)
    problems = []
    for key, value in zip(("subscription", "resourceGroup"), home(doc, entry), strict=True):
        if key not in needed:
            continue
        if value is None and not flags.any_of([(*path, key), (key,)]):  # else already said
            message = f"{name} has no {key}: set '{key}' on it or at the top of the file"
            problems.append(doc.problem(path, message))
    return problems
