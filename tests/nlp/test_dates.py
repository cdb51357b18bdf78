from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nlp.dates import resolve_due

CHI = "America/Chicago"
# Friday 23 February 2024, 15:00 UTC = 09:00 in Chicago (2024 is a leap year).
FRI = datetime(2024, 2, 23, 15, 0, tzinfo=UTC)
# Wednesday 21 February 2024, 15:00 UTC.
WED = datetime(2024, 2, 21, 15, 0, tzinfo=UTC)


def local(y: int, m: int, d: int, hh: int = 23, mm: int = 59, tz: str = CHI) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz))


CASES = [
    # (phrase, sent_at, expected, expected phrase)
    ("I'll send it by Friday", WED, local(2024, 2, 23), "by Friday"),
    ("by Friday", FRI, local(2024, 2, 23), "by Friday"),  # same-day Friday = today
    ("next Friday", FRI, local(2024, 3, 1), "next Friday"),
    ("next Tuesday", WED, local(2024, 2, 27), "next Tuesday"),
    ("on Monday", WED, local(2024, 2, 26), "on Monday"),
    ("tomorrow", WED, local(2024, 2, 22), "tomorrow"),
    ("tomorrow morning", WED, local(2024, 2, 22, 12, 0), "tomorrow morning"),
    ("by EOD", WED, local(2024, 2, 21, 17, 0), "by EOD"),
    ("by end of day", WED, local(2024, 2, 21, 17, 0), "by end of day"),
    ("COB tomorrow", WED, local(2024, 2, 22, 17, 0), "COB tomorrow"),
    ("this afternoon", WED, local(2024, 2, 21, 17, 0), "this afternoon"),
    ("next week", WED, local(2024, 3, 1), "next week"),
    ("by the end of the week", WED, local(2024, 2, 23), "by the end of the week"),
    ("end of month", WED, local(2024, 2, 29), "end of month"),  # leap year February
    ("in two weeks", WED, local(2024, 3, 6), "in two weeks"),
    ("in 3 days", WED, local(2024, 2, 24), "in 3 days"),
    ("by 3/15", WED, local(2024, 3, 15), "by 3/15"),
    ("by the 15th", WED, local(2024, 3, 15), "by the 15th"),
    ("by 2/29", WED, local(2024, 2, 29), "by 2/29"),  # leap day
    ("Monday the 4th", WED, local(2024, 3, 4), "Monday the 4th"),
    ("by March 1st", WED, local(2024, 3, 1), "by March 1st"),
    ("by Friday at 3pm", WED, local(2024, 2, 23, 15, 0), "by Friday at 3pm"),
    ("ASAP", WED, local(2024, 2, 21), "ASAP"),
    ("I will review it over the weekend", WED, local(2024, 2, 25), "over the weekend"),
    ("during the weekend", FRI, local(2024, 2, 25), "during the weekend"),
    ("this weekend", WED, local(2024, 2, 25), "this weekend"),
]


@pytest.mark.parametrize(
    ("text", "sent_at", "expected", "phrase"), CASES, ids=[c[0] for c in CASES]
)
def test_resolve_due(text: str, sent_at: datetime, expected: datetime, phrase: str) -> None:
    due, found = resolve_due(text, sent_at, CHI)
    assert due == expected
    assert due.tzinfo is not None
    assert found == phrase


@pytest.mark.parametrize("text", ["I'll send it soon", "talk later", "We had a good call", ""])
def test_no_date(text: str) -> None:
    assert resolve_due(text, WED, CHI) is None


def test_time_zone_decides_the_local_day() -> None:
    # 03:00 UTC on Saturday is still Friday evening in Chicago: "tomorrow" = Saturday.
    sent = datetime(2024, 2, 24, 3, 0, tzinfo=UTC)
    assert resolve_due("tomorrow", sent, CHI)[0] == local(2024, 2, 24)
    # ...but in Tokyo it is already Saturday noon: "tomorrow" = Sunday.
    tokyo = resolve_due("tomorrow", sent, "Asia/Tokyo")[0]
    assert tokyo == local(2024, 2, 25, tz="Asia/Tokyo")
    assert tokyo.utcoffset() == timedelta(hours=9)


def test_year_end_rollover() -> None:
    sent = datetime(2023, 12, 28, 15, 0, tzinfo=UTC)  # a Thursday
    assert resolve_due("next week", sent, CHI)[0] == local(2024, 1, 5)
    assert resolve_due("by 1/5", sent, CHI)[0] == local(2024, 1, 5)
    assert resolve_due("by Jan 3", sent, CHI)[0] == local(2024, 1, 3)
    assert resolve_due("end of month", sent, CHI)[0] == local(2023, 12, 31)
    assert resolve_due("next month", sent, CHI)[0] == local(2024, 1, 31)
    assert resolve_due("by the 2nd", sent, CHI)[0] == local(2024, 1, 2)


def test_month_ends() -> None:
    jan31 = datetime(2023, 1, 31, 15, 0, tzinfo=UTC)
    assert resolve_due("tomorrow", jan31, CHI)[0] == local(2023, 2, 1)
    assert resolve_due("end of next month", jan31, CHI)[0] == local(2023, 2, 28)
    assert resolve_due("in a month", jan31, CHI)[0] == local(2023, 2, 28)  # clamped
    # The 31st does not exist in April: "by the 31st" said on 1 April is 31 May.
    apr1 = datetime(2023, 4, 1, 15, 0, tzinfo=UTC)
    assert resolve_due("by the 31st", apr1, CHI)[0] == local(2023, 5, 31)


def test_leap_day_in_a_common_year_goes_to_the_next_leap_year() -> None:
    sent = datetime(2023, 2, 10, 15, 0, tzinfo=UTC)
    assert resolve_due("by 2/29", sent, CHI)[0] == local(2024, 2, 29)
    assert resolve_due("by the 29th", sent, CHI)[0] == local(2023, 3, 29)


def test_naive_sent_at_is_utc_and_unknown_zone_falls_back() -> None:
    naive = datetime(2024, 2, 21, 15, 0)
    assert resolve_due("tomorrow", naive, "UTC")[0] == local(2024, 2, 22, tz="UTC")
    assert resolve_due("tomorrow", WED, "Not/AZone")[0] == local(2024, 2, 22, tz="UTC")


def test_explicit_time_already_past_means_next_day() -> None:
    # Sent 15:00 Chicago: "by 9am" is the next morning.
    sent = datetime(2024, 2, 21, 21, 0, tzinfo=UTC)
    assert resolve_due("by 9am", sent, CHI)[0] == local(2024, 2, 22, 9, 0)
