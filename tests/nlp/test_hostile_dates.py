"""Dates at the edges of the calendar, and any text at any date, never raise out of
extraction (a message dated 31 December 9999 that says "by Friday" once stopped every run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nlp
from nlp.dates import resolve_due

PHRASES = [
    "by Friday", "tomorrow", "next month", "end of year", "in 400 weeks", "in 12 months",
    "by 3/15", "Monday the 5th", "by 9am", "end of quarter", "next week", "this weekend",
    "by the 15th", "in 400 business days", "day after tomorrow", "next year",
    "by January 5", "by 1/5/2099", "EOD Friday",
]  # fmt: skip
EDGES = [
    datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
    datetime(9999, 12, 31, tzinfo=timezone(timedelta(hours=-5))),
    datetime(9999, 12, 25, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
]
ZONES = ["UTC", "Pacific/Kiritimati", "Etc/GMT+12", ""]


@pytest.mark.parametrize("sent_at", EDGES, ids=str)
@pytest.mark.parametrize("tz", ZONES)
def test_edge_dates_give_no_due_date(sent_at, tz):
    for phrase in PHRASES:
        assert resolve_due(f"I'll send it {phrase}.", sent_at, tz) is None, phrase


def test_ordinary_dates_still_resolve():
    due = resolve_due("by Friday", datetime(2026, 3, 11, 9, tzinfo=UTC), "UTC")
    assert due is not None and due[0] == datetime(2026, 3, 13, 23, 59, tzinfo=ZoneInfo("UTC"))


def test_far_future_message_is_extracted_without_a_due_date(rules_pipeline):
    ex = nlp.extract(
        "Could you send me the deck by Friday?",
        datetime(9999, 12, 31, 18, tzinfo=UTC),
        tz="America/Chicago",
        pipeline=rules_pipeline,
    )
    assert [(f.kind, f.due) for f in ex.findings] == [("request", None)]


aware = st.datetimes(
    min_value=datetime(1, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59),
    timezones=st.sampled_from(
        [UTC, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12"), ZoneInfo("Asia/Kolkata")]
    )
    | st.builds(
        timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
    ),
)
texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from([*PHRASES, "Can you", "I will", "send it", "?", ".", "\n"])).map(
        " ".join
    ),
)


@settings(max_examples=150, deadline=None)
@given(text=texts, sent_at=aware, tz=st.sampled_from(ZONES), from_me=st.booleans())
def test_any_text_at_any_date_never_raises(rules_pipeline, text, sent_at, tz, from_me):
    ex = nlp.extract(text, sent_at, from_me=from_me, tz=tz, pipeline=rules_pipeline)
    for f in ex.findings:
        assert f.due is None or f.due.astimezone(UTC).year <= 9998
