"""The README's quickstart against the emulator works when pasted into a shell, as it is written."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")

# The suite already runs inside the installed venv: `make install` is the one step not re-run
# (a real one here would rebuild the venv the tests run from), and .venv is that venv.
INSTALLED = 'make() { [ "$*" = install ]; }\n'


def quickstart() -> str:
    section = README.split("## Quickstart against the emulator", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return block[1]


def test_the_emulator_quickstart_runs_as_pasted(tmp_path: Path) -> None:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    (tmp_path / "examples").mkdir()
    shutil.copy(REPO / "examples" / "emulator-seed.yaml", tmp_path / "examples")
    (tmp_path / ".venv").symlink_to(sys.prefix)
    # Each command that fails says so; the quickstart expects exactly one (plan's exit 2).
    script = INSTALLED + "trap 'echo \"exit $? from: $BASH_COMMAND\"' ERR\n" + quickstart()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "ALERTSYNC_"))}
    # Any free port rather than the default 8443, which someone's emulator may hold; the
    # quickstart never names the port (it reads the emulator's env file).
    env["ALERTSYNC_EMULATOR_PORT"] = "0"
    shell = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the emulator goes with it below
    )
    try:
        out, _ = shell.communicate(timeout=120)
    finally:  # whatever happened, nothing the quickstart started outlives the test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGTERM)
        shell.wait()
    assert shell.returncode == 0, out
    assert re.findall(r"exit \d+ from: .*", out) == [
        "exit 2 from: alertsync plan --detailed-exitcode"
    ], out
    assert "Plan: 2 to create, 1 to update, 0 to delete." in out
    assert "Apply complete: 3 done, 0 failed, 0 skipped" in out
    assert out.count("No changes. Azure matches the specs.") == 1
    assert "alertsync emulator stopped" in out
