"""The HTTP pipeline policies of every SDK client: retries, pacing to ARM's token buckets, the request count."""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, RetryPolicy

from provisioner.azure import pacing
from provisioner.azure.pacing import BucketKey, Pacer, Permit
from provisioner.errors import NotSent

log = logging.getLogger(__name__)


# azure-core retries 408/429/5xx only for idempotent methods and, for PATCH, only 500/503/504
# (docs/azure-behaviour.md#arm-retries). Our only PATCH is the vault's monitoringSettings, a merge of fixed values and so
# idempotent: retry it like PUT. POST (test notifications) is never retried: a retry would send
# the notifications twice, and its 429 means the test quota is used up
# (docs/azure-behaviour.md#test-notifications).
_RETRY_METHODS: Final = frozenset({"HEAD", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"})

THROTTLED: Final = 429

# When a 429 comes without Retry-After (ARM always sends one), wait this long before re-sending;
# and never less than the minimum, so that a Retry-After of 0 is no busy loop.
_DEFAULT_THROTTLE_PAUSE: Final = 1.0
_MIN_THROTTLE_PAUSE: Final = 0.25
# Keys of PacingPolicy's own in a request's pipeline context.
_DEADLINE: Final = "alertsync_throttle_deadline"
_SENT: Final = "alertsync_sent"


def _is_idempotent(request: PipelineRequest[Any]) -> bool:
    return request.http_request.method.upper() in _RETRY_METHODS


class ArmRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's RetryPolicy (Retry-After honoured) that retries PATCH on 5xx, never a POST,
    and leaves 429 to PacingPolicy, which waits it out without spending these retries."""

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("retry_on_methods", _RETRY_METHODS)
        return super().configure_retries(options)

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        if response.http_response.status_code == THROTTLED:
            return False
        if response.http_request.method.upper() == "POST":
            return False
        return bool(super().is_retry(settings, response))


# Reads Retry-After (then retry-after-ms, x-ms-retry-after-ms) exactly as azure-core does.
_RETRY_AFTER_READER: Final = RetryPolicy()


def _retry_after(response: PipelineResponse[Any, Any]) -> float | None:
    """Seconds the response asks us to wait, or None when it does not say."""
    return _RETRY_AFTER_READER.get_retry_after(response)


def retry_after_header(value: str) -> float | None:
    """A Retry-After value (delta-seconds or an HTTP date) in seconds, parsed as azure-core does."""
    try:
        return _RETRY_AFTER_READER.parse_retry_after(value)
    except (TypeError, ValueError):
        return None


class PacingPolicy(HTTPPolicy[Any, Any]):
    """Each request waits for a token of its ARM bucket (pacing.Pacer) before it is sent; a 429
    is re-sent after its Retry-After, which pauses that bucket only.

    ARM's buckets are per subscription and operation type (docs/azure-behaviour.md#arm-token-buckets):
    16 workers sending as fast as they can would empty the write bucket and then be answered
    429 for most of what follows. One Pacer shared by every SDK client of a run keeps them to
    what the bucket gives. Re-sending here (a per-retry policy, so each attempt is still signed
    and counted) spends no RetryPolicy budget.

    Each request waits at most `budget` seconds in all, for tokens and after 429s; past that it
    is sent anyway, and a 429 whose Retry-After would take it past the budget surfaces at once
    and pauses nobody else. Only idempotent requests are re-sent: a POST's 429 is returned at
    once. Once interrupted, a write that has not been sent is never sent (NotSent), while reads
    (lists, long-running-operation polls) still wait: what Azure accepted must still be read back.
    """

    def __init__(self, budget: float, pacer: Pacer) -> None:
        super().__init__()
        self.budget = budget
        self.pacer = pacer

    def interrupt(self) -> None:
        """Writes waiting for a token give up at once, unsent; used when apply stops."""
        self.pacer.interrupt()

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        # This policy runs once per RetryPolicy attempt; the request's context outlives them,
        # so the budget and "was it ever sent" are per request, not per attempt.
        context = request.context
        deadline = context.get(_DEADLINE) or self.pacer.clock.now() + self.budget
        context[_DEADLINE] = deadline
        http = request.http_request
        key = (pacing.scope_of(http.url), pacing.operation_of(http.method))
        while True:
            # A retry of a write Azure may have applied (a timeout, a 5xx) goes on after an
            # interrupt; a 429 says it was not processed, so that one is not sent again.
            unsent_write = key[1] != "reads" and not context.get(_SENT)
            permit = self._acquire(key, deadline, http.method, interruptible=unsent_write)
            context[_SENT] = True
            try:
                response = self.next.send(request)
            except BaseException:
                self.pacer.forget(permit)
                raise
            pause = self._pause(request, response, deadline)
            self.pacer.settle(permit, _remaining(response, key), pause)
            if pause is None:
                return response
            context[_SENT] = False
            log.debug("throttled: %s %s", http.method, http.url)

    def _acquire(
        self, key: BucketKey, deadline: float, method: str, *, interruptible: bool
    ) -> Permit:
        try:
            return self.pacer.acquire(key, deadline, interruptible=interruptible)
        except pacing.Interrupted:
            raise NotSent(f"{method} was not sent: the apply was interrupted") from None

    def _pause(
        self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any], deadline: float
    ) -> float | None:
        """For a 429 to send again, the seconds to wait first; None to return the response."""
        if response.http_response.status_code != THROTTLED or not _is_idempotent(request):
            return None
        asked = _retry_after(response)
        delay = max(_DEFAULT_THROTTLE_PAUSE if asked is None else asked, _MIN_THROTTLE_PAUSE)
        if self.pacer.clock.now() + delay > deadline:
            return None
        return delay


def _remaining(response: PipelineResponse[Any, Any], key: BucketKey) -> int | None:
    """The tokens ARM says are left in the request's bucket; None when it does not say."""
    value = response.http_response.headers.get(pacing.remaining_header(key))
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RequestCounter:
    """Counts HTTP requests to ARM (retries included, token requests excluded); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def __call__(self, request: PipelineRequest[Any]) -> None:
        with self._lock:
            self._count += 1

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def reset(self) -> None:
        with self._lock:
            self._count = 0
