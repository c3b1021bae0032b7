#!/usr/bin/env python3
"""`make demo`: the seed scenario end to end against a throwaway emulator, drift included.

Starts `alertsync emulator` on a free port with examples/emulator-seed.yaml, then runs
validate → plan → apply → plan (clean), edits the action group out of band with the Azure SDK,
shows the plan catching exactly that field, repairs it and tests the notification. Then `check`
proves who gets mail if a backup fails, a colleague's weekend maintenance rule (made with the
SDK) opens a gap that `check --window 7d` finds, and the fix closes it. Every step's exit code is
checked; the first surprise ends the demo with exit 1.
"""

# A script talks to its user: printing is its job.
# ruff: noqa: T201

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from azure.identity import ClientSecretCredential
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.alertprocessingrules import models as apr
from azure.mgmt.monitor import MonitorManagementClient

from provisioner.emulator.client import EmulatorControl

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "emulator-seed.yaml"
SPECS = "specs"
RG, GROUP, RECEIVER = "rg-monitoring", "ag-backup-oncall", "oncall"
DRIFTED_ADDRESS = "someone-else@example.com"
MAINTENANCE_RULE = "apr-weekend-maintenance"
READY_TIMEOUT = 30.0
SUB = "00000000-0000-0000-0000-000000000000"
VAULT_ID = f"/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/RSV-JPE-LRS"
DRILL_VM = "vm-app"
DRILL_VM_ID = f"/subscriptions/{SUB}/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/{DRILL_VM}"
AGENT_FAILURE = (
    "VM Agent unable to communicate with Azure Backup (UserErrorGuestAgentStatusUnavailable)"
)
ONCALL = "oncall@example.com"
BOLD = "\033[1m" if sys.stdout.isatty() and "NO_COLOR" not in os.environ else ""
RESET = "\033[0m" if BOLD else ""


class DemoFailed(Exception):
    """A step did not behave as the demo expects."""


def heading(number: int, title: str) -> None:
    """A short, visible heading per step."""
    print(f"\n{BOLD}== {number}. {title} =={RESET}", flush=True)


def alertsync(env: dict[str, str], *args: str, expect: int, quiet: bool = False) -> str:
    """Run `alertsync ARGS` (output shown unless quiet), fail unless it exits `expect`."""
    if not quiet:
        print(f"$ alertsync {shlex.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "provisioner", *args],
        cwd=REPO,
        env={**env, "PYTHONUNBUFFERED": "1"},  # stdout and stderr interleave as they happen
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if quiet else subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
    )
    if not quiet:
        sys.stdout.write(done.stdout)
        print(f"(exit {done.returncode})", flush=True)
    if done.returncode != expect:
        raise DemoFailed(
            f"`alertsync {shlex.join(args)}` exited {done.returncode}, expected {expect}:\n"
            f"{done.stdout}{done.stderr or ''}"
        )
    return done.stdout


@contextmanager
def emulator(data_dir: Path) -> Iterator[dict[str, str]]:
    """A running emulator (any free port); yields the environment from DIR/env, always stops it."""
    log = (data_dir / "emulator.log").open("w", encoding="utf-8")
    command = [sys.executable, "-m", "provisioner", "emulator", "--port", "0"]
    command += ["--data-dir", str(data_dir), "--seed", str(SEED)]
    # preexec_fn is safe here: the demo starts the emulator before it runs any thread.
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,  # noqa: PLW1509
    )
    try:
        yield wait_ready(process, data_dir)
    finally:
        process.terminate()  # SIGTERM: the emulator stops its server and exits
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def die_with_parent() -> None:
    """Linux: the emulator gets SIGTERM if the demo dies without cleaning up (e.g. SIGKILL)."""
    if sys.platform == "linux":
        import ctypes  # noqa: PLC0415 (Linux only)

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def wait_ready(process: subprocess.Popen[bytes], data_dir: Path) -> dict[str, str]:
    """The emulator's environment once it says it is ready (it writes DIR/env before that)."""
    log, deadline = data_dir / "emulator.log", time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoFailed(f"the emulator exited {process.returncode}:\n{log.read_text()}")
        if "emulator ready" in log.read_text(encoding="utf-8"):
            return read_env_file(data_dir / "env")
        time.sleep(0.05)
    raise DemoFailed(f"the emulator was not ready within {READY_TIMEOUT:.0f} s:\n{log.read_text()}")


def read_env_file(path: Path) -> dict[str, str]:
    """`export K=V` lines (shell-quoted) as a dict."""
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env


def sdk_options(env: dict[str, str]) -> dict[str, object]:
    """What any azure-mgmt client needs to talk to the demo's emulator, as a colleague's would."""
    credential = ClientSecretCredential(
        env["AZURE_TENANT_ID"],
        env["AZURE_CLIENT_ID"],
        env["AZURE_CLIENT_SECRET"],
        authority=env["AZURE_AUTHORITY_HOST"],
        disable_instance_discovery=True,
        connection_verify=env["ALERTSYNC_CA_BUNDLE"],
    )
    return {
        "credential": credential,
        "subscription_id": env["AZURE_SUBSCRIPTION_ID"],
        "base_url": env["ALERTSYNC_ARM_ENDPOINT"],
        "connection_verify": env["ALERTSYNC_CA_BUNDLE"],
        "credential_scopes": ["https://management.azure.com/.default"],
    }


def edit_out_of_band(env: dict[str, str]) -> None:
    """What a colleague in the portal would do: change one receiver's address with the SDK."""
    with MonitorManagementClient(**sdk_options(env)) as client:  # type: ignore[arg-type]
        group = client.action_groups.get(RG, GROUP)
        receiver = next(r for r in group.email_receivers or () if r.name == RECEIVER)
        print(f"SDK: {GROUP} receiver {RECEIVER}: {receiver.email_address} → {DRIFTED_ADDRESS}")
        receiver.email_address = DRIFTED_ADDRESS
        client.action_groups.create_or_update(RG, GROUP, group)


def add_weekend_maintenance(env: dict[str, str]) -> None:
    """A colleague silences the subscription for weekend patching, backups included."""
    with AlertProcessingRulesMgmtClient(**sdk_options(env)) as client:  # type: ignore[arg-type]
        rule = apr.AlertProcessingRule(
            location="Global",
            properties=apr.AlertProcessingRuleProperties(
                scopes=[f"/subscriptions/{env['AZURE_SUBSCRIPTION_ID']}"],
                actions=[apr.RemoveAllActionGroups()],
                schedule=apr.Schedule(
                    time_zone="Tokyo Standard Time",
                    recurrences=[apr.WeeklyRecurrence(days_of_week=["Saturday", "Sunday"])],
                ),
                description="Weekend patching: no alert mail",
                enabled=True,
            ),
        )
        client.alert_processing_rules.create_or_update(RG, MAINTENANCE_RULE, rule)
    print(
        f"SDK: created {MAINTENANCE_RULE}: remove all action groups, whole subscription, "
        "Saturday and Sunday (Tokyo Standard Time)"
    )


def exempt_backup_alerts(env: dict[str, str]) -> None:
    """The fix: the maintenance rule leaves Azure Backup's alerts alone."""
    with AlertProcessingRulesMgmtClient(**sdk_options(env)) as client:  # type: ignore[arg-type]
        rule = client.alert_processing_rules.get_by_name(RG, MAINTENANCE_RULE)
        rule.properties.conditions = [
            apr.Condition(
                field="MonitorService", operator="NotEquals", values_property=["Azure Backup"]
            )
        ]
        client.alert_processing_rules.create_or_update(RG, MAINTENANCE_RULE, rule)
    print(f'SDK: {MAINTENANCE_RULE} now has the condition MonitorService NotEquals "Azure Backup"')


def check_finds_the_weekend_gap(env: dict[str, str]) -> None:
    """The JSON report: the vault has weekend gaps, each caused by the suppression."""
    out = alertsync(env, "check", SPECS, "--window", "7d", "--format", "json", expect=2, quiet=True)
    gaps = [g for v in json.loads(out)["vaults"] for g in v["gaps"]]
    if not gaps or any(g["code"] != "suppressed" for g in gaps):
        raise DemoFailed(f"check should find the weekend suppressed, it found {gaps}")
    spans = ", ".join(f"{g['from']} → {g['until']}" for g in gaps)
    print(f"✓ check found the weekend gap: nobody would get mail {spans}")


def check_drift_is_exactly_the_address(env: dict[str, str]) -> None:
    """The JSON plan holds one update whose only field is the changed address."""
    out = alertsync(
        env, "plan", SPECS, "--format", "json", "--detailed-exitcode", expect=2, quiet=True
    )
    changes = json.loads(out)["changes"]
    fields = [(f["path"], f["old"], f["new"]) for c in changes for f in c["fields"]]
    expected = [(f"emailReceivers[{RECEIVER}].address", DRIFTED_ADDRESS, "oncall@example.com")]
    if len(changes) != 1 or fields != expected:
        raise DemoFailed(f"the drift plan should change only the address, it has {fields}")
    print("✓ the plan changes exactly one field: " + fields[0][0])


def run_demo(env: dict[str, str], work: Path) -> None:
    """The steps, each with its expected exit code."""
    plan_file = str(work / "plan.json")
    heading(1, "validate the specs (offline)")
    alertsync(env, "validate", SPECS, expect=0)
    heading(2, "plan against the emulator: changes pending (--detailed-exitcode → 2)")
    alertsync(env, "plan", SPECS, "--detailed-exitcode", "--out", plan_file, expect=2)
    heading(3, "apply the reviewed plan")
    alertsync(env, "apply", SPECS, "--yes", "--plan", plan_file, expect=0)
    heading(4, "plan again: Azure matches the specs (exit 0)")
    alertsync(env, "plan", SPECS, "--detailed-exitcode", expect=0)
    heading(5, "drift: someone edits the action group outside alertsync")
    edit_out_of_band(env)
    heading(6, "plan detects the drift, field by field (exit 2)")
    alertsync(env, "plan", SPECS, "--detailed-exitcode", expect=2)
    check_drift_is_exactly_the_address(env)
    heading(7, "apply repairs it")
    alertsync(env, "apply", SPECS, "--yes", expect=0)
    heading(8, "plan is clean again (exit 0)")
    alertsync(env, "plan", SPECS, "--detailed-exitcode", expect=0)
    heading(9, "test-notify: every receiver gets a test notification, no failed backup needed")
    alertsync(env, "test-notify", GROUP, "--specs", SPECS, expect=0)
    heading(10, "check: if a backup failed now, or any time this week, who would get mail?")
    alertsync(env, "check", SPECS, "--window", "7d", expect=0)
    heading(11, "a colleague adds a weekend maintenance rule with the SDK")
    add_weekend_maintenance(env)
    heading(12, "check --window 7d finds the gap: weekend failures would reach nobody (exit 2)")
    alertsync(env, "check", SPECS, "--window", "7d", expect=2)
    check_finds_the_weekend_gap(env)
    heading(13, "fix: the maintenance rule leaves backup alerts alone; check is clean (exit 0)")
    exempt_backup_alerts(env)
    alertsync(env, "check", SPECS, "--window", "7d", expect=0)
    run_agent_drill(env)


def control(env: dict[str, str]) -> EmulatorControl:
    """The emulator's control API (what Azure itself would do: a backup failing, an agent dying)."""
    return EmulatorControl(env["ALERTSYNC_ARM_ENDPOINT"], env["ALERTSYNC_CA_BUNDLE"])


def run_agent_drill(env: dict[str, str]) -> None:
    """The seed scenario's drill, in seconds: stop an agent, predict, fire, prove, restore."""
    heading(14, f"the drill: stop the guest agent of {DRILL_VM} (as stopping RdAgent/waagent does)")
    control(env).set_agent(DRILL_VM_ID, "Not Ready")
    print(f"emulator: {DRILL_VM} guest agent → Not Ready")
    heading(15, "check --agents predicts the failure before any backup runs (exit 2)")
    alertsync(env, "check", SPECS, "--agents", expect=2)
    heading(16, "the next backup fails: Azure Backup fires its Sev1 job-failure alert")
    control(env).fire_alert(VAULT_ID, description=AGENT_FAILURE)
    print(f'emulator: "Backup Failure" (Sev1) fired on {VAULT_ID.rsplit("/", 1)[-1]}')
    heading(17, "check --since 1d: the alert's history proves it was routed to on-call (exit 0)")
    alertsync(env, "check", SPECS, "--since", "1d", expect=0)
    check_alert_reached_oncall(env)
    heading(18, "restore the agent: check --agents is clean again (exit 0)")
    control(env).set_agent(DRILL_VM_ID, "Ready")
    alertsync(env, "check", SPECS, "--agents", expect=0)


def check_alert_reached_oncall(env: dict[str, str]) -> None:
    """The JSON report says notified, and the emulator's mail log has the on-call address."""
    out = alertsync(env, "check", SPECS, "--since", "1d", "--format", "json", expect=0, quiet=True)
    outcomes = [a["outcome"] for a in json.loads(out)["alerts"]]
    mailed = {n["emailAddress"] for n in control(env).notifications()}
    if outcomes != ["notified"] or ONCALL not in mailed:
        raise DemoFailed(f"the alert should have reached {ONCALL}: {outcomes}, mail to {mailed}")
    print(f"✓ the backup-failure alert was notified; the emulator mailed {ONCALL}")


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so the emulator is stopped on the way out."""
    raise SystemExit(128 + signum)


def main() -> int:
    """Run the demo in a throwaway data dir; exit 1 (with the reason) if any step misbehaves."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_sigterm)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="alertsync-demo-") as tmp:
        work = Path(tmp)
        print(f"Starting the emulator (data in {work}, seed {SEED.relative_to(REPO)}) ...")
        try:
            with emulator(work) as emulator_env:
                env = {**os.environ, **emulator_env, "NO_COLOR": "1"}
                print(f"Emulator ready at {emulator_env['ALERTSYNC_ARM_ENDPOINT']}")
                run_demo(env, work)
        except DemoFailed as failure:
            print(f"\nDEMO FAILED: {failure}", file=sys.stderr)
            return 1
    print(f"\n{BOLD}Demo complete in {time.monotonic() - started:.1f}s; emulator stopped.{RESET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
