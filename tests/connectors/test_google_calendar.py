"""Google Calendar source: the real client library (shipped discovery document) against
``HttpMockSequence`` answers shaped as the Calendar API documents ``events.list``:
paging, ``nextSyncToken``, incremental changes, 410 Gone, attendees and ``self``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from gmail_fake import write_token
from googleapiclient.http import HttpMockSequence

from connectors.errors import AuthError
from connectors.google_auth import CALENDAR_READONLY, GMAIL_METADATA
from connectors.google_calendar import (
    CalendarCheckpoint,
    GoogleCalendarSource,
    settings_from_options,
)
from connectors.records import EventBatch

START = datetime(2024, 3, 1, tzinfo=UTC)
END = datetime(2024, 5, 1, tzinfo=UTC)
OK = {"status": "200", "content-type": "application/json; charset=UTF-8"}


def page(items: list[dict[str, Any]], **extra: Any) -> tuple[dict[str, str], str]:
    body = {
        "kind": "calendar#events",
        "etag": '"p33c9pke8bifu80g"',
        "summary": "penny@example.com",
        "updated": "2024-03-02T10:00:00.000Z",
        "timeZone": "America/Chicago",
        "accessRole": "owner",
        "defaultReminders": [{"method": "popup", "minutes": 10}],
        "items": items,
        **extra,
    }
    return OK, json.dumps(body)


def event(eid: str, summary: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    when = (
        (lambda v: {"date": v})
        if len(start) == 10
        else (lambda v: {"dateTime": v, "timeZone": "America/Chicago"})
    )
    return {
        "kind": "calendar#event",
        "etag": '"3412345678900000"',
        "id": eid,
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
        "created": "2024-02-01T10:00:00.000Z",
        "updated": "2024-02-01T10:00:00.000Z",
        "summary": summary,
        "creator": {"email": "penny@example.com", "self": True},
        "organizer": {"email": "penny@example.com", "self": True},
        "start": when(start),
        "end": when(end),
        "iCalUID": f"{eid}@google.com",
        "sequence": 0,
        "eventType": "default",
        **extra,
    }


ACME = event(
    "acme1",
    "Acme intro call",
    "2024-03-05T10:00:00-06:00",
    "2024-03-05T10:30:00-06:00",
    attendees=[
        {
            "email": "penny@example.com",
            "organizer": True,
            "self": True,
            "responseStatus": "accepted",
        },
        {"email": "Ana@Example.com", "displayName": "Ana Example", "responseStatus": "tentative"},
        {"email": "raj@example.org", "responseStatus": "needsAction"},
        {
            "email": "c_room@resource.calendar.google.com",
            "displayName": "Room 4",
            "resource": True,
            "responseStatus": "accepted",
        },
    ],
)
DECLINED = event(
    "board1",
    "Board prep",
    "2024-03-06T09:00:00-06:00",
    "2024-03-06T10:00:00-06:00",
    organizer={"email": "lee@example.org", "displayName": "Lee"},
    attendees=[
        {"email": "lee@example.org", "organizer": True, "responseStatus": "accepted"},
        {"email": "penny@example.com", "self": True, "responseStatus": "declined"},
    ],
)
OFFSITE = event("offsite1", "Offsite", "2024-03-10", "2024-03-12")
WEEKLY = event(
    "weekly1_20240307T150000Z",
    "Weekly sync",
    "2024-03-07T09:00:00-06:00",
    "2024-03-07T09:30:00-06:00",
    recurringEventId="weekly1",
    originalStartTime={"dateTime": "2024-03-07T09:00:00-06:00", "timeZone": "America/Chicago"},
)


def source(
    tmp_path: Path, responses: list[tuple[dict[str, str], str]], **options: Any
) -> tuple[GoogleCalendarSource, HttpMockSequence]:
    token = tmp_path / "token.json"
    if not token.exists():
        write_token(token, scopes=(CALENDAR_READONLY,))
    http = HttpMockSequence(responses)
    opts = {"oauth_token_file": str(token), **options}
    src = GoogleCalendarSource(
        "cal",
        settings_from_options("cal", opts),
        http_factory=lambda _t: http,
        sleep=lambda _s: None,
        clock=lambda: 1.7e9,
    )
    return src, http


def sent_params(http: HttpMockSequence, index: int) -> dict[str, list[str]]:
    import urllib.parse

    uri = http.request_sequence[index][0]
    return urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)


def test_first_sync_pages_through_the_window_and_keeps_the_sync_token(tmp_path: Path) -> None:
    src, http = source(
        tmp_path,
        [
            page([ACME, DECLINED], nextPageToken="CigKGjE"),
            page([OFFSITE, WEEKLY], nextSyncToken="CPDAlvWDx70CEPDAlvWDx70CGAU="),
        ],
    )
    (batch,) = list(src.sync({}, START, END))
    assert batch.window == (START, END)
    assert [e.uid for e in batch.events] == [
        "acme1",
        "board1",
        "offsite1",
        "weekly1_20240307T150000Z",
    ]
    cp = CalendarCheckpoint.loads(batch.checkpoint)
    assert cp == CalendarCheckpoint("CPDAlvWDx70CEPDAlvWDx70CGAU=", START, END)
    first = sent_params(http, 0)
    assert first["singleEvents"] == ["true"]
    assert first["timeMin"] == ["2024-03-01T00:00:00Z"]
    assert first["timeMax"] == ["2024-05-01T00:00:00Z"]
    assert "/calendars/primary/events" in http.request_sequence[0][0]
    assert sent_params(http, 1)["pageToken"] == ["CigKGjE"]


def test_event_fields_attendees_self_declined_and_all_day(tmp_path: Path) -> None:
    src, _http = source(tmp_path, [page([ACME, DECLINED, OFFSITE], nextSyncToken="t1")])
    events = {e.uid: e for e in next(src.sync({}, START, END)).events}
    acme = events["acme1"]
    assert acme.start == datetime(2024, 3, 5, 16, 0, tzinfo=UTC)
    assert acme.end == datetime(2024, 3, 5, 16, 30, tzinfo=UTC)
    assert [(a.address.email, a.status, a.organizer) for a in acme.attendees] == [
        ("penny@example.com", "accepted", True),
        ("ana@example.com", "tentative", False),
        ("raj@example.org", "needs-action", False),
    ]  # the room is no attendee
    assert acme.attendees[1].address.name == "Ana Example"
    assert acme.organizer is not None and acme.organizer.email == "penny@example.com"
    assert acme.status == "confirmed" and not acme.all_day
    board = events["board1"]
    assert board.status == "cancelled"  # I declined: not a meeting
    assert board.organizer is not None and board.organizer.email == "lee@example.org"
    offsite = events["offsite1"]
    assert offsite.all_day
    assert offsite.start == datetime(2024, 3, 10, 6, 0, tzinfo=UTC)  # midnight in Chicago
    assert offsite.end == datetime(2024, 3, 12, 5, 0, tzinfo=UTC)  # DST began on the 10th


def test_incremental_sync_sends_only_the_token_and_maps_changes(tmp_path: Path) -> None:
    cp = CalendarCheckpoint("tok-1", START, END).dumps()
    moved = event(
        "acme1", "Acme intro call (moved)", "2024-03-08T10:00:00-06:00", "2024-03-08T11:00:00-06:00"
    )
    gone = {"kind": "calendar#event", "etag": '"1"', "id": "board1", "status": "cancelled"}
    far = event("future1", "Next year", "2025-06-01T10:00:00Z", "2025-06-01T11:00:00Z")
    src, http = source(tmp_path, [page([moved, gone, far], nextSyncToken="tok-2")])
    (batch,) = list(src.sync({"primary": cp}, START, END))
    assert batch.window is None
    assert [(e.uid, e.summary) for e in batch.events] == [("acme1", "Acme intro call (moved)")]
    assert batch.removed == ("board1", "future1")
    assert CalendarCheckpoint.loads(batch.checkpoint) == CalendarCheckpoint("tok-2", START, END)
    params = sent_params(http, 0)
    assert params["syncToken"] == ["tok-1"]
    assert "timeMin" not in params and "timeMax" not in params


def test_410_gone_on_the_sync_token_is_a_full_resync(tmp_path: Path) -> None:
    gone = json.dumps(
        {
            "error": {
                "code": 410,
                "message": "Sync token is no longer valid, a full sync is required.",
                "errors": [
                    {
                        "domain": "global",
                        "reason": "fullSyncRequired",
                        "message": "Sync token is no longer valid, a full sync is required.",
                    }
                ],
                "status": "GONE",
            }
        }
    )
    src, http = source(
        tmp_path,
        [
            ({"status": "410", "content-type": "application/json; charset=UTF-8"}, gone),
            page([ACME], nextSyncToken="fresh"),
        ],
    )
    cp = CalendarCheckpoint("stale", START, END).dumps()
    (batch,) = list(src.sync({"primary": cp}, START, END))
    assert batch.window == (START, END)
    assert [e.uid for e in batch.events] == ["acme1"]
    assert CalendarCheckpoint.loads(batch.checkpoint).sync_token == "fresh"  # type: ignore[union-attr]
    assert "timeMin" in sent_params(http, 1)


def test_a_grown_window_lists_the_new_part(tmp_path: Path) -> None:
    later_end = datetime(2024, 5, 8, tzinfo=UTC)
    new = event("may1", "Planning", "2024-05-03T10:00:00Z", "2024-05-03T11:00:00Z")
    src, http = source(tmp_path, [page([], nextSyncToken="tok-2"), page([new])])
    cp = CalendarCheckpoint("tok-1", START, END).dumps()
    batches: list[EventBatch] = list(src.sync({"primary": cp}, START, later_end))
    assert [b.window for b in batches] == [None, (END, later_end)]
    assert [e.uid for e in batches[1].events] == ["may1"]
    assert CalendarCheckpoint.loads(batches[-1].checkpoint) == CalendarCheckpoint(
        "tok-2", START, later_end
    )
    assert sent_params(http, 1)["timeMin"] == ["2024-05-01T00:00:00Z"]


def test_several_calendars_by_id(tmp_path: Path) -> None:
    src, http = source(
        tmp_path,
        [page([ACME], nextSyncToken="a"), page([OFFSITE], nextSyncToken="b")],
        calendars=["primary", "team@group.calendar.google.com"],
    )
    batches = list(src.sync({}, START, END))
    assert [b.calendar for b in batches] == ["primary", "team@group.calendar.google.com"]
    assert "/calendars/team%40group.calendar.google.com/events" in http.request_sequence[1][0]


def test_unusable_events_are_skipped_with_a_counted_reason(tmp_path: Path) -> None:
    broken = {"id": "x1", "status": "confirmed", "summary": "No time", "start": {}}
    backwards = event("x2", "Backwards", "2024-03-05T10:00:00Z", "2024-03-05T09:00:00Z")
    src, _http = source(tmp_path, [page([broken, backwards, ACME], nextSyncToken="t")])
    batch = next(src.sync({}, START, END))
    assert [e.uid for e in batch.events] == ["acme1"]
    assert dict(batch.skipped) == {"no usable start time": 1, "ends before it starts": 1}


def test_events_between_yields_the_window(tmp_path: Path) -> None:
    src, _http = source(tmp_path, [page([ACME, OFFSITE], nextSyncToken="t")])
    assert [e.uid for e in src.events_between(START, END)] == ["acme1", "offsite1"]


def test_a_token_without_the_calendar_scope_needs_reconnect(tmp_path: Path) -> None:
    write_token(tmp_path / "token.json", scopes=(GMAIL_METADATA,))
    src, http = source(tmp_path, [])
    with pytest.raises(
        AuthError, match=r"needs reconnect: run followup auth cal to grant calendar\.readonly"
    ):
        list(src.sync({}, START, END))
    assert http.request_sequence == []


def test_revoked_refresh_token_needs_reconnect(tmp_path: Path) -> None:
    unauthorized = json.dumps(
        {
            "error": {
                "code": 401,
                "message": "Request had invalid authentication credentials.",
                "status": "UNAUTHENTICATED",
            }
        }
    )
    refused = json.dumps(
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    )
    src, _http = source(
        tmp_path,
        [
            ({"status": "401"}, unauthorized),
            ({"status": "400", "content-type": "application/json"}, refused),
        ],
    )
    with pytest.raises(AuthError) as info:
        list(src.sync({}, START, END))
    assert str(info.value).startswith("cal: needs reconnect: run followup auth cal")
    assert "invalid_grant" in str(info.value)


def test_401_then_refresh_then_success(tmp_path: Path) -> None:
    unauthorized = json.dumps(
        {
            "error": {
                "code": 401,
                "message": "Request had invalid authentication credentials.",
                "status": "UNAUTHENTICATED",
            }
        }
    )
    refreshed = json.dumps(
        {
            "access_token": "ya29.new",
            "expires_in": 3599,
            "scope": CALENDAR_READONLY,
            "token_type": "Bearer",
        }
    )
    src, http = source(
        tmp_path,
        [
            ({"status": "401"}, unauthorized),
            (OK, refreshed),
            page([ACME], nextSyncToken="t"),
        ],
    )
    batch = next(src.sync({}, START, END))
    src.close()
    assert [e.uid for e in batch.events] == ["acme1"]
    assert http.request_sequence[2][3]["authorization"] == "Bearer ya29.new"
    saved = json.loads((tmp_path / "token.json").read_text())
    assert saved["access_token"] == "ya29.new"


def test_followup_sync_reads_a_google_calendar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the config file and the CLI, the transport replaced at its test seam."""
    from imap_helpers import invoke, write_config

    from connectors import google_auth

    token = tmp_path / "token.json"
    write_token(token, scopes=(CALENDAR_READONLY,))
    from datetime import timedelta

    # `followup sync` mirrors the window around the real clock: an event tomorrow.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT15:00:00Z")
    near = event(
        "soon1",
        "Acme sync",
        tomorrow,
        tomorrow.replace("T15:00", "T15:30"),
        attendees=[
            {"email": "ana@example.com", "responseStatus": "accepted"},
            {"email": "penny@example.com", "self": True, "responseStatus": "accepted"},
        ],
    )
    http = HttpMockSequence([page([near], nextSyncToken="t1")])
    monkeypatch.setattr(google_auth, "http_factory", lambda _t: http)
    table = f'[[calendar]]\nname = "work"\nkind = "google"\noauth_token_file = "{token}"\n'
    config = write_config(tmp_path, table)
    result = invoke(config, "sync", "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert (report["source"], report["kind"], report["ok"]) == ("work", "google", True)
    assert "singleEvents=true" in http.request_sequence[0][0]
    assert report["events"] == 1


def test_a_google_calendar_makes_before_and_after_meeting_nudges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`followup run` at a fixed moment: yesterday's meeting asks for a follow-up, this
    afternoon's gets a briefing; a meeting the owner declined makes neither."""
    from imap_helpers import ME, invoke, write_config

    from connectors import google_auth

    token = tmp_path / "token.json"
    write_token(token, scopes=(CALENDAR_READONLY,))
    people = [
        {"email": "ana@acme.example", "displayName": "Ana Ruiz", "responseStatus": "accepted"},
        {"email": ME[1], "self": True, "responseStatus": "accepted"},
    ]
    declined = [people[0], {"email": ME[1], "self": True, "responseStatus": "declined"}]
    items = [
        event(
            "y1", "Acme review", "2024-03-31T15:00:00Z", "2024-03-31T16:00:00Z", attendees=people
        ),
        event(
            "t1", "Acme pricing", "2024-04-01T15:00:00Z", "2024-04-01T15:30:00Z", attendees=people
        ),
        event(
            "t2", "Vendor pitch", "2024-04-01T17:00:00Z", "2024-04-01T18:00:00Z", attendees=declined
        ),
    ]
    http = HttpMockSequence([page(items, nextSyncToken="t1")])
    monkeypatch.setattr(google_auth, "http_factory", lambda _t: http)
    table = f'[[calendar]]\nname = "work"\nkind = "google"\noauth_token_file = "{token}"\n'
    config = write_config(tmp_path, table)
    result = invoke(config, "run", "--no-send", "--now", "2024-04-01T09:00:00+00:00")
    assert result.exit_code == 0, result.output
    out = invoke(config, "digest", "--json", "--all", "--now", "2024-04-01T09:00:00+00:00")
    shown = sorted((n["kind"], n["title"]) for n in json.loads(out.output))
    assert [k for k, _ in shown] == ["after_meeting", "before_meeting"]
    assert "Acme review" in shown[0][1] and "Acme pricing" in shown[1][1]


def test_bad_options_are_listed_together() -> None:
    from connectors.errors import SourceConfigError

    with pytest.raises(SourceConfigError) as e:
        settings_from_options("cal", {"calendar": "primary", "page_size": 0})
    lines = str(e.value).splitlines()
    assert any("unknown option(s) calendar" in ln for ln in lines), lines
    assert any("oauth_token_file is required" in ln for ln in lines), lines
    assert any("page_size must be a whole number from 1 to 2500" in ln for ln in lines), lines
    ok = settings_from_options("cal", {"oauth_token_file": "~/t.json"})
    assert ok.token_file == Path("~/t.json").expanduser()
