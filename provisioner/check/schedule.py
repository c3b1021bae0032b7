"""When an alert processing rule's schedule is active, and the instants where that can change.

Pure: wall-clock arithmetic in the schedule's Windows time zone (mapped to IANA by tzlocal's CLDR
table, evaluated with zoneinfo). Where Azure's semantics are unconfirmed, both readings are
evaluated and a disagreement is a MAYBE (docs/azure-behaviour.md#alert-routing-what-check-evaluates).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

from provisioner.check.verdict import Verdict
from provisioner.model import DAYS_OF_WEEK, Recurrence, Schedule
from provisioner.timezones import canonical_time_zone

Reading = Literal["likely", "alternative"]
READINGS: Final[tuple[Reading, ...]] = ("likely", "alternative")

DAY: Final = 86_400  # seconds
# Azure's default when a schedule names no time zone is undocumented; Terraform defaults to UTC.
DEFAULT_TIME_ZONE: Final = "UTC"
# Windows zones CLDR's table (and so tzlocal's) no longer lists; both are fixed offsets today.
_RETIRED_WINDOWS_ZONES: Final = {
    "Kamchatka Standard Time": "Asia/Kamchatka",
    "Mid-Atlantic Standard Time": "Etc/GMT+2",
}


class UnknownTimeZone(ValueError):
    """A schedule names a time zone this check cannot map to IANA."""


@lru_cache(maxsize=256)
def zone_of(windows_name: str | None) -> ZoneInfo:
    """The IANA zone of a Windows time zone name (any case); UTC when none is given."""
    name = canonical_time_zone(windows_name or DEFAULT_TIME_ZONE) or (windows_name or "")
    iana = win_tz.get(name) or _RETIRED_WINDOWS_ZONES.get(name)
    if iana is None:
        raise UnknownTimeZone(f"unknown Windows time zone {windows_name!r}")
    try:
        return ZoneInfo(iana)
    except ZoneInfoNotFoundError as error:  # tzdata is a dependency; an old one may lack a zone
        raise UnknownTimeZone(f"no time zone data for {windows_name!r} ({iana})") from error


def parse_time_of_day(text: str) -> int:
    """ "HH:mm:ss" (or "HH:mm") as seconds after midnight; "24:00:00" is the end of the day."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"{text!r} is not a time of day (HH:mm:ss)")
    hours, minutes, seconds = (int(p) for p in [*parts, "0"][:3])
    total = hours * 3600 + minutes * 60 + seconds
    if minutes > 59 or seconds > 59 or total > DAY:
        raise ValueError(f"{text!r} is not a time of day (HH:mm:ss)")
    return total


def parse_local(text: str, zone: ZoneInfo) -> datetime:
    """An effectiveFrom/Until value as naive wall time in `zone` (an offset, if any, converted)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment


# --- is the schedule active at one instant ----------------------------------------------------


def verdict_at(schedule: Schedule | None, at: datetime) -> Verdict:
    """Whether the schedule is active at `at` (aware): YES, NO, or MAYBE when readings differ."""
    if schedule is None:
        return Verdict.YES  # no schedule: always active
    try:
        zone = zone_of(schedule.time_zone)
    except UnknownTimeZone:
        return Verdict.MAYBE
    wall = at.astimezone(zone).replace(tzinfo=None)
    return Verdict.of_readings(_active(schedule, zone, wall, reading) for reading in READINGS)


def _active(schedule: Schedule, zone: ZoneInfo, wall: datetime, reading: Reading) -> bool:
    if not _within_effective_range(schedule, zone, wall):
        return False
    if not schedule.recurrences:
        return True
    # Several recurrences add up (a union).
    return any(_recurrence_active(r, wall, reading) for r in schedule.recurrences)


def _within_effective_range(schedule: Schedule, zone: ZoneInfo, wall: datetime) -> bool:
    """effectiveFrom inclusive, effectiveUntil exclusive (ends are undocumented)."""
    if schedule.effective_from and wall < parse_local(schedule.effective_from, zone):
        return False
    return not (schedule.effective_until and wall >= parse_local(schedule.effective_until, zone))


@dataclass(frozen=True, slots=True)
class _Window:
    start: int  # seconds after midnight
    end: int  # may be <= start: the window runs past midnight into the next day


def _window(recurrence: Recurrence, reading: Reading) -> _Window | None:
    """The recurrence's daily window; omitted times mean the whole day; None: never active.

    A start equal to the end is undocumented: read as 24 hours from the start, or as never.
    """
    start = parse_time_of_day(recurrence.start_time) if recurrence.start_time else 0
    end = parse_time_of_day(recurrence.end_time) if recurrence.end_time else DAY
    if start == end:
        return None if reading == "alternative" else _Window(start, start)
    return _Window(start, end)


def _recurrence_active(recurrence: Recurrence, wall: datetime, reading: Reading) -> bool:
    window = _window(recurrence, reading)
    if window is None:
        return False
    seconds = wall.hour * 3600 + wall.minute * 60 + wall.second + wall.microsecond / 1e6
    today, yesterday = wall.date(), wall.date() - timedelta(days=1)
    if window.end > window.start:
        return _on_day(recurrence, today, reading) and window.start <= seconds < window.end
    if recurrence.type == "Daily" or reading == "likely":
        # A listed day starts a window that ends the next morning (Daily: every day does).
        return (_on_day(recurrence, today, reading) and seconds >= window.start) or (
            _on_day(recurrence, yesterday, reading) and seconds < window.end
        )
    # The other reading: both pieces fall on the listed day itself.
    return _on_day(recurrence, today, reading) and (seconds >= window.start or seconds < window.end)


def _on_day(recurrence: Recurrence, day: date, reading: Reading) -> bool:
    """Whether the recurrence has a window starting on `day`.

    Monthly days past the month's end (31 in April) are undocumented: read as skipped, or as
    falling on the month's last day.
    """
    if recurrence.type == "Weekly":
        return DAYS_OF_WEEK[(day.weekday() + 1) % 7] in recurrence.days_of_week
    if recurrence.type == "Monthly":
        if day.day in recurrence.days_of_month:
            return True
        last = calendar.monthrange(day.year, day.month)[1]
        return (
            reading == "alternative"
            and day.day == last
            and any(d > last for d in recurrence.days_of_month)
        )
    return True


# --- where the answer can change -------------------------------------------------------------


def change_points(schedule: Schedule | None, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in (start, end) at which `verdict_at` may change, in UTC, ascending.

    A superset: the wall-clock boundaries of each day's windows (both sides of a repeated hour),
    midnights, the effective range, and the time zone's own offset changes (a window that starts
    in a skipped hour opens when the clock jumps).
    """
    if schedule is None:
        return []
    try:
        zone = zone_of(schedule.time_zone)
    except UnknownTimeZone:
        return []  # MAYBE throughout
    instants = {
        *(_instants(_walls(schedule, zone, start, end), zone)),
        *_offset_changes(zone, start, end),
    }
    return sorted(t for t in instants if start < t < end)


def _walls(
    schedule: Schedule, zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Candidate wall times: the effective range, each day's midnight and window ends."""
    for text in (schedule.effective_from, schedule.effective_until):
        if text:
            yield parse_local(text, zone)
    offsets = sorted(
        {0}
        | {
            parse_time_of_day(t)
            for r in schedule.recurrences
            for t in (r.start_time, r.end_time)
            if t
        }
    )
    for day in _local_days(zone, start, end):
        midnight = datetime.combine(day, time())
        yield from (midnight + timedelta(seconds=s) for s in offsets)


def _local_days(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[date]:
    """Local dates around [start, end], with a day's margin each side."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        yield day
        day += timedelta(days=1)


def _instants(walls: Iterable[datetime], zone: ZoneInfo) -> Iterator[datetime]:
    """Each wall time as UTC instants, both of a repeated (fall-back) hour."""
    for wall in walls:
        for fold in (0, 1):
            yield wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def _offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[datetime]:
    """The instants in [start, end] where the zone's UTC offset changes, to the second."""
    step = timedelta(hours=6)  # no zone changes its offset twice within six hours
    low = start.astimezone(UTC)
    while low < end:
        high = min(low + step, end.astimezone(UTC))
        if low.astimezone(zone).utcoffset() != high.astimezone(zone).utcoffset():
            yield _bisect_offset_change(zone, low, high)
        low = high


def _bisect_offset_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first second in (low, high] with high's offset."""
    target = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high


def unconfirmed_readings(schedule: Schedule | None) -> tuple[str, ...]:
    """What in this schedule rests on an unconfirmed reading, for the output to say so."""
    if schedule is None:
        return ()
    notes: list[str] = []
    if schedule.time_zone is None:
        notes.append("no time zone given: UTC assumed")
    else:
        try:
            zone_of(schedule.time_zone)
        except UnknownTimeZone:
            notes.append(f"time zone {schedule.time_zone!r} is unknown to alertsync")
    for r in schedule.recurrences:
        notes.extend(_recurrence_notes(r))
    return tuple(dict.fromkeys(notes))


def _recurrence_notes(recurrence: Recurrence) -> Iterator[str]:
    window = _window(recurrence, "likely")
    if recurrence.start_time is not None and recurrence.start_time == recurrence.end_time:
        yield f"a {recurrence.type.lower()} window whose start equals its end"
    elif window is not None and window.end < window.start and recurrence.type != "Daily":
        yield f"a {recurrence.type.lower()} window crossing midnight: read as ending the next day"
    if recurrence.type == "Monthly" and any(d > 28 for d in recurrence.days_of_month):
        yield "monthly days 29-31 in shorter months"
