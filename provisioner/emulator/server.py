"""`Emulator`: runs the emulated ARM over HTTPS (trustme CA) in a daemon thread."""

from __future__ import annotations

import logging
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme

from provisioner.emulator.app import EmulatorApp
from provisioner.emulator.client import EmulatorControl
from provisioner.emulator.persistence import StateFile, StateSaver
from provisioner.emulator.seed import apply_seed
from provisioner.emulator.state import EmulatorState, Settings
from provisioner.emulator.transport import HttpsServer

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
CA_FILE = "ca.pem"
STOP_POLL_SECONDS = 0.05  # how soon stop() is noticed (socketserver default: 0.5 s)


class Emulator:
    """An emulated Azure Resource Manager, reachable at `.url` and trusted through `.ca_path`."""

    def __init__(
        self,
        port: int = 0,
        data_dir: Path | None = None,
        seed: dict[str, Any] | None = None,
        latency_ms: int = 0,
        page_size: int = 100,
    ) -> None:
        self.port = port
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self._seed = seed
        baseline = Settings(latency_ms=latency_ms, page_size=page_size)
        self.state = EmulatorState(
            settings=Settings(latency_ms=latency_ms, page_size=page_size), baseline=baseline
        )
        self._server: HttpsServer | None = None
        self._thread: threading.Thread | None = None
        self._saver: StateSaver | None = None
        self._temporary: tempfile.TemporaryDirectory[str] | None = None
        self.ca_path = ""
        self.url = ""

    def start(self) -> Emulator:
        """Create the CA and certificate, load state or seed, serve; returns once listening."""
        directory = self._directory()
        context = self._tls_context(directory)
        self._load_world(directory)
        self._server = HttpsServer(HOST, self.port, EmulatorApp(self.state), context)
        self.port = self._server.server_address[1]
        self.url = f"https://{HOST}:{self.port}"
        self.state.url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": STOP_POLL_SECONDS},
            name=f"emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        if self._saver is not None:
            self._saver.start(name=f"emulator-saver-{self.port}")
        log.info("emulator: serving %s (CA %s)", self.url, self.ca_path)
        return self

    def _directory(self) -> Path:
        """The data dir, or a temporary one removed at stop."""
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            return self.data_dir
        self._temporary = tempfile.TemporaryDirectory(prefix="alertsync-emulator-")
        return Path(self._temporary.name)

    def _tls_context(self, directory: Path) -> ssl.SSLContext:
        """A fresh CA (written to DIR/ca.pem) and a server certificate for 127.0.0.1 and localhost."""
        authority = trustme.CA(organization_name="alertsync emulator")
        certificate = authority.issue_cert(HOST, "localhost")
        ca_file = directory / CA_FILE
        authority.cert_pem.write_to_path(str(ca_file))
        self.ca_path = str(ca_file.resolve())  # absolute: the env file is sourced from anywhere
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certificate.configure_cert(context)
        return context

    def _load_world(self, directory: Path) -> None:
        """With a data dir: the saved state if any (the seed is then ignored), else the seed,
        saved before serving so that the file exists once start() returns."""
        if self.data_dir is None:
            self._apply_seed()
            return
        state_file = StateFile(directory)
        if state_file.load_into(self.state.world):
            if self._seed is not None:
                log.info("emulator: %s exists, so the seed was not applied", state_file.path)
        else:
            self._apply_seed()
            state_file.save(self.state.world)
        self._saver = StateSaver(state_file, self.state.world)
        self.state.on_change = self._saver.mark_dirty

    def _apply_seed(self) -> None:
        """Add the seed (if any) to the world."""
        with self.state.world.lock:
            apply_seed(self.state.world, self._seed)

    def flush_state(self) -> None:
        """Write every write acknowledged so far to state.json now (a no-op without a data dir).

        While running, the file lags the world by up to persistence.SAVE_INTERVAL_SECONDS;
        a test that reads it calls this first.
        """
        if self._saver is not None:
            self._saver.flush()

    def stop(self) -> None:
        """Stop serving and release the port, then save the last state synchronously (and
        remove the temporary directory, if any)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._saver is not None:
            self._saver.stop()
        if self._temporary is not None:
            self._temporary.cleanup()
        self._server = self._thread = self._temporary = None
        self._saver = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def control(self) -> EmulatorControl:
        """A client for this emulator's /_emulator/ API."""
        return EmulatorControl(self.url, self.ca_path)

    def env(self) -> dict[str, str]:
        """What a client needs: ARM endpoint, CA bundle, AZURE_* credentials, and the
        subscription when the world has exactly one (with several, none is the default)."""
        env = {
            "ALERTSYNC_ARM_ENDPOINT": self.url,
            "ALERTSYNC_CA_BUNDLE": self.ca_path,
            "AZURE_TENANT_ID": self.state.tenant_id,
            "AZURE_CLIENT_ID": self.state.client_id,
            "AZURE_CLIENT_SECRET": self.state.client_secret,
            "AZURE_AUTHORITY_HOST": self.url,
        }
        with self.state.world.lock:
            subscriptions = list(self.state.world.subscriptions.values())
        if len(subscriptions) == 1:
            env["AZURE_SUBSCRIPTION_ID"] = subscriptions[0].subscription_id
        return env
