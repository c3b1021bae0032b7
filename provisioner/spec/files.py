"""Find spec files, load them with file:line positions, and validate each (schema + semantics)."""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from provisioner.errors import SpecError, SpecProblem, UnshownProblems
from provisioner.local_files import UnreadableFile, kind_of, read_regular_file, reason
from provisioner.spec.document import INHERITED_KEYS, SpecDocument, format_json_path, is_at_or_under
from provisioner.spec.schema_check import SchemaIssue, schema_issues
from provisioner.spec.semantic import check_document, entries
from provisioner.spec.yaml_loader import JsonPath, load_yaml

__all__ = ["SPEC_SUFFIXES", "SpecDocument", "check", "find_spec_files", "load"]

log = logging.getLogger(__name__)

SPEC_SUFFIXES = (".yaml", ".yml")
# Hundreds of resources fit in well under 1 MiB; a bigger file is a mistake (a log or a dump saved
# as .yaml), and reading it whole would only fill memory before saying so.
MAX_SPEC_BYTES = 8 * 2**20


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
    return documents, sorted_problems(problems)


def find_spec_files(paths: Iterable[Path]) -> tuple[list[Path], list[SpecProblem]]:
    """The *.yaml/*.yml files named or found (recursively, sorted) under paths.

    All or nothing: whatever in the tree cannot be read (a folder without permission, a broken
    or looping symbolic link, a FIFO or device named like a spec) is a problem, never skipped:
    a file left out silently would have `apply --prune` delete everything it declares.
    """
    files: list[Path] = []
    problems: list[SpecProblem] = []
    for path in paths:
        found, trouble = _given(path)
        files += found
        problems += trouble
    return _each_once(files), problems


def _given(path: Path) -> tuple[list[Path], list[SpecProblem]]:
    """A path given on the command line: a spec file, or a folder to search."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return [], [_path_problem(path, reason(error, path))]
    if stat.S_ISDIR(mode):
        walk = _Walk()
        walk.folder(path)
        if not walk.files and not walk.problems:
            walk.problems.append(_path_problem(path, "no spec files (*.yaml, *.yml) here"))
        return walk.files, walk.problems
    if stat.S_ISREG(mode):
        return [path], []
    return [], [_path_problem(path, f"is {kind_of(mode)}, not a spec file or folder")]


def _path_problem(path: Path, message: str) -> SpecProblem:
    return SpecProblem(str(path), 1, 1, message, json_path="")


class _Walk:
    """A recursive search of one folder that notes every entry it cannot read.

    Symbolic links to folders are followed (their specs are part of the tree), each folder
    read once however many links lead to it, so a link back to an ancestor ends the descent.
    """

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.problems: list[SpecProblem] = []
        self.seen: set[tuple[int, int]] = set()

    def folder(self, path: Path) -> None:
        try:
            status = path.stat()
            with os.scandir(path) as listing:
                names = sorted(entry.name for entry in listing)
        except OSError as error:
            self.problems.append(_path_problem(path, _folder_reason(error, path)))
            return
        if (status.st_dev, status.st_ino) in self.seen:
            return
        self.seen.add((status.st_dev, status.st_ino))
        for name in names:
            self.entry(path / name)

    def entry(self, path: Path) -> None:
        try:
            mode = path.stat().st_mode
        except OSError as error:
            if _may_hold_specs(path):
                self.problems.append(_path_problem(path, reason(error, path)))
            return
        if stat.S_ISDIR(mode):
            self.folder(path)
        elif _is_spec_name(path) and stat.S_ISREG(mode):
            self.files.append(path)
        elif _is_spec_name(path):
            message = f"is {kind_of(mode)}, not a regular file: a spec file must be one"
            self.problems.append(_path_problem(path, message))


def _folder_reason(error: OSError, path: Path) -> str:
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot read the folder: permission denied"
    return reason(error, path)


def _is_spec_name(path: Path) -> bool:
    # Any case: `BACKUP.YAML` named directly is read, so it must be found in a folder too.
    return path.suffix.lower() in SPEC_SUFFIXES


def _may_hold_specs(path: Path) -> bool:
    """An entry that could not be examined matters when it may be a spec or a folder of them:
    a name with a spec suffix or none at all (a broken `notes.txt` link is no loss)."""
    return _is_spec_name(path) or not path.suffix


def _each_once(files: Iterable[Path]) -> list[Path]:
    """files without repeats, `f.yaml` and `../dir/f.yaml` being one file (its first spelling)."""
    first: dict[Path, Path] = {}
    for file in files:
        first.setdefault(file.resolve(), file)
    return list(first.values())


# Enough to fix a file by; past it, more lines only bury the first ones (a few hundred bytes of
# aliases can otherwise fill a terminal with tens of thousands).
MAX_PROBLEMS_PER_FILE = 200


def sorted_problems(problems: Iterable[SpecProblem]) -> list[SpecProblem]:
    """Problems in file, line, column order (how editors and people read them), each said once
    and at most MAX_PROBLEMS_PER_FILE per file, then a line saying how many more there are.

    Safe to apply again to its own result with more problems added: the count carries over.
    """
    files = _by_file(_each_said_once(problems))
    return [shown for path, found in files.items() for shown in _within_limit(path, found)]


def _within_limit(path: str, found: list[SpecProblem]) -> list[SpecProblem]:
    """One file's problems in line, column order, the first MAX_PROBLEMS_PER_FILE of them, and
    a line counting the rest (those an earlier call left out included)."""
    unshown = sum(p.count for p in found if isinstance(p, UnshownProblems))
    ordered = sorted(
        (p for p in found if not isinstance(p, UnshownProblems)), key=lambda p: (p.line, p.column)
    )
    shown = ordered[:MAX_PROBLEMS_PER_FILE]
    unshown += len(ordered) - len(shown)
    if unshown:
        shown.append(_unshown(path, shown[-1] if shown else None, unshown))
    return shown


def _each_said_once(problems: Iterable[SpecProblem]) -> Iterable[SpecProblem]:
    """The first of the problems with one file, line, column and message: the schema and the
    checks meet an aliased anchor's text once per alias, at a different json path each time."""
    seen: set[tuple[str, int, int, str]] = set()
    for problem in problems:
        said = (problem.path, problem.line, problem.column, problem.message)
        if isinstance(problem, UnshownProblems):
            yield problem  # counts of problems left out: each adds up, however alike they read
        elif said not in seen:
            seen.add(said)
            yield problem


def _by_file(problems: Iterable[SpecProblem]) -> dict[str, list[SpecProblem]]:
    files: dict[str, list[SpecProblem]] = {}
    for problem in problems:
        files.setdefault(problem.path, []).append(problem)
    return dict(sorted(files.items()))


def _unshown(path: str, last_shown: SpecProblem | None, count: int) -> UnshownProblems:
    line, column = (last_shown.line, last_shown.column) if last_shown else (1, 1)
    message = f"{count} more problem(s) in this file not shown; fix those above and validate again"
    return UnshownProblems(path, line, column, message, count=count)


def _load_file(file: Path) -> tuple[SpecDocument | None, list[SpecProblem]]:
    name = str(file)
    try:
        raw = read_regular_file(file, MAX_SPEC_BYTES)
        text = raw.decode("utf-8")
    except UnreadableFile as error:
        return None, [_path_problem(file, str(error))]
    except UnicodeDecodeError as error:
        return None, [_not_utf8(name, raw, error)]
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
    document, found = validate_document(SpecDocument(name, loaded.data, loaded.source))
    return document, problems + found


def _flawed(document: SpecDocument, problems: Sequence[SpecProblem]) -> frozenset[JsonPath]:
    """The entries a problem lies in, and () if one lies at the file level entries inherit."""
    places = [p.json_path for p in problems]
    inherited = [format_json_path((key,)) for key in INHERITED_KEYS]
    whole_file = any(p == "$" or any(is_at_or_under(p, i) for i in inherited) for p in places)
    flawed = {
        (section, index)
        for section, index, _ in entries(document)
        if any(is_at_or_under(p, format_json_path((section, index))) for p in places)
    }
    return frozenset(flawed | ({()} if whole_file else set()))


def _not_utf8(name: str, raw: bytes, error: UnicodeDecodeError) -> SpecProblem:
    """Where the first undecodable byte is, so an editor can jump to it."""
    before = raw[: error.start]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    message = (
        f"the file is not UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded "
        "(save the file as UTF-8)"
    )
    return SpecProblem(name, before.count(b"\n") + 1, column, message)


def _shape_problem(name: str, data: object, where: tuple[int, int]) -> SpecProblem:
    if data is None:
        return SpecProblem(
            name, 1, 1, "the file is empty: expected a mapping with apiVersion and owner"
        )
    kind = "a list" if isinstance(data, list) else f"the scalar {data!r}"
    return SpecProblem(
        name, *where, f"the document must be a mapping (apiVersion, owner, …), not {kind}"
    )


def validate_document(document: SpecDocument) -> tuple[SpecDocument, list[SpecProblem]]:
    """The schema's and the semantic checks' problems of one document, each said once, and
    the document marked with the entries they make unfit for the checks across files."""
    issues = schema_issues(document.data)
    problems = [document.problem(i.path, i.message, at_key=i.at_key) for i in issues]
    # A missing key flags where it belongs, not the whole mapping that lacks it.
    flagged = [(*i.path, i.missing) if i.missing else i.path for i in issues]
    problems += check_document(document, flagged)
    flawed = _flawed(document, problems)
    if _lacks_inherited_key(document, issues):
        flawed |= {()}
    return dataclasses.replace(document, flawed=flawed), problems


def _lacks_inherited_key(document: SpecDocument, issues: Sequence[SchemaIssue]) -> bool:
    """True when a key every entry inherits is missing, also when its only problem said is
    "unknown key 'ownr'; did you mean 'owner'?" (the schema drops the echo "missing 'owner'")."""
    meant = {i.suggests for i in issues if i.path[:-1] == () and i.suggests}
    missing = {i.missing for i in issues if i.path == () and i.missing}
    return any(key in meant | missing for key in INHERITED_KEYS if key not in document.data)
