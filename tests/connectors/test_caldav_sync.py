"""The CalDAV source against a real Radicale on 127.0.0.1, started by the tests.

Each test has its own Radicale account. ``Mirror`` applies batches as the store does
(a window batch replaces the window; an incremental one upserts and removes), so the
tests check what a user's store would hold after each sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from servers import CalUser, Radicale, cal_user_fixture, radicale_server_fixture  # noqa: F401

from connectors.caldav_source import CaldavCalendarSource
from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.records import EventBatch, EventRecord

pytestmark = pytest.mark.server

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
START, END = NOW - timedelta(days=60), NOW + timedelta(days=14)


def vevent(uid: str, start: str, summary: str, *extra: str, end: str | None = None) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//followup tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{start}",
        f"DTEND:{end or start[:9] + str(int(start[9:11]) + 1).zfill(2) + start[11:]}",
        f"SUMMARY:{summary}",
        "ORGANIZER;CN=Penny:mailto:penny@example.com",
        "ATTENDEE;CN=Ana Lopez;PARTSTAT=ACCEPTED:mailto:ana@acme.test",
        *extra,
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(lines)


def unpack(checkpoint: str) -> dict[str, Any]:
    import base64
    import json
    import zlib

    assert checkpoint.startswith("z1:")
    return dict(json.loads(zlib.decompress(base64.b64decode(checkpoint[3:]))))


@dataclass
class Mirror:
    """What the store holds: {(calendar, occurrence uid): record}, plus checkpoints."""

    events: dict[tuple[str, str], EventRecord] = field(default_factory=dict)
    checkpoints: dict[str, str] = field(default_factory=dict)
    batches: list[EventBatch] = field(default_factory=list)

    def apply(self, batches: list[EventBatch]) -> None:
        self.batches = batches
        for b in batches:
            if b.window is not None:
                lo, hi = b.window
                for key in [k for k, r in self.events.items() if k[0] == b.calendar]:
                    if lo <= self.events[key].start < hi:
                        del self.events[key]
            for uid in b.removed:
                self.events.pop((b.calendar, uid), None)
            for r in b.events:
                self.events[(b.calendar, r.uid)] = r
            self.checkpoints[b.calendar] = b.checkpoint

    def summaries(self) -> list[tuple[str, datetime]]:
        return sorted((r.summary, r.start) for r in self.events.values())


def make_source(server: Radicale, user: CalUser, **options: Any) -> CaldavCalendarSource:
    opts: dict[str, Any] = {
        "url": user.url,
        "username": user.name,
        "password_env": "CALDAV_TEST_PASSWORD",
        "allow_insecure": True,
        **options,
    }
    return CaldavCalendarSource.from_config("work", opts)


@pytest.fixture
def account(
    radicale_server: Radicale, cal_user: CalUser, monkeypatch: pytest.MonkeyPatch
) -> tuple[Radicale, CalUser, Any]:
    """A Radicale user with a "Work" calendar; the calendar object for setting up."""
    monkeypatch.setenv("CALDAV_TEST_PASSWORD", cal_user.password)
    client = radicale_server.client(cal_user)
    cal = client.principal().make_calendar(name="Work", cal_id="work")
    return radicale_server, cal_user, cal


def sync(source: CaldavCalendarSource, mirror: Mirror, start: datetime = START,
         end: datetime = END) -> Mirror:  # fmt: skip
    mirror.apply(list(source.sync(dict(mirror.checkpoints), start, end)))
    return mirror


def test_discovers_the_principals_calendars(account: Any) -> None:
    server, user, cal = account
    cal.parent.make_calendar(name="Personal", cal_id="home")
    cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    source = make_source(server, user)
    labels = sorted(label for label, _ in source._found_calendars())
    assert labels == ["home", "work"]
    mirror = sync(source, Mirror())
    assert sorted(b.calendar for b in mirror.batches) == ["home", "work"]
    assert mirror.summaries() == [("Acme sync", datetime(2026, 3, 10, 10, tzinfo=UTC))]


def test_a_calendar_named_in_config_by_display_name_or_id(account: Any) -> None:
    server, user, cal = account
    cal.parent.make_calendar(name="Personal", cal_id="home")
    for wanted in ("Personal", "home"):
        source = make_source(server, user, calendars=[wanted])
        assert [label for label, _ in source._found_calendars()] == ["home"]
    source = make_source(server, user, calendars=["Holidays"])
    with pytest.raises(SourceConfigError) as e:
        source._found_calendars()
    assert "no calendar named 'Holidays' on the server; found: Personal, Work" in str(e.value)


def test_first_sync_is_a_full_window_with_attendees(account: Any) -> None:
    server, user, cal = account
    cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    cal.save_event(vevent("old", "20250101T100000Z", "Long ago"))  # outside the window
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    (batch,) = mirror.batches
    assert batch.window == (START, END)
    (record,) = batch.events
    assert record.summary == "Acme sync"
    assert record.source == "work" and record.calendar == "work"
    assert record.uid == "a@2026-03-10T10:00:00+00:00"
    assert record.end == datetime(2026, 3, 10, 11, tzinfo=UTC)
    assert [(a.address.email, a.status) for a in record.attendees] == [
        ("ana@acme.test", "accepted")
    ]
    assert record.organizer is not None and record.organizer.email == "penny@example.com"


def test_second_sync_without_changes_yields_nothing(account: Any) -> None:
    server, user, cal = account
    cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    mirror = sync(source, mirror)
    (batch,) = mirror.batches
    assert batch.window is None
    assert batch.events == () and batch.removed == ()


def test_incremental_add_modify_delete(account: Any) -> None:
    server, user, cal = account
    a = cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    b = cal.save_event(vevent("b", "20260311T100000Z", "Beta call"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    assert len(mirror.events) == 2

    cal.save_event(vevent("c", "20260320T150000Z", "Gamma intro"))
    # Moved a day later: the old occurrence must go, the new one come.
    a.data = vevent("a", "20260312T100000Z", "Acme sync (moved)")
    a.save()
    b.delete()
    mirror = sync(source, mirror)
    (batch,) = mirror.batches
    assert batch.window is None  # incremental, by the sync token
    assert sorted(batch.removed) == [
        "a@2026-03-10T10:00:00+00:00",
        "b@2026-03-11T10:00:00+00:00",
    ]
    assert sorted(r.summary for r in batch.events) == ["Acme sync (moved)", "Gamma intro"]
    assert mirror.summaries() == [
        ("Acme sync (moved)", datetime(2026, 3, 12, 10, tzinfo=UTC)),
        ("Gamma intro", datetime(2026, 3, 20, 15, tzinfo=UTC)),
    ]
    # And nothing again after that.
    mirror = sync(source, mirror)
    assert mirror.batches[0].events == () and mirror.batches[0].removed == ()


def test_an_event_moved_out_of_the_window_is_removed(account: Any) -> None:
    server, user, cal = account
    a = cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    a.data = vevent("a", "20270310T100000Z", "Acme sync next year")
    a.save()
    mirror = sync(source, mirror)
    assert mirror.events == {}


def test_recurring_event_expanded_with_an_exception_and_a_moved_occurrence(
    account: Any,
) -> None:
    server, user, cal = account
    weekly = vevent(
        "weekly",
        "20260302T090000Z",
        "Weekly 1:1",
        "RRULE:FREQ=WEEKLY;COUNT=6",
        "EXDATE:20260309T090000Z",
    )
    moved = (
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\n"
        "RECURRENCE-ID:20260316T090000Z\r\nDTSTART:20260317T140000Z\r\n"
        "DTEND:20260317T150000Z\r\nSUMMARY:Weekly 1:1 (moved)\r\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@acme.test\r\nEND:VEVENT\r\n"
    )
    cal.save_event(weekly.replace("END:VCALENDAR", moved + "END:VCALENDAR"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    assert mirror.summaries() == [
        ("Weekly 1:1", datetime(2026, 3, 2, 9, tzinfo=UTC)),
        ("Weekly 1:1", datetime(2026, 3, 23, 9, tzinfo=UTC)),
        ("Weekly 1:1", datetime(2026, 3, 30, 9, tzinfo=UTC)),  # END is NOW + 14 days
        ("Weekly 1:1 (moved)", datetime(2026, 3, 17, 14, tzinfo=UTC)),
    ]


def test_the_window_moving_on_adds_an_unchanged_series_occurrences(account: Any) -> None:
    server, user, cal = account
    cal.save_event(vevent("daily", "20260301T080000Z", "Standup", "RRULE:FREQ=DAILY"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    last = max(r.start for r in mirror.events.values())
    assert last == datetime(2026, 3, 30, 8, tzinfo=UTC)
    # Most of a day later (within a day of the last listing: by the token only).
    later = timedelta(hours=23)
    mirror = sync(source, mirror, START + later, END + later)
    (batch,) = mirror.batches
    assert batch.window is None
    assert max(r.start for r in mirror.events.values()) == datetime(2026, 3, 31, 8, tzinfo=UTC)
    assert not batch.removed


def test_token_refused_falls_back_to_listing_the_window(account: Any) -> None:
    server, user, cal = account
    a = cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    cal.save_event(vevent("b", "20260311T100000Z", "Beta call"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    # A token the server never gave (as after a server restore): it refuses it.
    import json

    state = unpack(mirror.checkpoints["work"])
    state["token"] = "http://radicale.org/ns/sync/" + "0" * 64
    mirror.checkpoints["work"] = json.dumps(state)  # a plain JSON checkpoint is read too
    a.delete()
    mirror = sync(source, mirror)
    (batch,) = mirror.batches
    assert batch.removed == ("a@2026-03-10T10:00:00+00:00",)
    assert batch.events == ()  # "b" did not change: its ETag says so
    assert mirror.summaries() == [("Beta call", datetime(2026, 3, 11, 10, tzinfo=UTC))]
    # The fresh token is back in the checkpoint.
    assert unpack(mirror.checkpoints["work"])["token"] != state["token"]


def test_windows_time_zone_id_from_exchange(account: Any) -> None:
    server, user, cal = account
    data = (
        vevent("x", "20260310T100000Z", "Exchange meeting")
        .replace("DTSTART:20260310T100000Z", "DTSTART;TZID=W. Europe Standard Time:20260310T100000")
        .replace("DTEND:20260310T110000Z", "DTEND;TZID=W. Europe Standard Time:20260310T110000")
    )
    cal.save_event(data)
    mirror = sync(make_source(server, user), Mirror())
    (record,) = mirror.events.values()
    assert record.start == datetime(2026, 3, 10, 9, tzinfo=UTC)  # Berlin is UTC+1 in March


def test_wrong_password_is_one_clear_line(account: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, user, _cal = account
    monkeypatch.setenv("CALDAV_TEST_PASSWORD", "not-the-password")
    source = make_source(server, user)
    with pytest.raises(AuthError) as e:
        list(source.sync({}, START, END))
    message = str(e.value)
    assert "\n" not in message
    assert message == (
        f"work: http://127.0.0.1:{server.port}/{user.name}/: the server refused the "
        "username or password (HTTP 401): check username and the password setting"
    )
    assert "not-the-password" not in message


def test_the_server_dropping_is_a_retryable_error(account: Any) -> None:
    server, user, cal = account
    cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    server.stop()
    try:
        with pytest.raises(ConnectorError) as e:
            list(source.sync(dict(mirror.checkpoints), START, END))
        assert e.value.retryable
        assert "cannot reach the server" in str(e.value)
        assert "\n" not in str(e.value)
    finally:
        server.start(same_port=True)
    # Once it is back, the same checkpoint carries on.
    again = make_source(server, user)
    mirror = sync(again, mirror)
    assert mirror.batches[0].window is None
    assert mirror.summaries() == [("Acme sync", datetime(2026, 3, 10, 10, tzinfo=UTC))]


def test_an_unreadable_object_is_skipped_with_a_reason(account: Any) -> None:
    server, user, cal = account
    cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    cal.save_event(
        vevent("hourly", "20260310T100000Z", "Reminder", "RRULE:FREQ=MINUTELY;INTERVAL=5")
    )
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    assert mirror.summaries() == [("Acme sync", datetime(2026, 3, 10, 10, tzinfo=UTC))]
    assert dict(mirror.batches[0].skipped) == {"repeats more often than every 4 hours": 1}


def test_config_problems_are_listed_together() -> None:
    with pytest.raises(SourceConfigError) as e:
        CaldavCalendarSource.from_config(
            "work", {"url": "http://cal.example.com/", "calendars": "x", "password_env": ""}
        )
    lines = e.value.message.splitlines()
    assert lines == [
        "url is http:// (the password would travel in clear): use https://, or set "
        "allow_insecure = true for a server on this machine",
        'username is missing, e.g. username = "penny@example.com"',
        "password_env must be the name of an environment variable",
    ]


def test_a_change_the_token_missed_is_caught_by_the_daily_relisting(account: Any) -> None:
    import json

    server, user, cal = account
    a = cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    source = make_source(server, user)
    mirror = sync(source, Mirror())
    a.delete()
    # An unreliable server: its token moved on without reporting the deletion.
    state = unpack(mirror.checkpoints["work"])
    state["token"] = cal.get_objects_by_sync_token(disable_fallback=True).sync_token
    mirror.checkpoints["work"] = json.dumps(state)
    hours = timedelta(hours=2)
    mirror = sync(source, mirror, START + hours, END + hours)
    assert len(mirror.events) == 1  # the token alone cannot know
    day = timedelta(days=1)
    mirror = sync(source, mirror, START + day, END + day)
    assert mirror.events == {}
    assert mirror.batches[0].removed == ("a@2026-03-10T10:00:00+00:00",)


def test_an_unreadable_checkpoint_reads_the_window_anew(account: Any) -> None:
    server, user, cal = account
    cal.save_event(vevent("a", "20260310T100000Z", "Acme sync"))
    source = make_source(server, user)
    for junk in ("z1:not-base64!", "z1:" + "eJzLSM3JyQcABiwCFQ==", "{}", "garbage"):
        (batch,) = list(source.sync({"work": junk}, START, END))
        assert batch.window == (START, END)
        assert [r.summary for r in batch.events] == ["Acme sync"]
