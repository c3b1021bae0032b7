"""How long `alertsync emulator` takes from process start to its ready line (issue 3: < 2 s)."""

from __future__ import annotations

import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Verdict

TARGET_SECONDS = 2.0
RUNS = 3


def seconds_to_ready() -> float:
    """One cold start of the real command in a fresh data dir, stopped with SIGTERM after."""
    with tempfile.TemporaryDirectory(prefix="alertsync-bench-") as data_dir:
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "provisioner",
                "emulator",
                "--port",
                "0",
                "--data-dir",
                data_dir,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("# alertsync emulator ready"):
                    return time.perf_counter() - started
            raise RuntimeError("alertsync emulator exited before it was ready")
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def startup_verdict() -> Verdict:
    """The median of a few cold starts against the target."""
    median = statistics.median(seconds_to_ready() for _ in range(RUNS))
    status = "PASS" if median < TARGET_SECONDS else "FAIL"
    return Verdict(
        status,
        f"alertsync emulator ready in {median:.2f} s (median of {RUNS}; target < {TARGET_SECONDS:.0f} s)",
    )
