"""`alertsync emulator` as a process, persistence across restarts, and a plain SDK script."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from provisioner.cli import cli
from provisioner.emulator import Emulator, StateFileError, persistence
from provisioner.emulator.persistence import StateFile
from tests.seeds import DEFAULT_SEED, DEFAULT_SUBSCRIPTION

REPO = Path(__file__).resolve().parents[2]
ALERTSYNC = Path(sys.executable).parent / "alertsync"

SEED_YAML = """\
subscriptions:
  - id: 00000000-0000-0000-0000-000000000000
    resourceGroups:
      - {name: rg-backup, location: japaneast, vaults: [{name: RSV-JPE-LRS, location: japaneast}]}
      - {name: rg-monitoring, location: japaneast}
"""

# Only the SDKs and the printed environment (issue 3 "Done when").
PLAIN_SCRIPT = textwrap.dedent(
    """
    import os
    from azure.identity import EnvironmentCredential
    from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.recoveryservices import RecoveryServicesClient

    url, ca, sub = os.environ["ALERTSYNC_ARM_ENDPOINT"], os.environ["ALERTSYNC_CA_BUNDLE"], os.environ["AZURE_SUBSCRIPTION_ID"]
    cred = EnvironmentCredential(disable_instance_discovery=True, connection_verify=ca)
    kw = dict(base_url=url, connection_verify=ca, credential_scopes=["https://management.azure.com/.default"])
    ags = MonitorManagementClient(cred, sub, **kw).action_groups
    ag = ags.create_or_update("rg-monitoring", "ag", {"location": "Global", "groupShortName": "ag", "enabled": True})
    assert [g.name for g in ags.list_by_resource_group("rg-monitoring")] == ["ag"]
    ags.update("rg-monitoring", "ag", {"tags": {"k": "v"}})
    rules = AlertProcessingRulesMgmtClient(cred, sub, **kw).alert_processing_rules
    body = {"location": "Global", "properties": {"scopes": [f"/subscriptions/{sub}"], "actions": [{"actionType": "AddActionGroups", "actionGroupIds": [ag.id]}]}}
    rules.create_or_update("rg-monitoring", "apr", body)
    assert rules.get_by_name("rg-monitoring", "apr").properties.enabled
    rules.update("rg-monitoring", "apr", {"properties": {"enabled": False}})
    assert len(list(rules.list_by_subscription())) == 1
    vaults = RecoveryServicesClient(cred, sub, **kw).vaults
    patch = {"properties": {"monitoringSettings": {"classicAlertSettings": {"alertsForCriticalOperations": "Disabled"}}}}
    vaults.begin_update("rg-backup", "RSV-JPE-LRS", patch).result()
    rules.delete("rg-monitoring", "apr")
    ags.delete("rg-monitoring", "ag")
    print("ok")
    """
)


def start_cli(data_dir: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [str(ALERTSYNC), "emulator", "--port", "0", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    env: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").strip().partition("=")
            env[key] = value
        if line.startswith("# alertsync emulator ready"):
            return process, env
    raise AssertionError(
        f"emulator never became ready: {process.stderr.read() if process.stderr else ''}"
    )


@pytest.mark.slow  # end-to-end: runs the emulator's command as a process
def test_cli_emulator_serves_a_plain_sdk_script_and_stops_on_sigterm(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED_YAML)
    process, env = start_cli(tmp_path / "data", "--seed", str(seed))
    try:
        # Ready in under 2 s (issue 3) is a speed target: `make bench` measures it.
        env_file = (tmp_path / "data" / "env").read_text()
        assert f"export ALERTSYNC_ARM_ENDPOINT={env['ALERTSYNC_ARM_ENDPOINT']}" in env_file
        assert Path(env["ALERTSYNC_CA_BUNDLE"]).is_absolute()  # sourced from any directory
        assert not list((tmp_path / "data").glob(".env*"))  # written whole, then renamed
        script = subprocess.run(
            [sys.executable, "-c", PLAIN_SCRIPT],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert script.stdout.strip() == "ok", script.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        stopped = process.wait(timeout=10)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    assert stopped == 0
    # SIGTERM saved the script's last writes: the vault patch, and both deletes.
    saved = json.loads((tmp_path / "data" / "state.json").read_text())
    [vault] = saved["resources"]
    classic = vault["body"]["properties"]["monitoringSettings"]["classicAlertSettings"]
    assert classic["alertsForCriticalOperations"] == "Disabled"


@pytest.mark.slow  # end-to-end: runs the emulator's command as a process
def test_cli_rejects_a_bad_seed_file_naming_it(tmp_path: Path) -> None:
    seed = tmp_path / "broken.yaml"
    seed.write_text("subscriptions: [{resourceGroups: []}]\n")
    result = subprocess.run(
        [
            str(ALERTSYNC),
            "emulator",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "d"),
            "--seed",
            str(seed),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "broken.yaml" in result.stderr and "id" in result.stderr


def test_state_survives_a_restart(tmp_path: Path) -> None:
    # Issue 3 §6: state file in the data dir, written atomically (in the background).
    with Emulator(data_dir=tmp_path, seed=DEFAULT_SEED) as first:
        seed = {
            "subscriptions": [
                {
                    "id": "00000000-0000-0000-0000-000000000000",
                    "resourceGroups": [{"name": "rg-extra", "location": "japaneast"}],
                }
            ]
        }
        first.control.seed(seed)
    state = json.loads((tmp_path / "state.json").read_text())
    assert any(rg["name"] == "rg-extra" for rg in state["subscriptions"][0]["resourceGroups"])
    assert not list(tmp_path.glob(".state.json.*"))
    with Emulator(data_dir=tmp_path) as second:
        names = [rg["name"] for rg in second.control.state()["subscriptions"][0]["resourceGroups"]]
        assert "rg-extra" in names and "rg-backup" in names


def put_action_groups(emulator: Emulator, names: list[str], together: threading.Barrier) -> None:
    """PUT one action group per name over one keep-alive HTTPS connection (any bearer is
    taken), each PUT sent together with the other threads' so their saves overlap."""
    host, port = emulator.url.removeprefix("https://").split(":")
    tls = ssl.create_default_context(cafile=emulator.ca_path)
    connection = http.client.HTTPSConnection(host, int(port), context=tls, timeout=30)
    groups = f"/subscriptions/{DEFAULT_SUBSCRIPTION}/resourceGroups/rg-monitoring/providers/Microsoft.Insights/actionGroups"
    headers = {"Authorization": "Bearer test", "Content-Type": "application/json"}
    try:
        for name in names:
            together.wait()
            body = {"location": "Global", "properties": {"groupShortName": "g", "enabled": True}}
            connection.request(
                "PUT", f"{groups}/{name}?api-version=2023-01-01", json.dumps(body), headers
            )
            response = connection.getresponse()
            assert response.status == 201, response.read()
            response.read()
    finally:
        connection.close()


def test_concurrent_writes_leave_the_final_world_in_the_state_file(tmp_path: Path) -> None:
    # Each write saves a snapshot; if an older snapshot could be written after a newer one,
    # the file would end up missing the last writes although memory has them.
    with Emulator(data_dir=tmp_path, seed=DEFAULT_SEED) as emulator:
        batches = [[f"ag-{thread}-{i}" for i in range(15)] for thread in range(8)]
        together = threading.Barrier(len(batches), timeout=30)
        with concurrent.futures.ThreadPoolExecutor(len(batches)) as pool:
            list(pool.map(lambda names: put_action_groups(emulator, names, together), batches))
        final_world = emulator.control.state()
    kinds = [resource["kind"] for resource in final_world["resources"]]
    assert kinds.count("microsoft.insights/actiongroups") == 8 * 15
    assert json.loads((tmp_path / "state.json").read_text()) == final_world


def count_state_file_writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Spy on StateFile.write (one call is one temp file + os.replace); the list grows per write."""
    writes: list[str] = []
    original = StateFile.write

    def spy(self: StateFile, text: str) -> None:
        writes.append(text)
        original(self, text)

    monkeypatch.setattr(StateFile, "write", spy)
    return writes


def test_a_burst_of_writes_is_saved_in_far_fewer_file_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rewriting the whole file per request made a burst cost O(N²); writes must coalesce.
    writes = count_state_file_writes(monkeypatch)
    with Emulator(data_dir=tmp_path, seed=DEFAULT_SEED) as emulator:
        assert len(writes) == 1  # the seeded world, saved before start() returns
        put_action_groups(emulator, [f"ag-{i}" for i in range(200)], threading.Barrier(1))
        emulator.flush_state()
        flushed = len(writes)
    assert flushed < 200 / 4, f"{flushed} file writes for 200 PUTs"
    assert len(writes) == flushed  # nothing changed since the flush: stop writes nothing


def test_stop_saves_the_final_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # With an interval the test never reaches, only stop() can have written the last writes.
    monkeypatch.setattr(persistence, "SAVE_INTERVAL_SECONDS", 60)
    with Emulator(data_dir=tmp_path, seed=DEFAULT_SEED) as emulator:
        put_action_groups(emulator, [f"ag-{i}" for i in range(20)], threading.Barrier(1))
        final_world = emulator.control.state()
        assert json.loads((tmp_path / "state.json").read_text()) != final_world  # still lagging
    assert json.loads((tmp_path / "state.json").read_text()) == final_world


def test_flush_state_writes_what_was_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persistence, "SAVE_INTERVAL_SECONDS", 60)
    with Emulator(data_dir=tmp_path, seed=DEFAULT_SEED) as emulator:
        put_action_groups(emulator, ["ag-flushed"], threading.Barrier(1))
        emulator.flush_state()
        assert json.loads((tmp_path / "state.json").read_text()) == emulator.control.state()


def saver_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("emulator-saver-")]


def test_the_saver_thread_stops_with_the_emulator(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path, seed=DEFAULT_SEED) as emulator:
        name = f"emulator-saver-{emulator.port}"
        assert [t.name for t in saver_threads()].count(name) == 1
    assert name not in [t.name for t in saver_threads()]
    with Emulator(seed=DEFAULT_SEED) as memory_only:  # no data dir: nothing to save
        assert f"emulator-saver-{memory_only.port}" not in [t.name for t in saver_threads()]


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(StateFileError, match=r"state\.json"):
        Emulator(data_dir=tmp_path).start()


@pytest.mark.parametrize(
    ("option", "value"),
    [("--port", "99999"), ("--port", "-1"), ("--latency-ms", "-5")],
)
def test_cli_rejects_out_of_range_numbers_before_starting(
    tmp_path: Path, option: str, value: str
) -> None:
    # A TCP port is 0-65535; latency is a delay, never negative (as PUT /_emulator/latency).
    result = CliRunner().invoke(cli, ["emulator", "--data-dir", str(tmp_path), option, value])
    assert result.exit_code == 2, result.output
    assert option in result.output and "range" in result.output
    assert not (tmp_path / "env").exists()
