"""Durations on `check`'s command line (`--window`, `--since`): `7d`, `36h`, `1w2d`, `90m`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

from provisioner.errors import AlertsyncError

_UNITS: Final = {"w": 7 * 86_400, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_DIGITS: Final = 18  # more is far beyond any bound here
_PART: Final = re.compile(r"(\d+)([wdhms])", re.IGNORECASE)


def parse_duration(text: str, option: str, longest: timedelta, why: str) -> timedelta:
    """A positive sum of number-unit parts, at most `longest`; `why` says where that bound comes from.

    Raises AlertsyncError naming the option, the text and what to give instead.
    """
    compact = text.strip()
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise AlertsyncError(
            f"{option} {text!r} is not a duration: give a number and a unit (w, d, h, m, s), "
            "e.g. 7d or 1d12h"
        )
    seconds = sum(_number(n) * _UNITS[u.lower()] for n, u in parts)
    # Compared as integers: a huge number of days overflows timedelta.
    if not 0 < seconds <= longest.total_seconds():
        raise AlertsyncError(f"{option} {text!r} must be longer than 0 and at most {why}")
    return timedelta(seconds=seconds)


def _number(digits: str) -> int:
    """The digits' value; past Python's int-from-text limit only its size matters: it is too big."""
    return int(digits) if len(digits) <= _DIGITS else 10**_DIGITS
