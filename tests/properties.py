"""Hypothesis profiles: every example under `make test`, a tenth of them under `make test-fast`."""

from __future__ import annotations

from typing import Any

from hypothesis import settings

FULL = "alertsync"  # loaded by tests/conftest.py: what `make test` and CI run
FAST = "fast"  # `make test-fast` selects it with --hypothesis-profile=fast

# Property tests judge results, never speed: on 2 shared cores an example can take longer than
# hypothesis's default 200 ms deadline, and that is no defect. Speed lives in `make bench`.
settings.register_profile(FULL, deadline=None)
# The inner loop still runs every property and every explicit @example, on fewer generated
# inputs; the full counts run in `make test`.
settings.register_profile(FAST, settings.get_profile(FULL), max_examples=10)


def examples(full: int, **other: Any) -> settings:
    """`@examples(N)` in place of `@settings(max_examples=N)`: N generated examples under the
    full profile, the fast profile's share of N (at least 1) under `make test-fast`."""
    share = settings.default.max_examples / settings.get_profile(FULL).max_examples
    return settings(max_examples=max(1, round(full * share)), **other)
