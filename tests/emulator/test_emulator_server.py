"""The Emulator object itself: env, certificate, keep-alive, catch-all error handling."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import trustme
from werkzeug.test import Client

from provisioner.emulator import Emulator
from provisioner.emulator.app import EmulatorApp
from provisioner.emulator.auth import TOKEN_LIFETIME_SECONDS
from provisioner.emulator.state import EmulatorState
from provisioner.emulator.transport import HttpsServer
from tests.seeds import DEFAULT_SUBSCRIPTION


def test_env_names_everything_a_client_needs(world: Emulator) -> None:
    # the emulator README: the env file keys; AZURE_AUTHORITY_HOST is the emulator itself.
    env = world.env()
    assert env["ALERTSYNC_ARM_ENDPOINT"] == env["AZURE_AUTHORITY_HOST"] == world.url
    assert env["ALERTSYNC_CA_BUNDLE"] == world.ca_path
    assert env["AZURE_SUBSCRIPTION_ID"] == DEFAULT_SUBSCRIPTION
    assert {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} <= set(env)


def test_env_names_a_subscription_only_when_the_world_has_exactly_one(world: Emulator) -> None:
    # With several subscriptions none is "the" subscription: a client must choose.
    other = "11111111-1111-1111-1111-111111111111"
    world.control.seed({"subscriptions": [{"id": other}]})
    assert "AZURE_SUBSCRIPTION_ID" not in world.env()


def test_certificate_is_valid_for_localhost_and_connections_are_kept_alive(world: Emulator) -> None:
    context = ssl.create_default_context(cafile=world.ca_path)
    connection = http.client.HTTPSConnection(
        "localhost", int(world.url.rsplit(":", 1)[1]), context=context
    )
    sockets = set()
    for _ in range(3):
        connection.request("GET", "/_emulator/health")
        response = connection.getresponse()
        assert json.loads(response.read())["status"] == "ok"
        sockets.add(id(connection.sock))
    assert len(sockets) == 1 and response.getheader("Connection") != "close"
    connection.close()


def test_unexpected_errors_are_an_arm_500_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Issue 3: never a 500 with a traceback in the body; the traceback goes to the log.
    state = EmulatorState()
    state.world.subscriptions = None  # type: ignore[assignment]  (break the backend on purpose)
    client = Client(EmulatorApp(state))
    with caplog.at_level(logging.ERROR):
        response = client.get(
            "/subscriptions?api-version=2022-12-01", headers={"Authorization": "Bearer t"}
        )
    assert response.status_code == 500
    assert response.get_json() == {
        "error": {
            "code": "InternalServerError",
            "message": "The emulator hit an internal error; see its log.",
        }
    }
    assert "Traceback" in caplog.text


def test_concurrent_writers_are_all_served(monitor_client: Any) -> None:
    # Threaded server + one world lock: parallel SDK calls neither fail nor lose writes.
    body = {"location": "Global", "properties": {"groupShortName": "c", "enabled": True}}

    def create(index: int) -> int:
        return int(
            monitor_client.action_groups.create_or_update(
                "rg-monitoring", f"ag-{index}", body
            ).name.split("-")[1]
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(create, range(40))) == list(range(40))
    assert len(list(monitor_client.action_groups.list_by_resource_group("rg-monitoring"))) == 40


def raw_exchange(emulator: Emulator, request: bytes) -> bytes:
    """Send bytes over TLS and read until the server closes the connection."""
    context = ssl.create_default_context(cafile=emulator.ca_path)
    host, port = emulator.url.removeprefix("https://").rsplit(":", 1)
    with (
        socket.create_connection((host, int(port)), timeout=10) as plain,
        context.wrap_socket(plain, server_hostname=host) as tls,
    ):
        tls.sendall(request)
        received = b""
        while chunk := tls.recv(65536):
            received += chunk
        return received


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "5, 6"])
def test_invalid_content_length_is_400_and_the_connection_closes(
    world: Emulator, capfd: pytest.CaptureFixture[str], length: str
) -> None:
    # RFC 9112 §6.3: an invalid Content-Length leaves the body's end unknown, so the server
    # answers 400 and closes (reading until close proves it did); no traceback anywhere.
    request = (
        f"PUT /_emulator/latency HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n{{}}"
    ).encode()
    answer = raw_exchange(world, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"Connection: close" in head
    assert json.loads(body)["error"]["code"] == "InvalidRequestContent"
    assert "Traceback" not in capfd.readouterr().err
    assert world.control.state()["subscriptions"]  # still serving


# ---- the HTTPS transport with a stand-in WSGI app ---------------------------------------------


class ClosableBody:
    """A WSGI response iterable that records whether the server closed it (PEP 3333)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed.set()


@contextlib.contextmanager
def serving(app: Any) -> Iterator[tuple[HttpsServer, ssl.SSLContext]]:
    """`app` behind a real HttpsServer on a free port; yields it and a client TLS context."""
    authority = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    server = HttpsServer("127.0.0.1", 0, app, server_context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server, client_context
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def https_get(server: HttpsServer, context: ssl.SSLContext) -> bytes:
    """GET / and its body; the connection is closed (an open one is a ResourceWarning)."""
    connection = http.client.HTTPSConnection("127.0.0.1", server.server_address[1], context=context)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read()
    finally:
        connection.close()


def test_the_response_iterable_is_closed() -> None:
    body = ClosableBody([b"hello, ", b"world"])

    def app(environ: Any, start_response: Any) -> ClosableBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    with serving(app) as (server, context):
        assert https_get(server, context) == b"hello, world"
        assert body.closed.wait(5)


class FirstRecord(logging.Handler):
    """Catches the first transport record at one level, whichever thread logs it."""

    def __init__(self, level: int) -> None:
        super().__init__(logging.DEBUG)
        self.wanted = level
        self.record: logging.LogRecord | None = None
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == self.wanted and not self.seen.is_set():
            self.record = record
            self.seen.set()


def wait_for_record(caplog: pytest.LogCaptureFixture, level: int) -> logging.LogRecord:
    """The first transport log record at `level`, waiting for the server thread to write it."""
    logger = logging.getLogger("provisioner.emulator.transport")
    catcher = FirstRecord(level)
    logger.addHandler(catcher)  # first, so that a record logged after the look below is caught
    try:
        for record in caplog.records:
            if record.name == logger.name and record.levelno == level:
                return record
        if not catcher.seen.wait(5):
            raise AssertionError(f"no {logging.getLevelName(level)} record from the transport")
        assert catcher.record is not None
        return catcher.record
    finally:
        logger.removeHandler(catcher)


def test_a_client_dropping_mid_handshake_is_only_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="provisioner.emulator.transport")
    with serving(lambda environ, start_response: []) as (server, _):
        with socket.create_connection(server.server_address) as plain:
            plain.sendall(b"GET / HTTP/1.1\r\n\r\n")  # not a TLS ClientHello: the handshake fails
        assert "ended" in wait_for_record(caplog, logging.DEBUG).getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_other_os_errors_are_warnings_with_their_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An OSError that is not a client going away (here from the app itself) is the
    # emulator's problem: it must not vanish into the debug log.
    def app(environ: Any, start_response: Any) -> list[bytes]:
        raise PermissionError("cannot open the state file")

    with serving(app) as (server, context):
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            https_get(server, context)
        record = wait_for_record(caplog, logging.WARNING)
    assert record.exc_info is not None and record.exc_info[0] is PermissionError


def test_issued_tokens_are_forgotten_once_expired() -> None:
    # A long run must not remember every token it ever issued: expired ones are dropped as
    # new ones are issued, and a still-valid token still names its client.
    now = [1000.0]
    state = EmulatorState(clock=lambda: now[0])
    client = Client(EmulatorApp(state))

    def sign_in() -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": state.client_id,
            "client_secret": state.client_secret,
        }
        response = client.post(f"/{state.tenant_id}/oauth2/v2.0/token", data=form)
        assert response.status_code == 200
        return str(response.get_json()["access_token"])

    first, second = sign_in(), sign_in()
    assert set(state.issued_tokens) == {first, second}
    now[0] += TOKEN_LIFETIME_SECONDS + 1
    third = sign_in()
    assert set(state.issued_tokens) == {third}
    assert state.token_client(third) == state.client_id
