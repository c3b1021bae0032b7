"""`make demo` (scripts/demo.py) end to end: every step as expected, and no emulator left behind."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "demo.py"


def processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line contains text (the demo's throwaway data dir)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue  # the process ended while we looked
    return found


def data_dir_of(output: str) -> str:
    match = re.search(r"data in (\S+),", output)
    assert match, output
    return match[1]


def test_demo_runs_every_step_and_stops_the_emulator() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    headings = re.findall(r"^== (\d+)\. ", out, flags=re.MULTILINE)
    assert headings == [str(n) for n in range(1, 19)]
    codes = re.findall(r"^\(exit (\d)\)$", out, flags=re.MULTILINE)
    # Steps 5 and 11 edit with the SDK; 10, 12 and 13 are check: covered, the gap, fixed.
    # The drill: 14 and 16 act through the emulator; 15 predicts (2), 17 proves, 18 restores.
    assert codes == ["0", "2", "0", "0", "2", "0", "0", "0", "0", "2", "0", "2", "0", "0"]
    assert (
        'emailReceivers[oncall].address: "someone-else@example.com" -> "oncall@example.com"' in out
    )
    assert "✓ email oncall (oncall@example.com): delivered (Azure: Completed)" in out
    assert "✓ RSV-JPE-LRS (rg rg-backup" in out
    assert "✗ RSV-JPE-LRS (rg rg-backup" in out
    assert "apr-weekend-maintenance" in out
    assert "✓ check found the weekend gap: nobody would get mail 20" in out
    assert 'agent-not-ready: VM "vm-app"' in out
    assert "✓ the backup-failure alert was notified; the emulator mailed oncall@example.com" in out
    assert "Demo complete" in out
    assert processes_mentioning(data_dir_of(out)) == []


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("alertsync_demo", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_misbehaving_step_exits_1_and_still_stops_the_emulator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = load_demo()
    seen: dict[str, str] = {}

    def broken_step(env: dict[str, str], work: Path) -> None:
        seen["dir"] = str(work)
        demo.alertsync(env, "plan", "specs", "--detailed-exitcode", expect=0)  # it is 2

    monkeypatch.setattr(demo, "run_demo", broken_step)
    assert demo.main() == 1
    err = capsys.readouterr().err
    assert "DEMO FAILED: `alertsync plan specs --detailed-exitcode` exited 2, expected 0" in err
    assert processes_mentioning(seen["dir"]) == []
