"""Typed ARM errors, each serialised as the ARM envelope {"error": {"code", "message"}}."""

from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """An error answer: HTTP status, ARM error code, message and optional extra headers."""

    status = 400
    code = "BadRequest"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The ARM error envelope (common-api-details: `code` and `message` are mandatory)."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ArmError):
    """400: the resource provider rejected the request body (validation)."""


class InvalidRequestContent(ArmError):
    """400: the body is not JSON, or not a JSON object (public CLI transcripts)."""

    code = "InvalidRequestContent"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The request content was invalid and could not be deserialized: {detail}")


class UnsupportedMediaType(ArmError):
    """415: a write with a body that does not declare application/json."""

    status = 415
    code = "UnsupportedMediaType"


class NotFound(ArmError):
    """404: a resource, resource group, subscription or route that does not exist."""

    status = 404
    code = "ResourceNotFound"


class Conflict(ArmError):
    """409: the request conflicts with the current state."""

    status = 409
    code = "Conflict"


class Unauthorized(ArmError):
    """401: no usable bearer token on an ARM route."""

    status = 401
    code = "AuthenticationFailed"


class Throttled(ArmError):
    """429: a token bucket is empty (Learn request-limits-and-throttling, documented message)."""

    status = 429
    code = "SubscriptionRequestsThrottled"


class NotImplementedByEmulator(ArmError):
    """501: a real Azure route the emulator does not model; loud, never a fake success."""

    status = 501
    code = "NotImplemented"


def resource_group_not_found(name: str) -> NotFound:
    """ARM's own 404 for a missing resource group (ARM RPC)."""
    return NotFound(f"Resource group '{name}' could not be found.", code="ResourceGroupNotFound")


def subscription_not_found(subscription_id: str) -> NotFound:
    """ARM's own 404 for an unknown subscription."""
    return NotFound(
        f"The subscription '{subscription_id}' could not be found.", code="SubscriptionNotFound"
    )


def resource_not_found(resource_type: str, name: str, resource_group: str) -> NotFound:
    """ARM's 404 for a missing resource, worded as ARM words it (ARM RPC)."""
    return NotFound(
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not"
        " found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )
