"""The in-memory fakes behave like real sources (checkpoints, batches, failures)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from contract import run
from mailgen import make_message

from connectors.errors import ConnectorError
from connectors.memory import MemoryCalendarSource, MemoryMailSource
from connectors.records import EventRecord, MailRecord, Skipped

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def record(n: int, folder: str = "INBOX") -> MailRecord:
    return MailRecord(
        source="whatever",
        folder="whatever",
        role="other",
        uid=str(n),
        message_id=f"m{n}@example.com",
        subject=f"Message {n}",
        sender=None,
        date=T0 + timedelta(hours=n),
    )


def test_records_are_stamped_like_a_real_source() -> None:
    src = MemoryMailSource("mem", {"Sent Items": [record(1)]})
    (r,) = run(src).records
    assert (r.source, r.folder, r.role) == ("mem", "Sent Items", "sent")


def test_roles_can_be_given() -> None:
    src = MemoryMailSource("mem", {"Outbox": [record(1)]}, roles={"Outbox": "sent"})
    assert run(src).batches[0].role == "sent"


def test_checkpoints_batches_and_new_mail() -> None:
    src = MemoryMailSource("mem", {"INBOX": [record(i) for i in range(5)]}, batch_size=2)
    first = run(src)
    assert [len(b.records) for b in first.batches] == [2, 2, 1]
    assert [b.checkpoint for b in first.batches] == ["2", "4", "5"]
    assert run(src, first.checkpoints).batches == []
    src.add("INBOX", record(9))
    src.add("Archive", record(10))
    second = run(src, first.checkpoints)
    assert [(r.folder, r.uid) for r in second.records] == [("INBOX", "9"), ("Archive", "10")]
    assert src.syncs == 3


def test_add_raw_parses_and_keeps_skips() -> None:
    src = MemoryMailSource("mem")
    ok = src.add_raw("INBOX", make_message(1))
    bad = src.add_raw("INBOX", b"From: a@example.com\n\nno date\n")
    assert isinstance(ok, MailRecord)
    assert ok.uid == "1"
    assert bad == Skipped("INBOX", "2", "no Date header and no fallback date")
    result = run(src)
    assert [r.subject for r in result.records] == ["Message 1"]
    assert result.skipped == [bad]


def test_fail_after_raises_mid_sync_and_only_once() -> None:
    src = MemoryMailSource("mem", {"INBOX": [record(i) for i in range(4)]}, batch_size=2)
    src.fail_after(1)
    got = []
    with pytest.raises(ConnectorError) as e:
        for batch in src.sync({}):
            got.append(batch.checkpoint)
    assert got == ["2"]
    assert e.value.retryable
    assert [b.checkpoint for b in src.sync({"INBOX": "2"})] == ["4"]


def test_closed_source_refuses_to_sync() -> None:
    src = MemoryMailSource("mem")
    src.close()
    with pytest.raises(ConnectorError, match="closed"):
        list(src.sync({}))


def event(uid: str, start: datetime, minutes: int) -> EventRecord:
    return EventRecord(
        source="x",
        calendar="work",
        uid=uid,
        summary=uid,
        start=start,
        end=start + timedelta(minutes=minutes),
    )


def test_calendar_events_between_is_half_open_and_sorted() -> None:
    cal = MemoryCalendarSource(
        "cal",
        [
            event("late", T0 + timedelta(hours=2), 30),
            event("before", T0 - timedelta(hours=1), 60),  # ends exactly at start
            event("overlap", T0 - timedelta(minutes=30), 60),
            event("at-end", T0 + timedelta(hours=3), 30),  # starts exactly at end
            event("reminder", T0, 0),  # zero length, at start
        ],
    )
    got = [e.uid for e in cal.events_between(T0, T0 + timedelta(hours=3))]
    assert got == ["overlap", "reminder", "late"]
    assert {e.source for e in cal.events_between(T0, T0 + timedelta(hours=3))} == {"cal"}
    cal.add(event("added", T0 + timedelta(hours=1), 15))
    assert "added" in [e.uid for e in cal.events_between(T0, T0 + timedelta(hours=3))]
    with pytest.raises(ValueError, match="timezone-aware"):
        list(cal.events_between(datetime(2024, 3, 1), T0))


def test_calendar_sync_is_incremental_and_outlives_a_reopen() -> None:
    window = (T0, T0 + timedelta(days=1))
    cal = MemoryCalendarSource("cal", [event("a", T0 + timedelta(hours=1), 30)])
    (first,) = cal.sync({}, *window)
    assert (first.calendar, [e.uid for e in first.events], first.window) == (
        "work",
        ["a"],
        window,
    )
    cal.close()
    again = cal.reopen()  # a new connection to the same calendars
    again.add(event("far", T0 + timedelta(days=30), 30))  # outside the window: still a change
    again.remove("work", "a")
    (change,) = again.sync({"work": first.checkpoint}, *window)
    assert ([e.uid for e in change.events], change.removed, change.window) == (
        ["far"],
        ("a",),
        None,
    )
    assert list(again.sync({"work": change.checkpoint}, *window)) == []
    with pytest.raises(KeyError):
        again.remove("work", "a")


def test_calendar_lost_tokens_and_a_calendar_gone() -> None:
    window = (T0, T0 + timedelta(days=1))
    cal = MemoryCalendarSource("cal", [event("a", T0 + timedelta(hours=1), 30)])
    (first,) = cal.sync({}, *window)
    cal.expire_checkpoints()
    (full,) = cal.sync({"work": first.checkpoint}, *window)
    assert full.window == window and [e.uid for e in full.events] == ["a"]
    cal.remove_calendar("work")
    (gone,) = cal.sync({"work": full.checkpoint}, *window)
    assert (gone.calendar, gone.events, gone.checkpoint, gone.window) == ("work", (), "", window)


def test_calendar_fails_part_way_through_a_sync() -> None:
    window = (T0, T0 + timedelta(days=1))
    cal = MemoryCalendarSource("cal", [event("a", T0, 30)])
    cal.add_calendar("empty")
    cal.reopen().fail_after(1)  # any connection's next sync
    it = cal.sync({}, *window)
    assert next(it).calendar == "work"
    with pytest.raises(ConnectorError, match="connection lost"):
        next(it)
    assert [b.calendar for b in cal.sync({}, *window)] == ["work", "empty"]
