"""Client-side pacing to ARM's token buckets: requests wait for a token instead of a 429.

Resource Manager limits each principal per subscription and operation type with a token bucket
(docs/azure-behaviour.md#arm-token-buckets): writes and deletes 200 tokens refilled at 10 a
second, reads 250 at 25 a second, and every response says how many tokens are left. `Pacer`
keeps a model of each bucket, shared by every worker of a run: a request takes a token from the
model before it is sent and waits (first come, first served) while there is none; the
remaining-tokens header and Retry-After correct the model when others use the same bucket.

The module is pure: it knows nothing of HTTP or the SDK (the pipeline policy feeds it), and all
waiting goes through an injected `Clock`, so tests drive it with a fake one and never sleep.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Final, Literal, Protocol

Operation = Literal["reads", "writes", "deletes"]
# (subscription id in lower case, or "tenant"; the operation type)
BucketKey = tuple[str, Operation]

# Bucket size and refill per second of each operation type, for a subscription and for a tenant
# (docs/azure-behaviour.md#arm-token-buckets).
LIMITS: Final[dict[Operation, tuple[int, float]]] = {
    "reads": (250, 25.0),
    "writes": (200, 10.0),
    "deletes": (200, 10.0),
}

TENANT: Final = "tenant"

# While no response has told us a bucket's level (a run may start on a bucket another run just
# emptied), only the first few requests go; the others wait for the first answer, but no longer
# than PROBE_HOLD if it is slow, and then go by the documented size.
PROBE_WINDOW: Final = 4
PROBE_HOLD: Final = 2.0

# The level of an answer that did not say it: lower than any, so nothing is caught up to it.
_NOT_SAID: Final = float("-inf")

# Refill arithmetic in floating point may leave a token a hair short of whole.
_WHOLE: Final = 1 - 1e-9

_SUBSCRIPTION: Final = re.compile(r"/subscriptions/([^/?#]+)", re.IGNORECASE)


def operation_of(method: str) -> Operation:
    """ARM's operation type of a method: GET/HEAD read, DELETE delete, others (POST too) write."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


def scope_of(url: str) -> str:
    """The subscription a URL is under (lower case), or TENANT for tenant-level requests."""
    found = _SUBSCRIPTION.search(url)
    return found.group(1).lower() if found else TENANT


def remaining_header(key: BucketKey) -> str:
    """The response header that carries the tokens left in `key`'s bucket."""
    scope, operation = key
    return f"x-ms-ratelimit-remaining-{'tenant' if scope == TENANT else 'subscription'}-{operation}"


class Clock(Protocol):
    """Time and waiting, injected so that tests run on a fake clock."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        """Wait on `condition` (its lock held) for up to `seconds` or until it is notified."""
        ...


class SystemClock:
    """The real clock: time.monotonic and Condition.wait."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        condition.wait(seconds)


class Interrupted(Exception):
    """The run was interrupted while this write waited for a token: it was never sent."""


@dataclass(frozen=True, slots=True)
class Permit:
    """A token taken for one request; settle it with what the response said."""

    key: BucketKey
    ticket: int


@dataclass
class BucketModel:
    """What we believe of one ARM bucket. Tokens go below zero while a pause is owed.

    Without another client on the bucket the model is never above the real level: a token is
    taken here before the request reaches ARM, and both refill at the same documented rate.
    """

    capacity: int
    rate: float
    tokens: float
    updated: float
    known: bool = False  # a response has told us the level (or answered without saying)
    probe_sent_at: float | None = None
    sent: dict[int, float] = field(default_factory=dict)  # ticket → when, requests in flight
    paused_until: float = 0.0  # the end of the last pause a 429 asked for
    # The lowest level ARM reported since requests of ours began to overlap (-inf: one answer
    # did not say, or never came); None while none was answered.
    lowest_while_busy: float | None = None

    @classmethod
    def full(cls, operation: Operation, now: float) -> BucketModel:
        capacity, rate = LIMITS[operation]
        return cls(capacity, rate, float(capacity), now)

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.capacity), self.tokens + elapsed * self.rate)
        self.updated = max(self.updated, now)

    def seconds_to_token(self, now: float) -> float:
        """How long the next request must wait: 0 when it may go now."""
        if not self.known and len(self.sent) >= PROBE_WINDOW and self.probe_sent_at is not None:
            hold = self.probe_sent_at + PROBE_HOLD - now
            if hold > 0:
                return hold
        self.refill(now)
        return 0.0 if self.tokens >= _WHOLE else (1 - self.tokens) / self.rate

    def take(self, ticket: int, now: float) -> None:
        self.refill(now)
        self.tokens -= 1
        self.sent[ticket] = now
        if not self.known and self.probe_sent_at is None:
            self.probe_sent_at = now

    def settle(
        self, ticket: int, now: float, remaining: int | None, pause: float | None = None
    ) -> None:
        """Correct the model with a response: the tokens ARM says are left after it, and for
        a 429 the pause it asks for (Retry-After)."""
        sent_at = self.sent.pop(ticket, now)
        # Requests sent after this one were taken from the model but probably not yet counted
        # in `remaining`.
        newer = sum(1 for other in self.sent if other > ticket)
        self.refill(now)
        if remaining is not None:
            self._follow(remaining - newer, now - sent_at)
        self._catch_up(_NOT_SAID if remaining is None else float(remaining), now)
        self.known = True
        if pause is not None:
            # The next token no earlier than Retry-After, then one at a time at the refill
            # rate: the requests that waited go out spread, not all together.
            self.tokens = min(self.tokens, 1 - self.rate * pause - newer)
            self.paused_until = max(self.paused_until, now + pause)

    def _follow(self, level: int, age: float) -> None:
        """Adopt ARM's level when the model is above what this response can explain.

        The header is ARM's count when it handled the request, rounded down; since then at
        most `age` seconds of refill came in. A model above that means another client spends
        the same bucket (or the run started on a spent one): take ARM's word, rounded down.
        """
        if not self.known or self.tokens > level + 1 + self.rate * age:
            self.tokens = float(level)

    def _catch_up(self, level: float, now: float) -> None:
        """Once no request of ours is in flight, rise to the lowest level ARM reported while
        they overlapped, unless a 429's pause is still owed.

        Requests in flight reach ARM in any order, so `_follow` may subtract one that ARM had
        already counted, and it only ever lowers the model: each such answer left the model a
        token short for good, and a run's last writes went out tenths of a second after their
        tokens (issue 15). When every overlapping request is answered, the lowest level among
        their answers is one ARM had after all of them (refill since only adds), so the model
        may take it.
        """
        low = self.lowest_while_busy
        self.lowest_while_busy = level if low is None else min(low, level)
        if self.sent:
            return
        if now >= self.paused_until:
            self.tokens = max(self.tokens, self.lowest_while_busy)
        self.lowest_while_busy = None

    def forget(self, ticket: int) -> None:
        """A request that got no response: its token stays spent, it is no longer in flight."""
        self.sent.pop(ticket, None)
        self.lowest_while_busy = _NOT_SAID  # whether ARM counted it is unknown


class Pacer:
    """One model bucket per (subscription or tenant, operation type), shared by all threads.

    `acquire` waits first come, first served for a token of the request's bucket; reads,
    writes and deletes have buckets of their own, so reads never wait behind writes. Once
    `interrupt`ed, a request acquired as interruptible (a write not yet sent) stops waiting
    at once and raises Interrupted.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        # Re-entrant: a fake clock runs scheduled actions while a waiter holds the lock.
        self._changed = threading.Condition(threading.RLock())
        self._buckets: dict[BucketKey, BucketModel] = {}
        self._queues: dict[BucketKey, deque[int]] = {}
        self._tickets = itertools.count(1)
        self._interrupted = False

    def interrupt(self) -> None:
        """Writes waiting for a token give up at once (the apply was interrupted)."""
        with self._changed:
            self._interrupted = True
            self._changed.notify_all()

    @property
    def interrupted(self) -> bool:
        with self._changed:
            return self._interrupted

    def acquire(self, key: BucketKey, deadline: float, *, interruptible: bool) -> Permit:
        """Wait for a token of `key`'s bucket, in turn, and take it.

        Past `deadline` the request stops waiting and takes a token anyway: ARM then decides,
        and a 429 surfaces to the caller. Raises Interrupted when interruptible and interrupted.
        """
        with self._changed:
            ticket = next(self._tickets)
            queue = self._queues.setdefault(key, deque())
            queue.append(ticket)
            try:
                self._wait_for_turn(key, ticket, deadline, interruptible=interruptible)
                self._bucket(key).take(ticket, self.clock.now())
            finally:
                queue.remove(ticket)
                self._changed.notify_all()
        return Permit(key, ticket)

    def _wait_for_turn(
        self, key: BucketKey, ticket: int, deadline: float, *, interruptible: bool
    ) -> None:
        queue = self._queues[key]
        while True:
            if interruptible and self._interrupted:
                raise Interrupted
            now = self.clock.now()
            left = deadline - now
            if left <= 0:
                return
            # Only the first in line watches the clock; the others wait to be notified.
            wait = self._bucket(key).seconds_to_token(now) if queue[0] == ticket else left
            if wait <= 0:
                return
            self.clock.wait(self._changed, min(wait, left))

    def settle(self, permit: Permit, remaining: int | None, pause: float | None = None) -> None:
        """The response came: `remaining` tokens according to ARM (None when it did not say),
        and for a 429 about to be re-sent the pause it asked for."""
        with self._changed:
            self._bucket(permit.key).settle(permit.ticket, self.clock.now(), remaining, pause)
            self._changed.notify_all()

    def forget(self, permit: Permit) -> None:
        """No response came (a network error): the token stays spent."""
        with self._changed:
            self._bucket(permit.key).forget(permit.ticket)
            self._changed.notify_all()

    def tokens(self, key: BucketKey) -> float:
        """The model's tokens of `key` now (for tests and diagnostics)."""
        with self._changed:
            bucket = self._bucket(key)
            bucket.refill(self.clock.now())
            return bucket.tokens

    def _bucket(self, key: BucketKey) -> BucketModel:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = BucketModel.full(key[1], self.clock.now())
        return bucket
