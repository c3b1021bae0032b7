"""The WSGI application: latency, faults, auth, throttling, api-version and routing around handlers."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from provisioner.emulator import auth, faults
from provisioner.emulator.exceptions import (
    ArmError,
    BadRequest,
    NotFound,
    NotImplementedByEmulator,
    Throttled,
)
from provisioner.emulator.state import EmulatorState
from provisioner.emulator.throttling import operation_type, throttled_message
from provisioner.emulator.urls import (
    ARM_ROUTES,
    CONTROL_ROUTES,
    MODELLED,
    PROVIDER_PATH,
    Route,
    match,
)
from provisioner.emulator.wire import Call, Reply

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"
UNMATCHED_ROUTE = "unmatched"  # the counter name of requests no route matches


def normalised_path(raw: str) -> str:
    """Collapse a leading `//` (az sends one, seen with az CLI 2.91) and drop a trailing slash."""
    path = re.sub(r"^/+", "/", raw)
    return path.rstrip("/") or "/"


class EmulatorApp:
    """Turns each request into a Call, runs the pipeline and renders the Reply as JSON."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.respond(request)
        return response(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Control requests bypass faults, latency and the log; everything else goes through."""
        path = normalised_path(request.path)
        if path.lower().startswith(CONTROL_PREFIX) or path.lower() == CONTROL_PREFIX.rstrip("/"):
            return render(self.guarded(lambda: self.control(request, path)), {})
        started = time.perf_counter()
        headers = arm_headers(request)
        # Matched before anything can fail, so every answer (an injected fault, a 400 or a 404
        # from the backend included) is counted under the route it was sent to.
        matched = match(ARM_ROUTES, request.method, path)
        reply = self.guarded(lambda: self.serve(request, path, headers, matched))
        route_name = matched[0].name if matched[0] is not None else UNMATCHED_ROUTE
        self.state.record(
            request.method, path, route_name, reply.status, (time.perf_counter() - started) * 1000
        )
        return render(reply, headers)

    def guarded(self, action: Callable[[], Reply]) -> Reply:
        """Run the pipeline; ARM errors become their envelope, anything else a logged 500."""
        try:
            return action()
        except ArmError as error:
            return Reply(error.status, error.body(), error.headers)
        except Exception:
            log.exception("emulator: unhandled error")
            failure = ArmError(
                "The emulator hit an internal error; see its log.",
                code="InternalServerError",
                status=500,
            )
            return Reply(500, failure.body())

    def control(self, request: Request, path: str) -> Reply:
        """Dispatch a /_emulator/ request."""
        found, params, allowed = match(CONTROL_ROUTES, request.method, path)
        if found is None:
            raise NotFound(
                f"No control route {request.method} {path}"
                + (f" (allowed: {', '.join(allowed)})" if allowed else ""),
                code="NotFound",
            )
        return found.handler(Call(request, params, self.state, path))

    def serve(
        self,
        request: Request,
        path: str,
        headers: dict[str, str],
        matched: tuple[Route | None, dict[str, str], list[str]],
    ) -> Reply:
        """The ARM pipeline: latency, fault, route, auth, throttle, api-version, handler."""
        method = request.method
        injected = self.delay_and_inject(method, path)
        if injected is not None:
            return injected
        found, params, allowed = matched
        if found is None:
            raise unmatched(method, path, allowed, request.args.get("api-version", ""))
        call = Call(request, params, self.state, path)
        if found.arm:
            self.admit(call, found, headers)
        reply = found.handler(call)
        if found.arm and method != "GET" and reply.status < 400:  # a write changed the world
            self.state.on_change()
        return reply

    def delay_and_inject(self, method: str, path: str) -> Reply | None:
        """Configured latency, then the first matching fault (stall, then maybe an error, or
        an injected answer, returned instead of the real one)."""
        latency = self.state.settings.latency_ms
        if latency:
            time.sleep(latency / 1000)
        fault = self.state.take_fault(method, path)
        if fault is None:
            return None
        if fault.stall_seconds:
            time.sleep(fault.stall_seconds)
        if fault.has_body:
            return Reply(fault.status or 200, fault.body)
        if fault.status is not None:
            raise faults.fault_error(fault, method, path, self.state.client_id)
        return None

    def admit(self, call: Call, found: Route, headers: dict[str, str]) -> None:
        """Bearer token, token bucket (headers always, 429 when enforced), api-version."""
        auth.require_bearer(call.request.headers.get("Authorization", ""))
        subscription = call.params.get("subscription")
        operation = operation_type(call.request.method)
        scope = "subscription" if subscription else "tenant"
        allowed, remaining, retry_after = self.state.throttle.spend(
            subscription or "tenant", operation
        )
        headers[f"x-ms-ratelimit-remaining-{scope}-{operation}"] = str(remaining)
        if not allowed:
            raise Throttled(
                throttled_message(
                    call.request.method, subscription or "", call.caller, retry_after
                ),
                headers={"Retry-After": str(retry_after)},
            )
        check_api_version(call.api_version, found)


def check_api_version(version: str, found: Route) -> None:
    """ARM's 400s for a missing or unsupported api-version, listing the supported ones."""
    if found.api_versions is None:
        return
    if not version:
        raise BadRequest(
            "The api-version query parameter (?api-version=) is required for all requests.",
            code="MissingApiVersionParameter",
        )
    if version in found.api_versions:
        return
    supported = ", ".join(found.api_versions)
    kind = found.name.split(".")[0]
    if kind in ("subscriptions", "resourceGroups"):
        raise BadRequest(
            f"The api-version '{version}' is invalid. The supported versions are '{supported}'.",
            code="InvalidApiVersionParameter",
        )
    raise BadRequest(
        f"No registered resource provider found for location 'global' and API version '{version}' for type '{kind}'. The supported api-versions are '{supported}'.",
        code="NoRegisteredProviderFound",
    )


def unmatched(method: str, path: str, allowed: list[str], version: str) -> ArmError:
    """A loud error for a route the emulator lacks; never a fake success."""
    if allowed:
        return NotImplementedByEmulator(
            f"The emulator does not implement {method} on '{path}'; it implements {', '.join(sorted(set(allowed)))} there."
        )
    provider = PROVIDER_PATH.match(path)
    if provider is None:
        return NotFound(f"The emulator has no route for {method} '{path}'.", code="NotFound")
    namespace, resource_type = provider["ns"], provider["type"] or ""
    modelled = MODELLED.get(namespace.lower())
    if modelled is None:
        return BadRequest(
            f"The resource namespace '{namespace}' is not modelled by the emulator (it models {', '.join(sorted(MODELLED))}).",
            code="InvalidResourceNamespace",
        )
    if resource_type.lower() not in modelled:
        return BadRequest(
            f"The resource type '{resource_type}' could not be found in the namespace '{namespace}' for api version '{version}'.",
            code="InvalidResourceType",
        )
    return NotImplementedByEmulator(
        f"The emulator does not implement {method} '{path}' (a {namespace}/{resource_type} route it does not model)."
    )


def arm_headers(request: Request) -> dict[str, str]:
    """Headers every ARM response carries (the RP must return x-ms-request-id, ARM RPC)."""
    correlation = request.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
    headers = {"x-ms-request-id": str(uuid.uuid4()), "x-ms-correlation-request-id": correlation}
    client_request = request.headers.get("x-ms-client-request-id")
    if client_request:
        headers["x-ms-client-request-id"] = client_request
    return headers


def render(reply: Reply, headers: dict[str, str]) -> Response:
    """The werkzeug Response: JSON body unless there is none (or 204), headers merged."""
    empty = reply.body is None or reply.status == 204
    payload = b"" if empty else json.dumps(reply.body).encode()
    response = Response(
        payload,
        status=reply.status,
        content_type=None if empty else "application/json; charset=utf-8",
    )
    for name, value in {**headers, **reply.headers}.items():
        response.headers[name] = value
    return response
