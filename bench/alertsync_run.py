"""Run the real `alertsync` command against the emulator and measure wall time and traffic."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.traffic import Traffic
from provisioner.emulator import EmulatorControl

TIMEOUT_SECONDS = 900


@dataclass(frozen=True, slots=True)
class Measured:
    """One command or baseline step: wall seconds and what it sent to ARM."""

    seconds: float
    traffic: Traffic


def command() -> list[str]:
    """The installed `alertsync` entry point next to this Python, else `python -m provisioner`."""
    script = Path(sys.executable).with_name("alertsync")
    found = str(script) if script.exists() else shutil.which("alertsync")
    return [found] if found else [sys.executable, "-m", "provisioner"]


def run_env(emulator_env: dict[str, str]) -> dict[str, str]:
    """os.environ plus the emulator's endpoint, CA bundle and credentials."""
    env = dict(os.environ)
    env.update(emulator_env)
    env["NO_COLOR"] = "1"
    return env


def alertsync(control: EmulatorControl, env: dict[str, str], specs: Path, *args: str) -> Measured:
    """`alertsync ARGS SPECS` as a subprocess; fails loudly on a non-zero exit."""
    control.clear_requests()
    started = time.perf_counter()
    done = run_command(env, specs, *args)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"alertsync {' '.join(args)} exited {done.returncode}:\n{done.stderr[-4000:]}"
        )
    return Measured(seconds, Traffic.of(control.requests()))


def run_command(env: dict[str, str], specs: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`alertsync ARGS SPECS`, its output captured, whatever its exit code."""
    return subprocess.run(
        [*command(), *args, str(specs)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
