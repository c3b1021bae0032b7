"""The Emulator object itself: env, certificate, keep-alive, catch-all error handling."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from werkzeug.test import Client

from provisioner.emulator import Emulator
from provisioner.emulator.app import EmulatorApp
from provisioner.emulator.state import EmulatorState
from tests.seeds import DEFAULT_SUBSCRIPTION


def test_env_names_everything_a_client_needs(world: Emulator) -> None:
    # DESIGN §6: the env file keys; AZURE_AUTHORITY_HOST is the emulator itself.
    env = world.env()
    assert env["ALERTSYNC_ARM_ENDPOINT"] == env["AZURE_AUTHORITY_HOST"] == world.url
    assert env["ALERTSYNC_CA_BUNDLE"] == world.ca_path
    assert env["AZURE_SUBSCRIPTION_ID"] == DEFAULT_SUBSCRIPTION
    assert {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} <= set(env)


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
