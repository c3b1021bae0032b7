"""Everything one running emulator holds: the world, settings, faults, request log, throttle."""

from __future__ import annotations

import collections
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from provisioner.emulator.models import DEFAULT_TENANT_ID, World
from provisioner.emulator.throttling import Throttle

DEFAULT_CLIENT_ID = "33333333-3333-3333-3333-333333333333"
DEFAULT_CLIENT_SECRET = "alertsync-emulator-secret"
REQUEST_LOG_LIMIT = 10_000  # a long demo run must not grow without bound


@dataclass
class Fault:
    """The next `count` requests matching method and path regex get this answer (or stall)."""

    method: str | None
    path: re.Pattern[str]
    count: int
    status: int | None = None
    retry_after: int | None = None
    stall_seconds: float = 0.0
    code: str | None = None
    message: str | None = None
    # Answer this JSON instead (with `status`, else 200): what a broken gateway or proxy might
    # hand back, for testing that clients refuse answers outside the documented shape.
    body: Any = None
    has_body: bool = False

    def matches(self, method: str, path: str) -> bool:
        """True when this fault applies to the request."""
        return (
            self.count > 0 and (self.method in (None, "*", method)) and bool(self.path.search(path))
        )

    def describe(self) -> dict[str, Any]:
        """JSON view for GET /_emulator/faults."""
        return {
            "method": self.method,
            "path": self.path.pattern,
            "count": self.count,
            "status": self.status,
            "retryAfter": self.retry_after,
            "stallSeconds": self.stall_seconds,
            **({"body": self.body} if self.has_body else {}),
        }


@dataclass
class Settings:
    """Knobs the control API can turn."""

    latency_ms: int = 0
    page_size: int = 100
    vault_patch_async: bool = (
        True  # spec RSV 2026-11-01: the service answers PATCH with 202 + headers
    )
    lro_retry_after: int = (
        1  # ≥1: azure-core reads 0 as "no header" and waits 30 s (azure-core base_polling)
    )


@dataclass
class EmulatorState:
    """Shared by every request thread; `world.lock` guards the world, `lock` the rest."""

    tenant_id: str = DEFAULT_TENANT_ID
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    url: str = ""
    world: World = field(default_factory=World)
    settings: Settings = field(default_factory=Settings)
    baseline: Settings = field(default_factory=Settings)  # what reset returns to
    throttle: Throttle = field(default_factory=Throttle)
    lock: threading.Lock = field(default_factory=threading.Lock)
    faults: list[Fault] = field(default_factory=list)
    # Receiver name (lower case) → failure detail for test notifications (control API only:
    # nothing in the real API makes delivery fail on demand).
    notification_failures: dict[str, str] = field(default_factory=dict)
    request_log: collections.deque[dict[str, Any]] = field(
        default_factory=lambda: collections.deque(maxlen=REQUEST_LOG_LIMIT)
    )
    counters: collections.Counter[str] = field(default_factory=collections.Counter)
    # Token → (client id, expiry on `clock`), in issue order; expired ones are dropped as new
    # ones are issued, so a long run keeps only the tokens still valid.
    issued_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    on_change: Callable[[], None] = lambda: None

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, with one use spent; None when none applies."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    fault.count -= 1
                    return fault
            return None

    def remember_token(self, token: str, client_id: str, lifetime_seconds: float) -> None:
        """Remember who a token was issued to until it expires, forgetting expired ones."""
        with self.lock:
            now = self.clock()
            self.forget_expired_tokens(now)
            self.issued_tokens[token] = (client_id, now + lifetime_seconds)

    def forget_expired_tokens(self, now: float) -> None:
        """Every token has the same lifetime, so issue order is expiry order: trim the front."""
        while self.issued_tokens:
            oldest = next(iter(self.issued_tokens))
            if self.issued_tokens[oldest][1] > now:
                return
            del self.issued_tokens[oldest]

    def token_client(self, token: str) -> str | None:
        """The client a still-valid token was issued to; None for any other token."""
        with self.lock:
            client_id, expires = self.issued_tokens.get(token, ("", 0.0))
            return client_id if expires > self.clock() else None

    def record(self, method: str, path: str, route: str, status: int, ms: float) -> None:
        """Append to the request log and bump the counter for method + route."""
        with self.lock:
            self.request_log.append(
                {"method": method, "path": path, "status": status, "ms": round(ms, 2)}
            )
            self.counters[f"{method} {route}"] += 1
