"""Ctrl-C (SIGINT) and SIGTERM during `alertsync apply`: stop starting changes, report each one.

The real command runs as a subprocess against the emulator, whose latency keeps requests in
flight long enough to interrupt it mid-apply; the emulator's request log shows what was written.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e import alertsync, write_many_groups

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

GROUPS = 80


class Apply:
    """`alertsync apply --yes` running in the background; stderr read line by line."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "provisioner", "apply", "--yes"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.err_lines: list[str] = []
        self.first_done = threading.Event()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.err_lines.append(line.rstrip("\n"))
            if line.startswith("✓"):
                self.first_done.set()

    def __enter__(self) -> Apply:
        return self

    def __exit__(self, *exc: object) -> None:
        """Never leave the command running, whatever the test found."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def finish(self, timeout: float) -> tuple[int, str]:
        """Exit code and stdout (not communicate(): it would take stderr from the reader)."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        assert self.process.stdout is not None and self.process.stderr is not None
        with self.process.stdout, self.process.stderr:
            return code, self.process.stdout.read()


def _created(world: Emulator) -> int:
    return sum(
        1 for r in world.control.requests() if r["method"] == "PUT" and r["status"] in (200, 201)
    )


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_apply_starts_no_more_changes_and_reports_each(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path, signum: int, code: int
) -> None:
    write_many_groups(tmp_path, GROUPS)
    world.control.set_latency(500)
    world.control.clear_requests()
    with Apply(arm_env, tmp_path) as run:
        assert run.first_done.wait(60), "\n".join(run.err_lines)
        run.process.send_signal(signum)
        interrupted_at = time.monotonic()
        exit_code, out = run.finish(timeout=60)
        stopped_after = time.monotonic() - interrupted_at

    assert exit_code == code, "\n".join(run.err_lines) + out
    # Only the requests in flight (16 writers, 0.5 s each) were waited for, not the other ~60.
    assert stopped_after < 2.5
    done = [line for line in run.err_lines if line.startswith("✓")]
    not_started = [line for line in run.err_lines if line.endswith("the apply was interrupted")]
    assert len(done) + len(not_started) == GROUPS  # one outcome per change
    assert not_started, "nothing was left unstarted: the interrupt came too late to test"
    assert any(line.startswith("Interrupted: starting no more changes") for line in run.err_lines)
    assert any("in flight at the interrupt" in line for line in done)
    assert f"Apply interrupted: {len(done)} done, {len(not_started)} not started" in out
    assert "re-run `alertsync apply` to converge" in out
    # What was reported done is exactly what Azure has; nothing not started was written.
    assert _created(world) == len(done)

    world.control.set_latency(0)
    rerun = alertsync(arm_env, tmp_path, "apply", "--yes")
    assert rerun.code == 0, rerun.err
    assert f"Apply complete: {len(not_started)} done, 0 failed" in rerun.out
    assert alertsync(arm_env, tmp_path, "plan", "--detailed-exitcode").code == 0


def test_a_second_interrupt_exits_at_once(
    world: Emulator, arm_env: dict[str, str], tmp_path: Path
) -> None:
    stall = 4.0
    write_many_groups(tmp_path, 3)
    world.control.add_fault("PUT", "actionGroups/ag-000$", stall_seconds=stall)
    with Apply(arm_env, tmp_path) as run:
        assert run.first_done.wait(60), "\n".join(run.err_lines)
        run.process.send_signal(signal.SIGINT)  # ag-000 stays in flight
        time.sleep(0.5)
        run.process.send_signal(signal.SIGINT)
        interrupted_at = time.monotonic()
        exit_code, _ = run.finish(timeout=60)
        exited_after = time.monotonic() - interrupted_at
    assert exit_code == 130
    assert exited_after < stall - 1
    assert any(line.startswith("Interrupted again: exiting now") for line in run.err_lines)
    # The emulator still completes the stalled PUT: let it land before the next test resets.
    time.sleep(max(0.0, interrupted_at + stall + 0.5 - time.monotonic()))
