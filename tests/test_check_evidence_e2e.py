"""`alertsync check --since` and `--agents` end to end: the real command, SDK and emulator."""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from provisioner.emulator import Emulator
from tests.e2e import Run, alertsync
from tests.emulator.conftest import AG_ID, EVIDENCE_SEED, RULE_PATH, VAULT_ID, VM_PATH
from tests.seeds import DEFAULT_SUBSCRIPTION as SUB
from tests.seeds import rule_seed


def healthy_seed() -> dict[str, Any]:
    """EVIDENCE_SEED with every protected VM healthy (vm-db's agent Ready, no failed backup)."""
    seed = deepcopy(EVIDENCE_SEED)
    groups = {g["name"]: g for g in seed["subscriptions"][0]["resourceGroups"]}
    groups["rg-backup"]["vaults"][0]["protectedItems"] = [{"vm": "vm-app"}, {"vm": "vm-off"}]
    for vm in groups["rg-vms"]["virtualMachines"]:
        vm.pop("agent", None)
    return seed


@pytest.fixture
def healthy(world: Emulator, arm_env: dict[str, str]) -> dict[str, str]:
    world.control.reset(seed=healthy_seed())
    return arm_env


def check(env: dict[str, str], cwd: Path, *args: str) -> Run:
    return alertsync(env, cwd, "check", "--subscription", SUB, *args)


def check_json(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = check(env, cwd, *args, "--format", "json")
    assert done.code in (0, 2), done.out + done.err
    return done.code, json.loads(done.out)


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_a_healthy_estate_passes_all_three_checks(
    healthy: dict[str, str], world: Emulator, tmp_path: Path
) -> None:
    world.control.fire_alert(VAULT_ID)
    code, data = check_json(healthy, tmp_path, "--since", "1d", "--agents")
    assert code == 0, data
    (alert,) = data["alerts"]
    assert alert["outcome"] == "notified"
    assert alert["vault"].lower() == VAULT_ID.lower()
    assert (alert["alertRule"], alert["severity"]) == ("Backup Failure", "Sev1")
    assert alert["firedAt"].endswith("Z")
    assert [r["rule"].lower() for r in alert["rules"]] == [f"{RULE_PATH}/apr-backup".lower()]
    agents = {a["name"]: a for a in data["agents"]}
    assert agents["vm-app"]["agentStatus"] == "Ready"
    assert agents["vm-app"]["powerState"] == "running"
    assert agents["vm-off"]["powerState"] == "deallocated"  # reported, not an error
    assert not agents["vm-off"]["problem"]
    assert set(agents["vm-app"]) >= {
        "vm", "vault", "agentStatus", "agentVersion", "powerState", "lastBackupStatus", "lastBackupError",
    }  # fmt: skip
    (vault,) = data["vaults"]
    assert vault["firedAlerts"]["fired"] == vault["firedAlerts"]["notified"] == 1
    assert data["since"]["from"] < data["since"]["until"]


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_a_stopped_agent_is_predicted_and_a_restart_clears_it(
    healthy: dict[str, str], world: Emulator, tmp_path: Path
) -> None:
    world.control.set_agent(f"{VM_PATH}/vm-app", "Not Ready")
    done = check(healthy, tmp_path, "--agents")
    assert done.code == 2, done.out + done.err
    assert "agent-not-ready" in done.out
    assert "RdAgent" in done.out and "walinuxagent" in done.out
    assert "Guest agents of protected VMs: 2" in done.out
    world.control.set_agent(f"{VM_PATH}/vm-app", "Ready")
    assert check(healthy, tmp_path, "--agents").code == 0


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_a_suppressed_alert_reached_nobody(
    healthy: dict[str, str], world: Emulator, tmp_path: Path
) -> None:
    world.control.seed(
        rule_seed(
            f"{RULE_PATH}/apr-quiet",
            {"scopes": [VAULT_ID], "actions": [{"actionType": "RemoveAllActionGroups"}]},
        )
    )
    world.control.fire_alert(VAULT_ID)
    code, data = check_json(healthy, tmp_path, "--since", "7d")
    assert code == 2
    (alert,) = data["alerts"]
    assert alert["outcome"] == "suppressed"
    (vault,) = data["vaults"]
    assert "alert-not-delivered" in [p["code"] for p in vault["problems"]]
    assert vault["firedAlerts"]["suppressedBy"] == {f"{RULE_PATH}/apr-quiet".lower(): 1} or (
        list(vault["firedAlerts"]["suppressedBy"].values()) == [1]
    )


@pytest.mark.slow  # end-to-end: runs the real `alertsync` command
def test_a_disabled_group_fails_and_old_alerts_are_outside_the_window(
    healthy: dict[str, str], world: Emulator, tmp_path: Path
) -> None:
    world.control.fire_alert(VAULT_ID, firedAt=(datetime.now(UTC) - timedelta(days=3)).isoformat())
    assert check_json(healthy, tmp_path, "--since", "1d")[1]["alerts"] == []
    code, data = check_json(healthy, tmp_path, "--since", "4d")
    assert code == 0 and len(data["alerts"]) == 1
    assert AG_ID.lower() in [g.lower() for g in data["alerts"][0]["actionGroups"]["triggered"]]


@pytest.mark.smoke  # the real command, refused as a usage error: cheap enough for test-fast
@pytest.mark.parametrize("since", ["31d", "0h", "week"])
def test_since_beyond_what_azure_keeps_is_a_usage_error(
    healthy: dict[str, str], tmp_path: Path, since: str
) -> None:
    done = check(healthy, tmp_path, "--since", since)
    assert done.code == 2  # a usage error, as click reports it
    assert "Usage:" in done.err
    assert "--since" in done.err and "Traceback" not in done.err
    assert done.out == ""
