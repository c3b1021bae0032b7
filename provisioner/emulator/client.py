"""`EmulatorControl`: a typed Python client for a running emulator's /_emulator/ API."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any


class EmulatorControlError(RuntimeError):
    """The control API answered an error."""


class EmulatorControl:
    """Drives a running emulator's /_emulator/ API over HTTPS (tests, benchmarks, pipelines)."""

    def __init__(self, url: str, ca_path: str) -> None:
        self.url = url.rstrip("/")
        self._tls = ssl.create_default_context(cafile=ca_path)

    def reset(self, seed: dict[str, Any] | None = None) -> None:
        """Empty world (or the seed), no faults, empty log, default settings."""
        self._call("POST", "reset", {"seed": seed} if seed is not None else {})

    def seed(self, doc: dict[str, Any]) -> None:
        """Add a seed document's contents to the world."""
        self._call("POST", "seed", doc)

    def add_fault(
        self,
        method: str | None = None,
        path: str = ".*",
        *,
        status: int | None = None,
        count: int = 1,
        retry_after: int | None = None,
        stall_seconds: float = 0.0,
        code: str | None = None,
        message: str | None = None,
        body: Any = None,
    ) -> None:
        """The next `count` requests matching method + path regex fail with `status`, stall,
        or (with `body`, any JSON but null) are answered that body instead (status 200 unless
        given)."""
        fault: dict[str, Any] = {
            "method": method,
            "path": path,
            "count": count,
            "stallSeconds": stall_seconds,
        }
        optional = {
            "status": status,
            "retryAfter": retry_after,
            "code": code,
            "message": message,
            "body": body,
        }
        fault.update({k: v for k, v in optional.items() if v is not None})
        self._call("POST", "faults", fault)

    def clear_faults(self) -> None:
        """Remove every pending fault."""
        self._call("DELETE", "faults")

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first: [{"method", "path", "status", "ms"}]."""
        result: list[dict[str, Any]] = self._call("GET", "requests")
        return result

    def clear_requests(self) -> None:
        """Clear the request log and counters."""
        self._call("DELETE", "requests")

    def counters(self) -> dict[str, int]:
        """Requests per "<METHOD> <route>"."""
        result: dict[str, int] = self._call("GET", "counters")
        return result

    def set_latency(self, ms: int) -> None:
        """Add `ms` milliseconds to every ARM and sign-in request."""
        self._call("PUT", "latency", {"ms": ms})

    def settings(self, **values: Any) -> dict[str, Any]:
        """Change settings (pageSize, vaultPatchAsync, lroRetryAfter); returns them all."""
        result: dict[str, Any] = self._call("PUT", "settings", values)
        return result

    def set_throttling(
        self, enabled: bool, limits: dict[str, tuple[int, float]] | None = None
    ) -> None:
        """Enforce ARM's token buckets (429 when empty), optionally with smaller limits."""
        body = {"enabled": enabled, "limits": {k: list(v) for k, v in (limits or {}).items()}}
        self._call("PUT", "throttling", body)

    def set_receiver_status(self, action_group_id: str, receiver: str, status: str) -> None:
        """Mark an email/SMS receiver Disabled (unsubscribed) or Enabled."""
        self._call(
            "POST",
            "receivers/status",
            {"id": action_group_id, "receiver": receiver, "status": status},
        )

    def fail_test_notifications(self, receivers: dict[str, str]) -> None:
        """Test notifications report these receivers (by name) Failed with the given detail."""
        self._call("PUT", "notifications/failures", {"receivers": receivers})

    def fire_alert(self, target_resource: str, **fields: Any) -> dict[str, Any]:
        """Fire an alert on a resource as Azure Backup would (fields: severity, alertRule,
        monitorService, signalType, firedAt, description, context); returns its ids."""
        result: dict[str, Any] = self._call(
            "POST", "alerts", {"targetResource": target_resource, **fields}
        )
        return result

    def notifications(self) -> list[dict[str, Any]]:
        """The emails fired alerts sent, oldest first."""
        result: list[dict[str, Any]] = self._call("GET", "notifications")
        return result

    def clear_notifications(self) -> None:
        """Forget the emails sent so far."""
        self._call("DELETE", "notifications")

    def set_agent(self, vm_id: str, status: str) -> dict[str, Any]:
        """Stop ("Not Ready") or start ("Ready") a VM's guest agent; returns its vmAgent view."""
        result: dict[str, Any] = self._call("PUT", "agents", {"vm": vm_id, "status": status})
        return result

    def state(self) -> dict[str, Any]:
        """The world snapshot."""
        result: dict[str, Any] = self._call("GET", "state")
        return result

    def _call(self, method: str, route: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{route}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, context=self._tls, timeout=30) as response:
                raw = response.read()
        except urllib.error.HTTPError as error:
            raise EmulatorControlError(
                f"{method} /_emulator/{route}: {error.code} {error.read().decode(errors='replace')}"
            ) from error
        return json.loads(raw) if raw else None
