"""Schedules of alert processing rules: when Azure would apply a rule, and where that changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from provisioner.check.schedule import (
    UnknownTimeZone,
    change_points,
    parse_time_of_day,
    unconfirmed_readings,
    verdict_at,
    zone_of,
)
from provisioner.check.verdict import Verdict
from provisioner.model import Recurrence, Schedule

YES, NO, MAYBE = Verdict.YES, Verdict.NO, Verdict.MAYBE
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def weekly(*days: str, start: str | None = None, end: str | None = None) -> Recurrence:
    return Recurrence("Weekly", start, end, days_of_week=days)


def daily(start: str, end: str) -> Recurrence:
    return Recurrence("Daily", start, end)


def assert_verdicts(schedule: Schedule, expected: dict[str, Verdict]) -> None:
    """At each UTC time (ISO text), the verdict expected."""
    assert {t: verdict_at(schedule, utc(t)) for t in expected} == expected


def test_no_schedule_is_always_active() -> None:
    assert verdict_at(None, utc("2026-12-05T02:00:00")) is YES
    assert change_points(None, utc("2026-12-05T00:00:00"), utc("2026-12-12T00:00:00")) == []


def test_daily_window_crossing_midnight_runs_into_the_next_morning() -> None:
    # Azure's own example: outside business hours = Daily 17:00 -> 09:00 (+ the weekend).
    night = Schedule(time_zone="UTC", recurrences=(daily("17:00:00", "09:00:00"),))
    assert_verdicts(
        night,
        {
            "2026-12-01T16:59:59": NO,
            "2026-12-01T17:00:00": YES,
            "2026-12-01T23:59:59": YES,
            "2026-12-02T08:59:59": YES,
            "2026-12-02T09:00:00": NO,
            "2026-12-02T12:00:00": NO,
        },
    )


def test_weekly_without_times_covers_the_whole_days() -> None:
    weekend = Schedule(time_zone="UTC", recurrences=(weekly("Saturday", "Sunday"),))
    # 2026-12-05 is a Saturday.
    assert verdict_at(weekend, utc("2026-12-04T23:59:59")) is NO
    assert verdict_at(weekend, utc("2026-12-05T00:00:00")) is YES
    assert verdict_at(weekend, utc("2026-12-06T23:59:59")) is YES
    assert verdict_at(weekend, utc("2026-12-07T00:00:00")) is NO
    points = change_points(weekend, utc("2026-12-03T00:00:00"), utc("2026-12-10T00:00:00"))
    assert utc("2026-12-05T00:00:00") in points
    assert utc("2026-12-07T00:00:00") in points


def test_weekly_window_in_the_rules_time_zone() -> None:
    weekend = Schedule(time_zone="Tokyo Standard Time", recurrences=(weekly("Saturday"),))
    # Saturday 00:00 in Tokyo is Friday 15:00 UTC.
    assert verdict_at(weekend, utc("2026-12-04T14:59:59")) is NO
    assert verdict_at(weekend, utc("2026-12-04T15:00:00")) is YES
    assert verdict_at(weekend, utc("2026-12-05T14:59:59")) is YES
    assert verdict_at(weekend, utc("2026-12-05T15:00:00")) is NO


def test_several_recurrences_add_up() -> None:
    outside_hours = Schedule(
        time_zone="Eastern Standard Time",
        recurrences=(daily("17:00:00", "09:00:00"), weekly("Saturday", "Sunday")),
    )
    eastern = ZoneInfo("America/New_York")
    assert verdict_at(outside_hours, local("2026-12-01T12:00:00", eastern)) is NO  # Tuesday noon
    assert verdict_at(outside_hours, local("2026-12-01T18:00:00", eastern)) is YES  # evening
    assert verdict_at(outside_hours, local("2026-12-05T12:00:00", eastern)) is YES  # Saturday


def test_effective_range_bounds_the_recurrences_in_local_time() -> None:
    # Azure's one-off example: 18:00-20:00 on one date, Pacific time.
    one_off = Schedule(
        effective_from="2021-04-15T18:00:00",
        effective_until="2021-04-15T20:00:00",
        time_zone="Pacific Standard Time",
    )
    pacific = ZoneInfo("America/Los_Angeles")
    assert verdict_at(one_off, local("2021-04-15T17:59:59", pacific)) is NO
    assert verdict_at(one_off, local("2021-04-15T18:00:00", pacific)) is YES
    assert verdict_at(one_off, local("2021-04-15T19:59:59", pacific)) is YES
    assert verdict_at(one_off, local("2021-04-15T20:00:00", pacific)) is NO
    expiring = Schedule(
        effective_until="2026-12-08T00:00:00",
        time_zone="UTC",
        recurrences=(daily("00:00:00", "12:00:00"),),
    )
    assert verdict_at(expiring, utc("2026-12-07T11:00:00")) is YES
    assert verdict_at(expiring, utc("2026-12-08T11:00:00")) is NO
    points = change_points(expiring, utc("2026-12-07T00:00:00"), utc("2026-12-09T00:00:00"))
    assert utc("2026-12-08T00:00:00") in points


@pytest.mark.parametrize(
    ("wall", "expected"),
    [
        ("2026-03-07T21:59:59", NO),  # the evening before the spring-forward night (US)
        ("2026-03-07T22:00:00", YES),
        ("2026-03-08T01:59:59", YES),  # the clock jumps 02:00 -> 03:00 this night
        ("2026-03-08T03:00:00", YES),
        ("2026-03-08T05:59:59", YES),
        ("2026-03-08T06:00:00", NO),
        ("2026-03-14T22:00:00", YES),  # a week later, after the change: same wall times
        ("2026-03-15T06:00:00", NO),
    ],
)
def test_local_wall_times_hold_on_both_sides_of_a_dst_change(wall: str, expected: Verdict) -> None:
    nightly = Schedule(
        time_zone="Pacific Standard Time",
        recurrences=(daily("22:00:00", "06:00:00"),),
    )
    assert verdict_at(nightly, local(wall, ZoneInfo("America/Los_Angeles"))) is expected


def test_a_window_starting_in_the_skipped_hour_opens_when_the_clock_jumps() -> None:
    at_0230 = Schedule(
        time_zone="Pacific Standard Time", recurrences=(daily("02:30:00", "04:00:00"),)
    )
    start, end = utc("2026-03-08T00:00:00"), utc("2026-03-09T00:00:00")
    points = change_points(at_0230, start, end)
    jump = utc("2026-03-08T10:00:00")  # 02:00 PST = 10:00 UTC becomes 03:00 PDT
    assert jump in points
    assert verdict_at(at_0230, jump - timedelta(seconds=1)) is NO
    assert verdict_at(at_0230, jump) is YES
    assert verdict_at(at_0230, utc("2026-03-08T11:00:00")) is NO  # 04:00 PDT


def test_the_repeated_hour_of_a_fall_back_night_is_active_twice() -> None:
    at_0130 = Schedule(
        time_zone="Pacific Standard Time", recurrences=(daily("01:30:00", "01:45:00"),)
    )
    start, end = utc("2026-11-01T00:00:00"), utc("2026-11-02T00:00:00")
    points = change_points(at_0130, start, end)
    first, second = utc("2026-11-01T08:30:00"), utc("2026-11-01T09:30:00")  # PDT, then PST
    assert first in points
    assert second in points
    assert verdict_at(at_0130, first) is YES
    assert verdict_at(at_0130, first + timedelta(minutes=30)) is NO
    assert verdict_at(at_0130, second) is YES


def test_change_points_are_exact_where_the_verdict_changes() -> None:
    schedule = Schedule(
        time_zone="W. Europe Standard Time",
        recurrences=(
            weekly("Friday", start="22:00:00", end="04:00:00"),
            daily("12:00:00", "12:30:00"),
        ),
    )
    start, end = utc("2026-03-26T00:00:00"), utc("2026-04-02T00:00:00")  # DST change on 29th
    points = change_points(schedule, start, end)
    # Sampling every minute never finds a change that is not a change point.
    t, previous = start, verdict_at(schedule, start)
    while t < end:
        t += timedelta(minutes=1)
        now = verdict_at(schedule, t)
        if now is not previous:
            assert t in points, t
        previous = now


def test_weekly_window_crossing_midnight_is_uncertain_on_the_following_day() -> None:
    # Likely: Sunday 22:00 -> Monday 04:00. The other reading keeps both pieces on Sunday.
    nights = Schedule(
        time_zone="India Standard Time",
        recurrences=(weekly("Saturday", "Sunday", start="22:00:00", end="04:00:00"),),
    )
    india = ZoneInfo("Asia/Kolkata")
    assert verdict_at(nights, local("2026-12-06T23:00:00", india)) is YES  # Sunday night
    assert verdict_at(nights, local("2026-12-06T02:00:00", india)) is YES  # after Saturday
    assert verdict_at(nights, local("2026-12-07T02:00:00", india)) is MAYBE  # Monday morning
    assert verdict_at(nights, local("2026-12-05T02:00:00", india)) is MAYBE  # Saturday morning
    assert verdict_at(nights, local("2026-12-07T12:00:00", india)) is NO
    assert any("crossing midnight" in n for n in unconfirmed_readings(nights))


def test_monthly_days_past_the_end_of_a_short_month_are_uncertain() -> None:
    end_of_month = Schedule(
        time_zone="UTC", recurrences=(Recurrence("Monthly", days_of_month=(31,)),)
    )
    assert_verdicts(
        end_of_month,
        {"2026-12-31T10:00:00": YES, "2026-04-30T10:00:00": MAYBE, "2026-04-29T10:00:00": NO},
    )


def test_start_equal_to_end_is_uncertain() -> None:
    odd = Schedule(time_zone="UTC", recurrences=(daily("08:00:00", "08:00:00"),))
    assert verdict_at(odd, utc("2026-12-01T10:00:00")) is MAYBE


def test_time_zones_by_windows_name_in_any_case() -> None:
    assert zone_of("tokyo standard time") == TOKYO
    assert zone_of(None) == ZoneInfo("Etc/UTC")
    assert zone_of("Kamchatka Standard Time") == ZoneInfo("Asia/Kamchatka")
    with pytest.raises(UnknownTimeZone):
        zone_of("Mars Standard Time")
    unknown = Schedule(time_zone="Mars Standard Time", recurrences=(weekly("Saturday"),))
    assert verdict_at(unknown, utc("2026-12-01T10:00:00")) is MAYBE
    assert "no time zone given: UTC assumed" in unconfirmed_readings(Schedule())


@pytest.mark.parametrize("text", ["25:00:00", "12:60:00", "noon", "12"])
def test_bad_times_of_day_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="time of day"):
        parse_time_of_day(text)


def test_twenty_four_hundred_is_the_end_of_the_day() -> None:
    assert parse_time_of_day("24:00:00") == 86_400
    assert parse_time_of_day("09:30") == 9 * 3600 + 1800
