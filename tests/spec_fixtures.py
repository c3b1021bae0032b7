"""Discovery of the valid/invalid spec fixtures and the problems they declare."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "specs"
_EXPECT = re.compile(r"^# expect: (\d+): (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Expected:
    path: str
    line: int
    fragment: str


def cases(kind: str) -> list[Path]:
    """Each file or folder under fixtures/specs/<kind>/ is one case."""
    return sorted((FIXTURES / kind).iterdir())


def expectations(case: Path) -> list[Expected]:
    """The `# expect: LINE: fragment` lines of a case's files."""
    files = [case] if case.is_file() else sorted(case.rglob("*.y*ml"))
    return [
        Expected(str(file), int(line), fragment.strip())
        for file in files
        for line, fragment in _EXPECT.findall(file.read_text(encoding="utf-8"))
    ]
