"""Helpers for end-to-end tests: write specs, run the real `alertsync` command as a subprocess."""

from __future__ import annotations

import errno
import os
import pty
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import yaml

SUB = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def alertsync(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> Run:
    """Run `python -m provisioner ARGS` (the `alertsync` entry point) and capture everything."""
    done = subprocess.run(
        [sys.executable, "-m", "provisioner", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def on_a_terminal(
    env: dict[str, str], cwd: Path, *args: str, stderr_too: bool = False
) -> tuple[int, str]:
    """`alertsync ARGS` with stdout (and stderr, if asked) on a pseudo-terminal, as a person
    runs it: the exit code and what the terminal showed."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "provisioner", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower if stderr_too else subprocess.DEVNULL,
    )
    os.close(follower)  # the child holds the only other end: reading ends when it exits
    shown = b""
    try:
        while chunk := os.read(leader, 4096):
            shown += chunk
    except OSError as error:  # Linux reports the closed terminal as EIO
        if error.errno != errno.EIO:
            raise
    finally:
        os.close(leader)
    return process.wait(timeout=120), shown.decode()


def write_spec(folder: Path, name: str, text: str) -> Path:
    """Write a spec file (dedented) into folder/specs and return the specs folder."""
    specs = folder / "specs"
    specs.mkdir(exist_ok=True)
    (specs / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return specs


def write_doc(folder: Path, name: str, doc: dict[str, object]) -> Path:
    """Write a spec document given as data."""
    specs = folder / "specs"
    specs.mkdir(exist_ok=True)
    (specs / name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return specs


def write_many_groups(folder: Path, count: int, owner: str = "load") -> Path:
    """A spec of `count` action groups (ag-000, ag-001, …) with one email receiver each."""
    receivers = [{"name": "oncall", "address": "oncall@example.com"}]
    groups = [
        {"name": f"ag-{i:03}", "shortName": f"ag{i:03}", "emailReceivers": receivers}
        for i in range(count)
    ]
    doc = {
        "apiVersion": "alertsync/v1",
        "owner": owner,
        "subscription": SUB,
        "resourceGroup": "rg-monitoring",
        "actionGroups": groups,
    }
    return write_doc(folder, "load.yaml", doc)


SEED_SCENARIO = f"""
    apiVersion: alertsync/v1
    owner: backup-alerts
    subscription: {SUB}
    resourceGroup: rg-monitoring
    actionGroups:
      - name: ag-backup-oncall
        shortName: backuponcall
        emailReceivers:
          - {{name: oncall, address: oncall@example.com, useCommonAlertSchema: true}}
          - {{name: backup-team, address: backup-team@example.com}}
    alertProcessingRules:
      - name: apr-backup-job-failures
        description: Mail on-call when a backup job fails
        scopes:
          - {{vault: RSV-JPE-LRS, resourceGroup: rg-backup}}
        conditions:
          severity: [Sev1]
        actionGroups: [ag-backup-oncall]
    vaults:
      - name: RSV-JPE-LRS
        resourceGroup: rg-backup
        jobFailureAlerts: true
        classicAlerts: false
"""
