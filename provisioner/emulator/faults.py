"""Injected faults as ARM would phrase them: the error code and message for each status."""

from __future__ import annotations

import re

from provisioner.emulator.exceptions import ArmError
from provisioner.emulator.state import Fault
from provisioner.emulator.throttling import throttled_message


def fault_error(fault: Fault, method: str, path: str, client_id: str) -> ArmError:
    """The ARM error an injected status stands for, with Retry-After when asked."""
    status = fault.status or 500
    code, message = FAULT_TEXT.get(
        status, ("EmulatorInjectedFault", "The emulator injected this fault.")
    )
    message = message.format(
        action=arm_action(method, path),
        scope=path,
        client=client_id,
        seconds=fault.retry_after or 1,
        throttled=throttled_message(
            method, subscription_of(path), client_id, fault.retry_after or 1
        ),
    )
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    return ArmError(
        fault.message or message, code=fault.code or code, status=status, headers=headers
    )


FAULT_TEXT: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid (injected by the emulator)."),
    403: (
        "AuthorizationFailed",
        "The client '{client}' with object id '{client}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
    ),
    404: (
        "ResourceNotFound",
        "The Resource at '{scope}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    ),
    409: (
        "Conflict",
        "The operation on '{scope}' conflicts with another operation in progress. Please retry later.",
    ),
    429: ("SubscriptionRequestsThrottled", "{throttled}"),  # as a real empty bucket words it
    500: (
        "InternalServerError",
        "Encountered internal server error. Diagnostic information: the emulator injected this fault.",
    ),
    502: ("BadGateway", "The gateway did not receive a response from the resource provider."),
    503: (
        "ServiceUnavailable",
        "The service is unavailable. Please try again after '{seconds}' seconds.",
    ),
    504: (
        "GatewayTimeout",
        "The gateway did not receive a response from 'Microsoft.Insights' within the specified time period.",
    ),
}


def arm_action(method: str, path: str) -> str:
    """The RBAC action a request needs, e.g. Microsoft.Insights/actionGroups/write."""
    match = re.search(r"/providers/([^/]+)/([^/]+)", path, re.IGNORECASE)
    resource_type = (
        f"{match[1]}/{match[2]}" if match else "Microsoft.Resources/subscriptions/resourceGroups"
    )
    verb = {"GET": "read", "DELETE": "delete", "POST": "action"}.get(method, "write")
    return f"{resource_type}/{verb}"


def subscription_of(path: str) -> str:
    """The subscription id in a path ('' when none)."""
    match = re.match(r"/subscriptions/([^/]+)", path, re.IGNORECASE)
    return match[1] if match else ""
