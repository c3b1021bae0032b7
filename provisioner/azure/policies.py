"""The HTTP pipeline policies of every SDK client: retries, the shared throttle pause, the request count."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Final

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy, RetryPolicy

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
_READS: Final = frozenset({"GET", "HEAD"})
# Keys of ThrottlePause's own in a request's pipeline context.
_DEADLINE: Final = "alertsync_throttle_deadline"
_SENT: Final = "alertsync_sent"


def _is_idempotent(request: PipelineRequest[Any]) -> bool:
    return request.http_request.method.upper() in _RETRY_METHODS


class ArmRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's RetryPolicy (Retry-After honoured) that retries PATCH on 5xx, never a POST,
    and leaves 429 to ThrottlePause, which waits it out without spending these retries."""

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


class ThrottlePause(HTTPPolicy[Any, Any]):
    """On a 429, pause every request of the run until Retry-After has passed, then re-send.

    ARM's write bucket refills at 10 tokens a second for the whole subscription
    (docs/azure-behaviour.md#arm-throttling): when
    16 workers each wait out their own Retry-After and give up after a few tries, an apply of a
    few hundred changes fails changes while tokens keep arriving. One shared "resume at" makes
    all clients of one Azure object back off together; re-sending here (a per-retry policy, so
    each attempt is still signed and counted) spends no RetryPolicy budget.

    Each request waits at most `budget` seconds in all, including the shared pause it finds on
    arrival; a 429 whose Retry-After would take it past that surfaces at once and holds nobody
    else up. Only idempotent requests are re-sent: a POST's 429 is returned at once. Once
    interrupted, a write that has not been sent is never sent (NotSent), while reads (lists,
    long-running-operation polls) still wait: what Azure accepted must still be read back.
    """

    def __init__(self, budget: float) -> None:
        super().__init__()
        self.budget = budget
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self._interrupted = threading.Event()

    def interrupt(self) -> None:
        """Writes waiting out throttling give up at once, unsent; used when apply stops."""
        self._interrupted.set()

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        # This policy runs once per RetryPolicy attempt; the request's context outlives them,
        # so the budget and "was it ever sent" are per request, not per attempt.
        context = request.context
        deadline = context.get(_DEADLINE) or time.monotonic() + self.budget
        context[_DEADLINE] = deadline
        write = request.http_request.method.upper() not in _READS
        while True:
            self._wait(deadline, interruptible=write)
            if write and self._interrupted.is_set() and not context.get(_SENT):
                raise NotSent(
                    f"{request.http_request.method} was not sent: the apply was interrupted"
                )
            # A retry of a write Azure may have applied (a timeout, a 5xx) goes on after an
            # interrupt; a 429 says it was not processed, so that one is not sent again.
            context[_SENT] = True
            response = self.next.send(request)
            if response.http_response.status_code != THROTTLED or not _is_idempotent(request):
                return response
            context[_SENT] = False
            asked = _retry_after(response)
            delay = max(_DEFAULT_THROTTLE_PAUSE if asked is None else asked, _MIN_THROTTLE_PAUSE)
            if time.monotonic() + delay > deadline:
                return response
            log.debug("throttled: %s %s", request.http_request.method, request.http_request.url)
            self._pause_all(delay)

    def _pause_all(self, delay: float) -> None:
        """Push the shared resume time out to now + delay."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + delay)

    def _wait(self, deadline: float, *, interruptible: bool) -> None:
        """Until the shared resume time (it may move on meanwhile), the deadline or, when
        interruptible, an interrupt: whichever comes first."""
        while not (interruptible and self._interrupted.is_set()):
            with self._lock:
                remaining = min(self._resume_at, deadline) - time.monotonic()
            if remaining <= 0:
                return
            if interruptible:
                self._interrupted.wait(remaining)
            else:
                time.sleep(remaining)


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
