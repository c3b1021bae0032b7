"""Exported spec files checked as `validate` checks them: which resources it would refuse, and why."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

from provisioner.errors import AlertsyncError, SpecProblem
from provisioner.ids import ResourceId
from provisioner.kinds import KINDS
from provisioner.spec import desired
from provisioner.spec.document import SpecDocument, format_json_path
from provisioner.spec.files import validate_document
from provisioner.spec.yaml_loader import load_yaml

_SECTIONS: Final = "|".join(re.escape(kind.section) for kind in KINDS)
_ENTRY: Final = re.compile(rf"^\$\.({_SECTIONS})\[(\d+)\]")


class Exported(Protocol):
    """An exported file (provisioner.export.build.SpecFile)."""

    @property
    def name(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def ids(self) -> Mapping[str, tuple[ResourceId, ...]]: ...


def refused_entries(files: Sequence[Exported]) -> dict[ResourceId, str]:
    """The resources whose entries the spec checks refuse, each with the first reason given.

    A problem outside every entry would make the whole export unusable: that is a bug of the
    export itself, reported as an error rather than written into files that fail `validate`.
    """
    checked = [_checked(file) for file in files]
    documents = [document for document, _ in checked if document is not None]
    problems = [problem for _, found in checked for problem in found]
    problems += desired.check_across(documents, env=None)[1]
    by_name = {f.name: f for f in files}
    refused: dict[ResourceId, str] = {}
    for problem in problems:
        rid = _resource_of(problem, by_name[problem.path])
        refused.setdefault(rid, f"{problem.message} at {problem.json_path}")
    return refused


def _checked(file: Exported) -> tuple[SpecDocument | None, list[SpecProblem]]:
    loaded = load_yaml(file.text)
    problems = [
        SpecProblem(file.name, *p.position, p.message, format_json_path(p.json_path))
        for p in loaded.problems
    ]
    data: Any = loaded.data
    if not isinstance(data, dict):
        return None, problems or [SpecProblem(file.name, 1, 1, "not a mapping")]
    document, found = validate_document(SpecDocument(file.name, data, loaded.source))
    return document, problems + found


def _resource_of(problem: SpecProblem, file: Exported) -> ResourceId:
    match = _ENTRY.match(problem.json_path)
    ids = file.ids.get(match[1], ()) if match else ()
    if match is None or int(match[2]) >= len(ids):
        raise AlertsyncError(
            f"export wrote {file.name} that does not validate ({problem}); this is a bug in "
            "alertsync: please report it with the resource this line came from"
        )
    return ids[int(match[2])]
