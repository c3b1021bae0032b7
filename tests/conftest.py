"""Shared fixtures: one ARM emulator per test session (per xdist worker) and SDK clients bound to it.

Contract (others rely on these names): `emulator` (session), `world` (reset to DEFAULT_SEED),
`arm_env` (os.environ + emulator env, for subprocesses), `credential`, `monitor_client`,
`rules_client`, `vaults_client`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.alertprocessingrules import AlertProcessingRulesMgmtClient
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.recoveryservices import RecoveryServicesClient
from hypothesis import settings

# tests/ has no __init__.py (rootdir-relative test names), so make the repo root importable
# for `from tests.seeds import DEFAULT_SEED` in any test module.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.properties import FULL  # noqa: E402
from tests.seeds import DEFAULT_SEED, DEFAULT_SUBSCRIPTION  # noqa: E402

# The full hypothesis profile unless the command line names another (`make test-fast` runs
# --hypothesis-profile=fast, which hypothesis's plugin loads after this).
settings.load_profile(FULL)

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

__all__ = ["DEFAULT_SEED", "DEFAULT_SUBSCRIPTION"]

ARM_SCOPES = ["https://management.azure.com/.default"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ALERTSYNC_NO_SKIPS=1 (.ci/run sets it) a skipped test fails the run: in CI a skip
    means a check silently stopped running, which is worse than a failure."""
    if os.environ.get("ALERTSYNC_NO_SKIPS") != "1" or hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter is not None else 0
    if skipped and exitstatus == pytest.ExitCode.OK:
        reporter.write("\n")
        reporter.write_line(f"error: {skipped} test(s) skipped, and ALERTSYNC_NO_SKIPS=1", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _processes_are_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make test-fast` stays fast because what starts processes is marked: a test (or its
    fixtures) that starts one fails unless it is marked `slow`, or `smoke` for the few cheap
    runs of the real command that the inner loop keeps."""
    if any(request.node.get_closest_marker(name) for name in ("slow", "smoke")):
        return

    def unmarked(*_: Any, **__: Any) -> None:
        raise AssertionError(
            "this test starts a process: mark it @pytest.mark.slow, so that `make test-fast` "
            "leaves it out (or @pytest.mark.smoke if it is one of a few cheap runs to keep)"
        )

    monkeypatch.setattr(subprocess.Popen, "__init__", unmarked)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """An emulator started once per session (xdist runs one per worker) on a free port."""
    from provisioner.emulator import Emulator  # noqa: PLC0415 (lazy: collection never needs it)

    with Emulator(port=0) as running:
        yield running


@pytest.fixture
def world(emulator: Emulator) -> Emulator:
    """The session emulator, reset to DEFAULT_SEED for this test."""
    emulator.control.reset(seed=DEFAULT_SEED)
    return emulator


@pytest.fixture
def arm_env(world: Emulator) -> dict[str, str]:
    """Environment for running `alertsync` as a subprocess against the emulator."""
    env = dict(os.environ)
    env.update(world.env())
    return env


@pytest.fixture(scope="session")
def credential(emulator: Emulator) -> ClientSecretCredential:
    """A ClientSecretCredential signed in against the emulator's token endpoint."""
    env = emulator.env()
    return ClientSecretCredential(
        env["AZURE_TENANT_ID"],
        env["AZURE_CLIENT_ID"],
        env["AZURE_CLIENT_SECRET"],
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=emulator.ca_path,
    )


def client_options(emulator: Emulator) -> dict[str, Any]:
    """Keyword arguments that point any azure-mgmt client at the emulator."""
    return {
        "base_url": emulator.url,
        "connection_verify": emulator.ca_path,
        "credential_scopes": ARM_SCOPES,
    }


@pytest.fixture
def monitor_client(world: Emulator, credential: ClientSecretCredential) -> MonitorManagementClient:
    """MonitorManagementClient (action groups, api 2023-01-01) for DEFAULT_SUBSCRIPTION."""
    return MonitorManagementClient(credential, DEFAULT_SUBSCRIPTION, **client_options(world))


@pytest.fixture
def rules_client(
    world: Emulator, credential: ClientSecretCredential
) -> AlertProcessingRulesMgmtClient:
    """AlertProcessingRulesMgmtClient (actionRules, api 2021-08-08) for DEFAULT_SUBSCRIPTION."""
    return AlertProcessingRulesMgmtClient(credential, DEFAULT_SUBSCRIPTION, **client_options(world))


@pytest.fixture
def vaults_client(world: Emulator, credential: ClientSecretCredential) -> RecoveryServicesClient:
    """RecoveryServicesClient (vaults, api 2026-11-01) for DEFAULT_SUBSCRIPTION."""
    return RecoveryServicesClient(credential, DEFAULT_SUBSCRIPTION, **client_options(world))
