"""A fake Clock for the pacer: waiting moves time on at once, running what is scheduled meanwhile.

Single-threaded by design: what would happen on other threads (a response arriving, another
client spending tokens, an interrupt) is scheduled with `at`/`after` and runs, in time order,
inside the wait that reaches it, as a notification would wake a real waiter.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable


class FakeClock:
    """Implements provisioner.azure.pacing.Clock without ever sleeping."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.waited = 0.0  # seconds spent in wait(), in all
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.time

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._due, (when, next(self._order), action))

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        self.at(self.time + seconds, action)

    def wait(self, condition: threading.Condition, seconds: float) -> None:
        """Up to `seconds` on: the first scheduled action due by then ends the wait early."""
        started = self.time
        target = self.time + seconds
        if self._due and self._due[0][0] <= target:
            self.run_next()
        else:
            self.time = target
        self.waited += self.time - started

    def run_next(self) -> bool:
        """Move to the next scheduled action and run it; False when nothing is scheduled."""
        if not self._due:
            return False
        when, _, action = heapq.heappop(self._due)
        self.time = max(self.time, when)
        action()
        return True

    def run_all(self) -> None:
        while self.run_next():
            pass
