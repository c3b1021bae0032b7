"""ARM's token-bucket throttling per subscription and operation type (Learn, request-limits-and-throttling)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

# Bucket size and refill per second: reads 250 @ 25/s, writes and deletes 200 @ 10/s [RLT25].
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "reads": (250, 25.0),
    "writes": (200, 10.0),
    "deletes": (200, 10.0),
}


def operation_type(method: str) -> str:
    """ARM's bucket for a method: GET/HEAD read, DELETE delete, everything else (incl. POST) write."""
    method = method.upper()
    if method in ("GET", "HEAD"):
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


def throttled_message(method: str, subscription: str, actor: str, seconds: int) -> str:
    """ARM's documented 429 message; it names the bucket in the singular ('read', 'write')."""
    operation = operation_type(method).removesuffix("s")
    return (
        f"Number of '{operation}' requests for subscription '{subscription}' actor '{actor}'"
        f" exceeded. Please try again after '{seconds}' seconds after additional tokens are"
        " available. Refer to https://aka.ms/arm-throttling for additional information."
    )


@dataclass
class Bucket:
    """One token bucket; a request spends a token even when the RP then fails [OBS]."""

    capacity: int
    refill_per_second: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        """Refill for the time elapsed, then spend a token if one is left."""
        self.tokens = min(
            self.capacity, self.tokens + (now - self.updated) * self.refill_per_second
        )
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def retry_after(self) -> int:
        """Whole seconds until a token is back (at least 1: Retry-After 0 means 'no header')."""
        return max(1, math.ceil((1 - self.tokens) / self.refill_per_second))


class Throttle:
    """All buckets; tracking is always on (headers), enforcement (429) only when enabled."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.enabled = False
        self.limits = dict(DEFAULT_LIMITS)
        self.buckets: dict[tuple[str, str], Bucket] = {}

    def configure(self, enabled: bool, limits: dict[str, tuple[int, float]] | None = None) -> None:
        """Switch enforcement and optionally change limits; buckets start full again."""
        with self.lock:
            self.enabled = enabled
            self.limits = {**DEFAULT_LIMITS, **(limits or {})}
            self.buckets.clear()

    def spend(self, subscription: str, operation: str) -> tuple[bool, int, int]:
        """Spend a token: (allowed, remaining tokens, retry-after seconds if refused)."""
        with self.lock:
            bucket = self.bucket(subscription.lower(), operation)
            had_token = bucket.take(time.monotonic())
            allowed = had_token or not self.enabled
            return allowed, int(bucket.tokens), 0 if allowed else bucket.retry_after()

    def bucket(self, subscription: str, operation: str) -> Bucket:
        """The bucket for (subscription, operation), created full."""
        key = (subscription, operation)
        if key not in self.buckets:
            capacity, refill = self.limits[operation]
            self.buckets[key] = Bucket(capacity, refill, float(capacity), time.monotonic())
        return self.buckets[key]
