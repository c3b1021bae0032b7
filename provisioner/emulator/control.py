"""The /_emulator/ control API handlers (the client is `client.EmulatorControl`)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

from provisioner.emulator import action_groups, alerts, virtual_machines
from provisioner.emulator.exceptions import BadRequest
from provisioner.emulator.models import World
from provisioner.emulator.seed import SeedError, seeded_copy
from provisioner.emulator.state import EmulatorState, Fault, Settings
from provisioner.emulator.throttling import DEFAULT_LIMITS
from provisioner.emulator.wire import Call, Reply


def reset_state(state: EmulatorState, seed: Any) -> None:
    """Back to start-up: empty world (then the seed), no faults, log, throttling or overrides.

    The seed is applied to a fresh world first, so an invalid seed changes nothing.
    """
    fresh = seeded(lambda: seeded_copy(World(), seed))
    with state.world.lock:
        state.world.adopt(fresh)
    with state.lock:
        state.faults.clear()
        state.notification_failures.clear()
        state.request_log.clear()
        state.counters.clear()
        state.settings = dataclasses.replace(state.baseline)
    state.throttle.configure(enabled=False)


def body_object(call: Call, allowed: tuple[str, ...] | None) -> dict[str, Any]:
    """The control request's JSON object ({} when empty); 400 naming any key not `allowed`."""
    body = call.json_body()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise BadRequest("The control API takes a JSON object.")
    for key in body:
        if allowed is not None and key not in allowed:
            raise BadRequest(
                f"Unknown key '{key}' for {call.request.method} {call.path}"
                f" (allowed: {', '.join(allowed) or 'none'})."
            )
    return body


def seeded(action: Callable[[], World]) -> World:
    """Run a seeding action, turning a SeedError into a 400."""
    try:
        return action()
    except SeedError as error:
        raise BadRequest(f"Invalid seed document: {error}", code="InvalidSeed") from error


def handle_reset(call: Call) -> Reply:
    """POST /_emulator/reset [{"seed": doc}]."""
    seed = body_object(call, ("seed",)).get("seed")
    reset_state(call.state, seed)
    call.state.on_change()
    return Reply(200, {"status": "reset"})


def handle_seed(call: Call) -> Reply:
    """POST /_emulator/seed: add the document's contents to the world, all or nothing."""
    document = body_object(call, None)  # the seed checks its own keys (InvalidSeed)
    with call.state.world.lock:
        world = call.state.world
        world.adopt(seeded(lambda: seeded_copy(world, document)))
    call.state.on_change()
    return Reply(200, {"status": "seeded"})


FAULT_KEYS = (
    "method",
    "path",
    "status",
    "count",
    "retryAfter",
    "stallSeconds",
    "code",
    "message",
    "body",
)
FAULT_METHODS = ("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "*")


def handle_add_fault(call: Call) -> Reply:
    """POST /_emulator/faults {"method","path","status"|"stallSeconds"|"body","count","retryAfter"}."""
    fault = parse_fault(body_object(call, FAULT_KEYS))
    with call.state.lock:
        call.state.faults.append(fault)
    return Reply(201, fault.describe())


def parse_fault(body: dict[str, Any]) -> Fault:
    """A Fault from its JSON form; 400 naming the key for anything malformed."""
    path_pattern = optional_text(body, "path") or ".*"
    try:
        path = re.compile(path_pattern, re.IGNORECASE)
    except re.error as error:
        raise BadRequest(f"'path' is not a valid regular expression: {error}") from error
    status = body.get("status")
    stall = number(body.get("stallSeconds", 0), "stallSeconds", minimum=0)
    has_body = "body" in body
    if status is None and not stall and not has_body:
        raise BadRequest(
            "A fault needs 'status' (e.g. 429, 500, 403), 'stallSeconds' and/or 'body'."
        )
    lowest = 200 if has_body else 400
    if status is not None and (type(status) is not int or not lowest <= status <= 599):
        raise BadRequest(f"'status' must be an HTTP status ({lowest}-599).")
    retry_after = body.get("retryAfter")
    if retry_after is None and status in (429, 503):
        retry_after = 1
    method = optional_text(body, "method")
    if method is not None and method.upper() not in FAULT_METHODS:
        raise BadRequest(f"'method' must be one of {', '.join(FAULT_METHODS)}; got '{method}'.")
    return Fault(
        method=method.upper() if method else None,
        path=path,
        count=integer(body.get("count", 1), "count", minimum=1),
        status=status,
        retry_after=None if retry_after is None else integer(retry_after, "retryAfter", minimum=0),
        stall_seconds=stall,
        code=optional_text(body, "code"),
        message=optional_text(body, "message"),
        body=body.get("body"),
        has_body=has_body,
    )


# ---- typed values of control bodies (bool is not a number here, unlike in Python) -----------


def integer(value: Any, name: str, *, minimum: int) -> int:
    """An integer ≥ minimum, or a 400 naming the key."""
    if type(value) is not int or value < minimum:
        raise BadRequest(f"'{name}' must be an integer ≥ {minimum}; got {json.dumps(value)}.")
    return value


def number(value: Any, name: str, *, minimum: float) -> float:
    """A number ≥ minimum, or a 400 naming the key."""
    if type(value) not in (int, float) or value < minimum:
        raise BadRequest(f"'{name}' must be a number ≥ {minimum}; got {json.dumps(value)}.")
    return float(value)


def boolean(value: Any, name: str) -> bool:
    """true or false, or a 400 naming the key."""
    if not isinstance(value, bool):
        raise BadRequest(f"'{name}' must be true or false; got {json.dumps(value)}.")
    return value


def optional_text(body: dict[str, Any], name: str) -> str | None:
    """A string or null/absent, or a 400 naming the key."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string; got {json.dumps(value)}.")
    return value


def handle_list_faults(call: Call) -> Reply:
    """GET /_emulator/faults: faults with uses left."""
    with call.state.lock:
        return Reply(200, [f.describe() for f in call.state.faults if f.count > 0])


def handle_clear_faults(call: Call) -> Reply:
    """DELETE /_emulator/faults."""
    with call.state.lock:
        call.state.faults.clear()
    return Reply(204)


def handle_requests(call: Call) -> Reply:
    """GET /_emulator/requests: [{"method","path","status","ms"}], oldest first."""
    with call.state.lock:
        return Reply(200, list(call.state.request_log))


def handle_clear_requests(call: Call) -> Reply:
    """DELETE /_emulator/requests: clears the log and the counters."""
    with call.state.lock:
        call.state.request_log.clear()
        call.state.counters.clear()
    return Reply(204)


def handle_counters(call: Call) -> Reply:
    """GET /_emulator/counters: {"<METHOD> <route>": count}."""
    with call.state.lock:
        return Reply(200, dict(call.state.counters))


def handle_latency(call: Call) -> Reply:
    """PUT /_emulator/latency {"ms": 50}: added before every ARM and sign-in request."""
    ms = integer(body_object(call, ("ms",)).get("ms"), "ms", minimum=0)
    with call.state.lock:  # reset replaces `settings` under this lock; do not write a stale one
        call.state.settings.latency_ms = ms
    return Reply(200, {"ms": ms})


def handle_settings(call: Call) -> Reply:
    """PUT /_emulator/settings {"pageSize", "vaultPatchAsync", "lroRetryAfter"}."""
    body = body_object(call, ("pageSize", "vaultPatchAsync", "lroRetryAfter"))
    page_size = integer(body.get("pageSize", 1), "pageSize", minimum=1)
    retry_after = integer(body.get("lroRetryAfter", 1), "lroRetryAfter", minimum=1)
    patch_async = boolean(body.get("vaultPatchAsync", True), "vaultPatchAsync")
    # Changed only once every value is known to be valid, and under the lock so that two
    # concurrent PUTs (or a reset) cannot interleave and the answer shows one consistent set.
    with call.state.lock:
        settings = call.state.settings
        if "pageSize" in body:
            settings.page_size = page_size
        if "lroRetryAfter" in body:
            settings.lro_retry_after = retry_after
        if "vaultPatchAsync" in body:
            settings.vault_patch_async = patch_async
        return Reply(200, settings_json(settings))


def settings_json(settings: Settings) -> dict[str, Any]:
    """The settings as PUT /_emulator/settings answers them."""
    return {
        "pageSize": settings.page_size,
        "vaultPatchAsync": settings.vault_patch_async,
        "lroRetryAfter": settings.lro_retry_after,
        "latencyMs": settings.latency_ms,
    }


def handle_throttling(call: Call) -> Reply:
    """PUT /_emulator/throttling {"enabled": true, "limits": {"reads": [capacity, refill/s]}}."""
    body = body_object(call, ("enabled", "limits"))
    enabled = boolean(body.get("enabled", False), "enabled")
    call.state.throttle.configure(enabled, parse_limits(body.get("limits")))
    return Reply(200, {"enabled": call.state.throttle.enabled})


def parse_limits(value: Any) -> dict[str, tuple[int, float]]:
    """{"reads"|"writes"|"deletes": [capacity ≥ 0, refill per second > 0]}; 400 naming the key.

    Capacity 0 throttles at once (tests use it); a zero refill would never give a token back,
    and Retry-After (seconds until the next token) would divide by zero.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("'limits' must be an object mapping reads/writes/deletes to a pair.")
    limits: dict[str, tuple[int, float]] = {}
    for operation, pair in value.items():
        if operation not in DEFAULT_LIMITS:
            raise BadRequest(
                f"Unknown key 'limits.{operation}' (allowed: {', '.join(DEFAULT_LIMITS)})."
            )
        if not isinstance(pair, list) or len(pair) != 2:
            raise BadRequest(f"'limits.{operation}' must be [capacity, refillPerSecond].")
        capacity = integer(pair[0], f"limits.{operation}[0] (capacity)", minimum=0)
        refill = number(pair[1], f"limits.{operation}[1] (refillPerSecond)", minimum=0)
        if refill == 0:
            raise BadRequest(f"'limits.{operation}[1] (refillPerSecond)' must be above 0.")
        limits[operation] = (capacity, refill)
    return limits


def handle_receiver_status(call: Call) -> Reply:
    """POST /_emulator/receivers/status {"id", "receiver", "status"}: simulate an unsubscribe."""
    body = body_object(call, ("id", "receiver", "status"))
    values = {key: optional_text(body, key) or "" for key in ("id", "receiver", "status")}
    with call.state.world.lock:
        action_groups.set_receiver_status(
            call.state.world, values["id"], values["receiver"], values["status"]
        )
    call.state.on_change()
    return Reply(200, {"status": values["status"]})


def handle_notification_failures(call: Call) -> Reply:
    """PUT /_emulator/notifications/failures {"receivers": {"name": "detail"}}: replaces the set."""
    receivers = body_object(call, ("receivers",)).get("receivers") or {}
    if not isinstance(receivers, dict) or not all(isinstance(v, str) for v in receivers.values()):
        raise BadRequest("'receivers' maps receiver names to a failure detail (a string).")
    with call.state.lock:
        call.state.notification_failures = {str(k).lower(): v for k, v in receivers.items()}
    return Reply(200, {"receivers": receivers})


def handle_fire_alert(call: Call) -> Reply:
    """POST /_emulator/alerts: fire an alert as Azure Backup would; 201 and its ids."""
    body = body_object(call, alerts.FIRE_KEYS)
    alert, fired_at = alerts.parse_fire(body, alerts.now())
    with call.state.world.lock:
        fired = alerts.fire(call.state.world, alert, fired_at)
    call.state.on_change()
    return Reply(
        201,
        {
            "id": fired["id"],
            "alertId": fired["id"].rsplit("/", 1)[-1],
            "isSuppressed": fired["properties"]["essentials"]["actionStatus"]["isSuppressed"],
        },
    )


def handle_notifications(call: Call) -> Reply:
    """GET /_emulator/notifications: the emails fired alerts sent, oldest first."""
    with call.state.world.lock:
        return Reply(200, list(call.state.world.sent))


def handle_clear_notifications(call: Call) -> Reply:
    """DELETE /_emulator/notifications."""
    with call.state.world.lock:
        call.state.world.sent.clear()
    call.state.on_change()
    return Reply(204)


def handle_agent(call: Call) -> Reply:
    """PUT /_emulator/agents {"vm": <VM id>, "status": "Ready" | "Not Ready"}."""
    body = body_object(call, ("vm", "status"))
    values = {key: optional_text(body, key) for key in ("vm", "status")}
    for key, value in values.items():
        if not value:
            raise BadRequest(f"'{key}' is required (a string).")
    status = values["status"] or ""
    if status.lower() not in ("ready", "not ready"):
        raise BadRequest(f"'status' must be 'Ready' or 'Not Ready'; got '{status}'.")
    with call.state.world.lock:
        agent = virtual_machines.set_agent(call.state.world, values["vm"] or "", status)
    call.state.on_change()
    return Reply(200, agent)


def handle_state(call: Call) -> Reply:
    """GET /_emulator/state: the world snapshot (what the state file holds)."""
    with call.state.world.lock:
        return Reply(200, call.state.world.to_json())


def handle_health(call: Call) -> Reply:
    """GET /_emulator/health."""
    return Reply(200, {"status": "ok", "url": call.state.url})
