"""Bounded expansion: a cap per event, screening of absurd series, per-event isolation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors import ics_bounds
from connectors.ics import IcsCalendarSource

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)
START, END = NOW - timedelta(days=60), NOW + timedelta(days=14)
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"


def event(uid: str, start: str, extra: str = "") -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nSUMMARY:{uid}\r\n{extra}END:VEVENT\r\n"


def source(tmp_path: Path, *events: str) -> IcsCalendarSource:
    path = tmp_path / "cal.ics"
    path.write_text(HEAD + "".join(events) + "END:VCALENDAR\r\n", encoding="utf-8")
    return IcsCalendarSource("cal", path=path)


def test_a_dense_but_allowed_series_is_capped_and_counted(tmp_path: Path) -> None:
    s = source(
        tmp_path, event("six-hourly", "20250101T000000Z", "RRULE:FREQ=HOURLY;INTERVAL=6\r\n")
    )
    got = list(s.events_between(START, END))
    # 300 from a day before the window (the slack for floating times), not 300 days.
    assert ics_bounds.MAX_OCCURRENCES - 4 <= len(got) <= ics_bounds.MAX_OCCURRENCES
    assert s.skipped == {ics_bounds.REASON_CAPPED: 1}


def test_a_daily_meeting_is_kept_whole(tmp_path: Path) -> None:
    s = source(tmp_path, event("standup", "20240101T150000Z", "RRULE:FREQ=DAILY\r\n"))
    got = list(s.events_between(START, END))
    assert len(got) == 74
    assert s.skipped == {}


def test_screened_series_cost_nothing(tmp_path: Path) -> None:
    s = source(
        tmp_path,
        event("s", "19700101T000000Z", "RRULE:FREQ=SECONDLY\r\n"),
        event("m", "19700101T000000Z", "RRULE:FREQ=MINUTELY;INTERVAL=90\r\n"),
        event("h", "20260101T000000Z", "RRULE:FREQ=HOURLY;INTERVAL=3\r\n"),
        event("b", "20260101T000000Z", "RRULE:FREQ=WEEKLY;BYHOUR=1,2,3,4,5,6,7,8,9,10,11,12\r\n"),
        event("ok", "20260101T000000Z", "RRULE:FREQ=MINUTELY;INTERVAL=240\r\n"),
    )
    started = time.process_time()
    got = list(s.events_between(START, END))
    assert time.process_time() - started < 5
    assert s.skipped == {ics_bounds.REASON_TOO_OFTEN: 3, ics_bounds.REASON_CAPPED: 1}
    assert {e.summary for e in got} == {"b", "ok"}  # 12 a week is no flood


@settings(max_examples=60, deadline=None)
@given(
    freq=st.sampled_from(["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"]),
    interval=st.integers(min_value=0, max_value=500),
    byhour=st.lists(st.integers(min_value=0, max_value=23), max_size=24, unique=True),
    year=st.integers(min_value=1, max_value=9999),
    count=st.one_of(st.none(), st.integers(min_value=-1, max_value=10**6)),
)
def test_any_rule_is_bounded_and_never_raises(
    tmp_path_factory: object,
    freq: str,
    interval: int,
    byhour: list[int],
    year: int,
    count: int | None,
) -> None:
    rule = f"FREQ={freq};INTERVAL={interval}"
    if byhour:
        rule += ";BYHOUR=" + ",".join(map(str, byhour))
    if count is not None:
        rule += f";COUNT={count}"
    path = tmp_path_factory.mktemp("cal")  # type: ignore[attr-defined]
    s = source(
        path,
        event("x", f"{year:04d}0301T090000Z", f"RRULE:{rule}\r\n"),
        event("y", "20260318T090000Z"),
    )
    started = time.process_time()
    got = list(s.events_between(START, END))
    assert time.process_time() - started < 10, rule
    assert "y" in {e.summary for e in got}
    assert sum(1 for e in got if e.summary == "x") <= ics_bounds.MAX_OCCURRENCES


# No screen of the text catches it: BY parts that never match walk dateutil to 9999.
NEVER = "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=5\r\n"
# Sparse matches over forty years: cheap in one walk of the window (once took minutes).
SPARSE = "RRULE:FREQ=MINUTELY;INTERVAL=248;BYHOUR=15,16;COUNT=358766\r\n"


def test_an_event_too_costly_to_expand_is_skipped_within_its_budget(tmp_path: Path) -> None:
    s = source(
        tmp_path,
        event("never", "19700101T090000Z", NEVER),
        event("sparse", "19850301T090000Z", SPARSE),
        event("kept", "20260318T090000Z"),
    )
    started = time.process_time()
    got = list(s.events_between(START, END))
    spent = time.process_time() - started
    assert {e.summary for e in got} == {"sparse", "kept"}
    assert s.skipped == {ics_bounds.REASON_TOO_COSTLY: 1}
    assert spent < ics_bounds.EVENT_CPU_SECONDS + 2


def test_a_calendar_stops_expanding_once_its_budget_is_spent(
    tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.setattr(ics_bounds, "CALENDAR_CPU_SECONDS", 1.5)
    s = source(
        tmp_path,
        *(event(f"never{n}", "19700101T090000Z", NEVER) for n in range(4)),
        event("later", "20260318T090000Z"),
    )
    started = time.process_time()
    got = list(s.events_between(START, END))
    assert time.process_time() - started < 4
    # Two burn the budget (1 s, then the 0.5 s left; a third may start on a sliver the
    # checks' granularity leaves); the rest, "later" included, wait.
    costly = s.skipped[ics_bounds.REASON_TOO_COSTLY]
    assert costly in (2, 3)
    assert s.skipped == {
        ics_bounds.REASON_TOO_COSTLY: costly,
        ics_bounds.REASON_BUDGET_SPENT: 5 - costly,
    }
    assert got == []
