"""HTTP/1.1 keep-alive HTTPS transport for the WSGI app (werkzeug's server closes every connection).

werkzeug 3.1's development server sends `Connection: close` on every response and then waits
10 ms draining the socket, so each SDK call would pay a new TLS handshake plus 10 ms. This
small stdlib server keeps connections open, reads exactly Content-Length bytes and always
answers with Content-Length, which is all keep-alive needs.
"""

from __future__ import annotations

import io
import json
import logging
import ssl
import sys
import urllib.parse
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger(__name__)

IDLE_TIMEOUT_SECONDS = 60  # an idle keep-alive connection frees its thread after this
# What a client that goes away looks like from here: a reset or closed socket, a TLS
# handshake or record it abandoned (ssl.SSLError covers SSLEOFError and a refused
# certificate), or a silence longer than the idle timeout. Nothing the emulator did wrong.
CLIENT_DISCONNECTS: tuple[type[BaseException], ...] = (
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    ssl.SSLError,
    TimeoutError,
)


class KeepAliveHandler(BaseHTTPRequestHandler):
    """One connection: TLS handshake in this thread, then requests until the client closes."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: avoid the 40 ms ACK stall
    timeout = IDLE_TIMEOUT_SECONDS
    server: HttpsServer

    def setup(self) -> None:
        """Handshake here, not in the accept loop, so one slow client cannot block the rest."""
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def handle_one_request(self) -> None:
        """Serve one request, turning client disconnects into a quiet close."""
        try:
            super().handle_one_request()
        except CLIENT_DISCONNECTS:
            self.close_connection = True

    def __getattr__(self, name: str) -> Any:
        """Every method (do_GET, do_PATCH, ...) goes to the WSGI app, which answers unknown ones."""
        if name.startswith("do_"):
            return self.run_app
        raise AttributeError(name)

    def run_app(self) -> None:
        """Read the body, call the app, write status, headers with Content-Length, body."""
        length = declared_length(self.headers.get_all("Content-Length") or [])
        if length is None:
            self.refuse_unframed_request()
            return
        body = self.rfile.read(length) if length else b""
        response: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            response[:] = [status, headers]
            return lambda _: None

        payload = self.call_app(self.environ(body), start_response)
        status, headers = response
        self.send_response(int(status.split(" ", 1)[0]), status.split(" ", 1)[1])
        for name, value in headers:
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def call_app(self, environ: dict[str, Any], start_response: Any) -> bytes:
        """The app's whole body. Its iterable is closed afterwards, also on error, because PEP
        3333 requires it: an app may release resources or run clean-up in close()."""
        chunks: Iterable[bytes] = self.server.app(environ, start_response)
        try:
            return b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def refuse_unframed_request(self) -> None:
        """400 and close: without a valid Content-Length the body's end is unknown (RFC 9112
        §6.3), so the connection cannot carry another request."""
        values = ", ".join(self.headers.get_all("Content-Length") or [])
        payload = json.dumps(
            {
                "error": {
                    "code": "InvalidRequestContent",  # public CLI transcripts
                    "message": f"The Content-Length header '{values}' is not a valid length.",
                }
            }
        ).encode()
        self.close_connection = True
        self.send_response(400, "Bad Request")
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def environ(self, body: bytes) -> dict[str, Any]:
        """The WSGI environ (PEP 3333: PATH_INFO is the unquoted path as latin-1 text)."""
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": urllib.parse.unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        """Requests go to the debug log, not stderr."""
        log.debug("emulator: " + format, *args)


def declared_length(values: list[str]) -> int | None:
    """The body length the Content-Length header(s) declare (0 when absent), or None when
    invalid: not a non-negative decimal, or several headers that disagree (RFC 9112 §6.3)."""
    if not values:
        return 0
    distinct = {value.strip() for value in values}
    if len(distinct) != 1:
        return None
    value = distinct.pop()
    return int(value) if value.isascii() and value.isdigit() else None


class HttpsServer(ThreadingHTTPServer):
    """A threaded HTTPS server whose connections each get a daemon thread."""

    daemon_threads = True

    def __init__(self, host: str, port: int, app: WSGIApplication, context: ssl.SSLContext) -> None:
        super().__init__((host, port), KeepAliveHandler)
        self.app = app
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops (mid-handshake, say) is not an emulator error: debug. Anything
        else is, and goes to the log with its traceback rather than to stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, CLIENT_DISCONNECTS):
            log.debug("emulator: connection from %s ended: %s", client_address, error)
            return
        log.warning("emulator: error serving %s", client_address, exc_info=True)
