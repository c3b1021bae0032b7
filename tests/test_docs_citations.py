"""Facts are cited from the repository's own record: every anchor cited exists, nothing outside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RECORD = REPO / "docs" / "azure-behaviour.md"
SEARCHED = ("provisioner", "tests", "docs", "bench", "scripts", "examples", "README.md")
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt"}
CITATION = re.compile(r"docs/azure-behaviour\.md#([A-Za-z0-9_-]+)")
# Documents that are not in a clone: the fact sheets the project started from.
OUTSIDE = re.compile(r"facts §|DESIGN §|\.\./shared/|/work/shared|shared/reference/")


def files() -> list[Path]:
    found: list[Path] = []
    for name in SEARCHED:
        root = REPO / name
        candidates = [root] if root.is_file() else root.rglob("*")
        found += [
            p
            for p in candidates
            if p.is_file() and p.suffix in SUFFIXES and "fixtures" not in p.parts
        ]
    return [p for p in found if p != Path(__file__)]


def anchors() -> set[str]:
    """Explicit `<a id>` anchors and GitHub's heading anchors of the record."""
    text = RECORD.read_text(encoding="utf-8")
    explicit = set(re.findall(r'<a id="([^"]+)"', text))
    headings = {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in text.splitlines()
        if line.startswith("#")
    }
    return explicit | headings


def test_every_cited_anchor_exists() -> None:
    known = anchors()
    missing = [
        f"{path.relative_to(REPO)}: #{anchor}"
        for path in files()
        for anchor in CITATION.findall(path.read_text(encoding="utf-8", errors="replace"))
        if anchor not in known
    ]
    assert missing == []


@pytest.mark.parametrize(
    "anchor", ["arm-retries", "arm-throttling", "resources--list-tags-and-provider-metadata"]
)
def test_anchors_are_found_both_ways(anchor: str) -> None:
    assert anchor in anchors()


def test_nothing_cites_a_document_outside_the_repository() -> None:
    citing = [
        f"{path.relative_to(REPO)}:{number}"
        for path in files()
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        )
        if OUTSIDE.search(line)
    ]
    assert citing == []
