"""SDK errors translated once into AzureError (with `status` and `code`) and its subclasses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

from azure.core.exceptions import AzureError as SdkError
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from provisioner.azure.pacing import Clock
from provisioner.azure.policies import THROTTLED, retry_after_header
from provisioner.azure.settings import AzureSettings
from provisioner.errors import AzureError, ResourceGroupNotFound

__all__ = [
    "BACKUP_ROLE",
    "MONITORING_ROLE",
    "READER_ROLE",
    "ResourceGroupNotFound",
    "ResourceNotFound",
    "SubscriptionNotFound",
    "TestNotificationLimit",
    "calling",
    "limiting_test_notifications",
    "not_found_code",
]

T = TypeVar("T")

# The built-in roles each call needs: reading takes Reader (plan, export), writing the contributors.
READER_ROLE: Final = "Reader (or Monitoring Reader)"
MONITORING_ROLE: Final = "Monitoring Contributor"
BACKUP_ROLE: Final = "Backup Contributor (or another role allowed to write vaults)"

NOT_FOUND: Final = 404
FORBIDDEN: Final = 403


class SubscriptionNotFound(AzureError):
    """A subscription-wide list found no such subscription (or none visible to the credential)."""


class ResourceNotFound(AzureError):
    """The resource (or its resource group) a call named does not exist."""


class TestNotificationLimit(AzureError):
    """Azure refused a test notification (429): its per-group or per-subscription quota is used."""

    __test__ = False  # not a pytest test class, whatever its name


def calling(
    action: str, role: str, settings: AzureSettings, fn: Callable[[], T], clock: Clock
) -> T:
    """Run one SDK call; any SDK error becomes one AzureError naming `action`.

    `clock` is the one requests are paced by, so a throttled call says how long it waited.
    """
    started = clock.now()
    try:
        return fn()
    except SdkError as exc:
        detail = _explain(settings, role, exc)
        status = _status(exc)
        if status == THROTTLED:
            waited = clock.now() - started
            detail = detail.rstrip(".") + _throttled_for(settings, waited)
        raise AzureError(
            f"{action}: {detail}", detail=detail, status=status, code=_code(exc)
        ) from exc


def limiting_test_notifications(action: str, fn: Callable[[], T]) -> T:
    """Run `fn` (a test-notification request); its 429 becomes TestNotificationLimit."""
    try:
        return fn()
    except HttpResponseError as exc:
        if exc.status_code == THROTTLED:
            raise TestNotificationLimit(
                f"{action}: {_test_limit_text(exc)}", status=THROTTLED, code=_code(exc)
            ) from exc
        raise


def not_found_code(err: AzureError) -> str | None:
    """For a 404, ARM's error code lower-cased ("" when the body has none), else None.

    ARM says which part of the path is missing: ResourceGroupNotFound, SubscriptionNotFound or
    ResourceNotFound (docs/azure-behaviour.md#arm-not-found).
    """
    if err.status != NOT_FOUND:
        return None
    return (err.code or "").lower()


def _throttled_for(settings: AzureSettings, seconds: float) -> str:
    return (
        f"; still throttled after {seconds:.0f}s of waiting (alertsync waits up to "
        f"ALERTSYNC_THROTTLE_BUDGET={settings.throttle_budget:g}s per request); another "
        "client may be using the same limits: re-run `alertsync apply` to converge"
    )


def _explain(settings: AzureSettings, role: str, exc: SdkError) -> str:
    """What went wrong and what to do, without the action (the caller adds it)."""
    if isinstance(exc, ClientAuthenticationError):
        return _explain_sign_in(settings, exc)
    if isinstance(exc, HttpResponseError) and exc.status_code == FORBIDDEN:
        return (
            f"access denied to {settings.credential_label}: {_service_text(exc)}; "
            f"it needs the {role} role on this scope"
        )
    if isinstance(exc, HttpResponseError):
        return _service_text(exc)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return _explain_network(settings, exc)
    return _first_line(exc)


def _explain_sign_in(settings: AzureSettings, exc: SdkError) -> str:
    text, authority = _first_line(exc), settings.authority_host
    if _is_tls(text):
        return f"sign-in failed: {_tls_hint(authority, text)}"
    unreachable = _network_cause(exc)
    if unreachable is not None:
        # The token endpoint did not answer at all (a stopped emulator, a wrong host, no
        # network): no sign-in advice helps, only where it tried.
        return (
            f"cannot reach {authority} to sign in ({_first_line(unreachable)}); check "
            "AZURE_AUTHORITY_HOST and the network (and ALERTSYNC_CA_BUNDLE for a private CA)"
        )
    return (
        f"sign-in failed with {settings.credential_label}: {text} "
        "(sign in with `az login`, set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, "
        "or use workload identity; see docs/troubleshooting.md)"
    )


def _network_cause(exc: BaseException) -> BaseException | None:
    """The connection error a sign-in failure was caused by, if that is what it was."""
    seen: BaseException | None = exc.__cause__ or exc.__context__
    while seen is not None:
        if isinstance(seen, (ServiceRequestError, ServiceResponseError)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _explain_network(settings: AzureSettings, exc: SdkError) -> str:
    endpoint, text = settings.arm_endpoint, _first_line(exc)
    if _is_tls(text):
        return _tls_hint(endpoint, text)
    return (
        f"cannot reach {endpoint} ({text}); check ALERTSYNC_ARM_ENDPOINT and the "
        "network (and ALERTSYNC_CA_BUNDLE for a private CA)"
    )


def _service_error(exc: HttpResponseError) -> tuple[str | None, str]:
    """The ARM error code and message (flat and wrapped bodies both parse).

    docs/azure-behaviour.md#arm-error-envelope
    """
    if exc.error is not None and (exc.error.code or exc.error.message):
        return exc.error.code, exc.error.message or ""
    return None, exc.reason or exc.message


def _service_text(exc: HttpResponseError) -> str:
    code, message = _service_error(exc)
    return f"({code}) {message}" if code else f"HTTP {exc.status_code}: {message}"


def _is_tls(text: str) -> bool:
    return "ssl" in text.lower() or "certificate" in text.lower()


def _tls_hint(endpoint: str, text: str) -> str:
    return (
        f"the TLS certificate of {endpoint} was not trusted ({text}); if it uses a private CA "
        "(the emulator does), set ALERTSYNC_CA_BUNDLE to its CA file"
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _test_limit_text(exc: HttpResponseError) -> str:
    """One sentence: which limit, and when to try again (from Retry-After when it is given)."""
    wait = _retry_after_seconds(exc)
    when = (
        "in a few minutes"
        if wait is None
        else f"in {wait:.0f}s (after {time.strftime('%H:%M:%S %Z', time.localtime(time.time() + wait))})"
    )
    return (
        "Azure's limit on test notifications was reached (2 per action group and 5 per "
        f"subscription every 5 minutes); try again {when}"
    )


def _retry_after_seconds(exc: HttpResponseError) -> float | None:
    """Retry-After of an error response: delta-seconds or an HTTP date, parsed as azure-core does."""
    headers: Any = getattr(exc.response, "headers", None) or {}
    value = headers.get("Retry-After")
    return retry_after_header(value) if value else None


def _status(exc: SdkError) -> int | None:
    return exc.status_code if isinstance(exc, HttpResponseError) else None


def _code(exc: SdkError) -> str | None:
    """ARM's error code of an HTTP error (ResourceGroupNotFound, AuthorizationFailed, …)."""
    if isinstance(exc, HttpResponseError) and exc.error is not None:
        return exc.error.code or None
    return None
