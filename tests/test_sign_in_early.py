"""A plan signs in while its specs load: the token request overlaps them, and a failed sign-in
is still reported by the first request, as it was before."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from provisioner.azure.client import Azure
from provisioner.azure.credentials import SharedTokenCredential
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError, SpecError
from provisioner.ids import ResourceId
from provisioner.model import OWNER_TAG
from provisioner.spec import files as spec_files
from provisioner.sync import pipeline
from provisioner.sync.pipeline import Options, make_plan
from tests.e2e import SEED_SCENARIO, SUB, write_spec

if TYPE_CHECKING:
    from provisioner.emulator import Emulator

# Never reached: every request stops at its failed sign-in, before the transport.
NOWHERE = AzureSettings(arm_endpoint="https://127.0.0.1:9/")
SCOPE = "https://management.azure.com/.default"
WAIT = 10  # seconds an event is awaited before the test calls it a failure; never slept


class GatedCredential:
    """A credential whose token requests are recorded, wait for `gate`, then fail (or not)."""

    def __init__(self, *, fail: bool, gate_open: bool = True) -> None:
        self.fail = fail
        self.asked = threading.Event()
        self.gate = threading.Event()
        if gate_open:
            self.gate.set()
        self.requests: list[tuple[str, ...]] = []
        self.answered = 0
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        with self._lock:
            self.requests.append(scopes)
        self.asked.set()
        self.gate.wait(WAIT)
        with self._lock:
            self.answered += 1
        if self.fail:
            raise ClientAuthenticationError("AADSTS7000215: Invalid client secret provided.")
        return AccessToken("token", int(time.time()) + 3600)


@pytest.fixture
def specs(tmp_path: Path) -> list[Path]:
    return [write_spec(tmp_path, "backup.yaml", SEED_SCENARIO)]


def finish_signing_in() -> None:
    """Wait for the warm-up threads (named "sign-in") to end."""
    for thread in threading.enumerate():
        if thread.name == "sign-in":
            thread.join(WAIT)


@pytest.fixture(autouse=True)
def no_sign_in_left_running() -> Iterator[None]:
    """Each test ends with its warm-up thread done (so none prints into another test)."""
    yield
    finish_signing_in()


def test_the_token_request_starts_before_the_specs_finish_loading(
    specs: list[Path], monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    credential = GatedCredential(fail=True)
    asked_during_load: list[bool] = []
    load = spec_files.load

    def slow_load(paths: list[Path]) -> Any:
        # The load does not end before the token request has begun (without the warm-up it
        # would only begin at the first read, after the load: this wait would time out).
        asked_during_load.append(credential.asked.wait(WAIT))
        return load(paths)

    monkeypatch.setattr(pipeline.spec_files, "load", slow_load)
    with Azure(NOWHERE, credential=credential) as azure, pytest.raises(AzureError) as failed:
        make_plan(specs, azure, Options(), {})
    assert asked_during_load == [True]
    # The warm-up's failure is reported by no one but the first read, which asked again.
    assert credential.requests == [(SCOPE,), (SCOPE,)]
    cold = Azure(NOWHERE, credential=GatedCredential(fail=True))
    with cold, pytest.raises(AzureError) as unwarmed:
        cold.list_tagged(ResourceId(SUB), OWNER_TAG, "backup-alerts")  # the plan's first read
    # The same error, of whichever list asked first (the footprint's, or one started beside it).
    assert _sentence(str(failed.value)) == _sentence(str(unwarmed.value))
    assert _sentence(str(failed.value)).startswith("sign-in failed with")
    finish_signing_in()
    assert capfd.readouterr() == ("", "")  # the warm-up printed nothing


def _sentence(message: str) -> str:
    """An error message without the request it names ("listing … in …: ")."""
    return message.split(": ", 1)[1]


def test_a_failed_first_sign_in_fails_the_later_requests_without_asking_again() -> None:
    inner = GatedCredential(fail=True)
    shared = SharedTokenCredential(inner)
    for _ in range(3):
        with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
            shared.get_token(SCOPE)
    assert inner.requests == [(SCOPE,)]


def test_an_invalid_spec_fails_at_once_without_waiting_for_the_sign_in(tmp_path: Path) -> None:
    credential = GatedCredential(fail=False, gate_open=False)  # signing in hangs until released
    specs = [write_spec(tmp_path, "bad.yaml", "apiVersion: alertsync/v1\nowner: [1\n")]
    try:
        with Azure(NOWHERE, credential=credential) as azure, pytest.raises(SpecError):
            make_plan(specs, azure, Options(), {})
        # The spec error and the close did not wait for the token request still pending.
        assert credential.answered == 0
    finally:
        credential.gate.set()


def test_the_warm_up_and_the_first_request_share_one_token_request(world: Emulator) -> None:
    # The warm-up asks for the very token the SDK clients' bearer policy asks for: the scope
    # and options match, so the run still signs in once.
    credential = GatedCredential(fail=False)
    with Azure(AzureSettings.from_env(world.env()), credential=credential) as azure:
        azure.sign_in_early()
        azure.list_tagged(ResourceId(SUB), OWNER_TAG, "backup-alerts")
        finish_signing_in()
    assert credential.requests == [(SCOPE,)]
