"""Ctrl-C (SIGINT) and SIGTERM during `alertsync apply`: stop starting changes, report each one.

The real command runs as a subprocess against the emulator, whose latency keeps requests in
flight long enough to interrupt it mid-apply; the emulator's request log shows what was written.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest

from tests.e2e import alertsync, write_many_groups

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

pytestmark = pytest.mark.slow  # end-to-end: each test runs the real CLI or processes

GROUPS = 80


class Apply:
    """`alertsync apply --yes` running in the background; stdout and stderr read line by line.

    Per-change results go to stdout with the plan; what the interrupt does goes to stderr."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "provisioner", "apply", "--yes"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out_lines: list[str] = []
        self.err_lines: list[str] = []
        self.first_done = threading.Event()
        self.interrupted = threading.Event()  # the command said it stops starting changes
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out_lines)),
            threading.Thread(target=self._read, args=(self.process.stderr, self.err_lines)),
        ]
        for reader in self._readers:
            reader.daemon = True
            reader.start()

    def _read(self, stream: IO[str] | None, lines: list[str]) -> None:
        assert stream is not None
        for line in stream:
            lines.append(line.rstrip("\n"))
            if line.startswith("✓"):
                self.first_done.set()
            if ": starting no more changes" in line:
                self.interrupted.set()

    @property
    def said(self) -> str:
        return "\n".join(self.out_lines + self.err_lines)

    def __enter__(self) -> Apply:
        return self

    def __exit__(self, *exc: object) -> None:
        """Never leave the command running, whatever the test found."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def finish(self, timeout: float) -> int:
        """The exit code, once both streams are read to their end."""
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=5)
        return code


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
        assert run.first_done.wait(60), run.said
        run.process.send_signal(signum)
        exit_code = run.finish(timeout=60)

    assert exit_code == code, run.said
    out, err = "\n".join(run.out_lines), "\n".join(run.err_lines)
    done = [line for line in run.out_lines if line.startswith("✓")]
    not_started = [line for line in run.out_lines if line.endswith("the apply was interrupted")]
    assert len(done) + len(not_started) == GROUPS  # one outcome per change
    assert not_started, "nothing was left unstarted: the interrupt came too late to test"
    said = "Interrupted" if signum == signal.SIGINT else "Terminated"
    assert f"{said}: starting no more changes" in err
    # CI cancels a job with SIGTERM: nobody there can press Ctrl-C.
    assert ("Ctrl-C" in err) == (signum == signal.SIGINT)
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
    world: Emulator, arm_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_many_groups(tmp_path, 3)
    world.control.add_fault("PUT", "actionGroups/ag-000$", stall_seconds=4.0)
    landed = _signal_when_logged(world, monkeypatch, "PUT", "/actionGroups/ag-000")
    with Apply(arm_env, tmp_path) as run:
        assert run.first_done.wait(60), run.said
        run.process.send_signal(signal.SIGINT)  # ag-000 stays in flight
        assert run.interrupted.wait(60), run.said
        run.process.send_signal(signal.SIGINT)
        exit_code = run.finish(timeout=60)
        # It exited without waiting for the request in flight: the emulator is still on it.
        assert not landed.is_set()
    assert exit_code == 130
    assert any(line.startswith("Interrupted again: exiting now") for line in run.err_lines)
    # Let the stalled PUT land before the next test resets the emulator.
    assert landed.wait(60)


def _signal_when_logged(
    world: Emulator, monkeypatch: pytest.MonkeyPatch, method: str, path_end: str
) -> threading.Event:
    """An event set when the emulator logs a `method` request to a path ending in `path_end`
    (it logs a request once it has answered it)."""
    logged, record = threading.Event(), world.state.record

    def recording(method_: str, path: str, *rest: Any) -> None:
        record(method_, path, *rest)
        if method_ == method and path.endswith(path_end):
            logged.set()

    monkeypatch.setattr(world.state, "record", recording)
    return logged
