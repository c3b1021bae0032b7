"""check's one duration parser, behind --window and --since."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provisioner.check.durations import parse_duration
from provisioner.errors import AlertsyncError

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1w2d", 777_600), ("36h", 129_600), ("1d12h", 129_600), ("90M", 5_400), (" 5s ", 5)],
)
def test_parts_add_up(text: str, seconds: int) -> None:
    assert parse_duration(text, "--window", 30 * DAY, "30 days").total_seconds() == seconds


def test_the_bound_is_inclusive_and_named() -> None:
    assert parse_duration("1d", "--since", DAY, "1d") == DAY
    with pytest.raises(
        AlertsyncError, match=r"^--since '1d1s' must be longer than 0 and at most 1d"
    ):
        parse_duration("1d1s", "--since", DAY, "1d")


@given(st.text())
def test_any_text_is_a_duration_within_the_bound_or_one_clear_error(text: str) -> None:
    try:
        span = parse_duration(text, "--window", 366 * DAY, "366 days")
    except AlertsyncError as error:
        assert str(error).startswith(f"--window {text!r} ")
    else:
        assert timedelta(0) < span <= 366 * DAY


@given(st.integers(min_value=0, max_value=10**30), st.sampled_from("wdhms"))
def test_any_number_of_any_unit(number: int, unit: str) -> None:
    try:
        span = parse_duration(f"{number}{unit}", "--since", 30 * DAY, "30d")
    except AlertsyncError as error:
        assert "must be longer than 0 and at most 30d" in str(error)
    else:
        assert timedelta(0) < span <= 30 * DAY
