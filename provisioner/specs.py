"""Find spec files, load them with file:line positions, and validate each (schema + semantics)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from provisioner.document import SpecDocument, format_json_path
from provisioner.errors import SpecError, SpecProblem
from provisioner.schema_check import schema_issues
from provisioner.semantic import check_document
from provisioner.yaml_loader import load_yaml

__all__ = ["SPEC_SUFFIXES", "SpecDocument", "check", "find_spec_files", "load"]

log = logging.getLogger(__name__)

SPEC_SUFFIXES = (".yaml", ".yml")


def load(paths: Sequence[Path]) -> list[SpecDocument]:
    """Every spec document under paths, each valid on its own; SpecError lists ALL problems.

    Checks across files (duplicates, references) are desired.build's; run both to validate.
    """
    documents, problems = check(paths)
    if problems:
        raise SpecError(problems)
    return documents


def check(paths: Sequence[Path]) -> tuple[list[SpecDocument], list[SpecProblem]]:
    """Load and validate without raising: the documents that loaded, and every problem found."""
    files, problems = find_spec_files(paths)
    documents: list[SpecDocument] = []
    for file in files:
        document, found = _load_file(file)
        problems += found
        if document is not None:
            documents.append(document)
    log.debug("specs: %d file(s), %d problem(s)", len(files), len(problems))
    return documents, sorted(problems, key=_location)


def find_spec_files(paths: Iterable[Path]) -> tuple[list[Path], list[SpecProblem]]:
    """The *.yaml/*.yml files named or found (recursively, sorted) under paths."""
    files: list[Path] = []
    problems: list[SpecProblem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            if not found:
                problems.append(SpecProblem(str(path), 1, 1, "no spec files (*.yaml, *.yml) here"))
            files += found
        elif path.is_file():
            files.append(path)
        else:
            problems.append(SpecProblem(str(path), 1, 1, "no such file or directory"))
    return list(dict.fromkeys(files)), problems


def _location(problem: SpecProblem) -> tuple[str, int, int]:
    return (problem.path, problem.line, problem.column)


def _load_file(file: Path) -> tuple[SpecDocument | None, list[SpecProblem]]:
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [SpecProblem(name, 1, 1, f"cannot read the file: {error}")]
    loaded = load_yaml(text)
    problems = [
        SpecProblem(name, *p.position, p.message, format_json_path(p.json_path))
        for p in loaded.problems
    ]
    if loaded.data is None and problems:
        return None, problems  # a syntax error already says why there is no data
    if not isinstance(loaded.data, dict):
        where = loaded.source.value_position(())
        return None, [*problems, _shape_problem(name, loaded.data, where)]
    document = SpecDocument(name, loaded.data, loaded.source)
    return document, problems + validate_document(document)


def _shape_problem(name: str, data: object, where: tuple[int, int]) -> SpecProblem:
    if data is None:
        return SpecProblem(
            name, 1, 1, "the file is empty: expected a mapping with apiVersion and owner"
        )
    kind = "a list" if isinstance(data, list) else f"the scalar {data!r}"
    return SpecProblem(
        name, *where, f"the document must be a mapping (apiVersion, owner, …), not {kind}"
    )


def validate_document(document: SpecDocument) -> list[SpecProblem]:
    """The schema's and the semantic checks' problems of one document, each said once."""
    issues = schema_issues(document.data)
    problems = [document.problem(i.path, i.message, at_key=i.at_key) for i in issues]
    # A missing key flags where it belongs, not the whole mapping that lacks it.
    flagged = [(*i.path, i.missing) if i.missing else i.path for i in issues]
    return problems + check_document(document, flagged)
