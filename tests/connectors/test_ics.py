"""IcsCalendarSource on sample calendars, files, directories and a real local HTTP server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.ics import IcsCalendarSource
from connectors.records import Address, Attendee, EventRecord

ICS = Path(__file__).resolve().parents[1] / "data" / "ics"
MARCH = (datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC))
ANA = Address("Example, Ana", "ana@example.com")


def events(options: dict[str, object], start: datetime, end: datetime) -> list[EventRecord]:
    return list(IcsCalendarSource.from_config("cal", options).events_between(start, end))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_recurrences_are_expanded_with_exdate_and_moved_occurrence() -> None:
    got = [
        (e.summary, e.start, e.end)
        for e in events({"path": str(ICS / "work.ics")}, *MARCH)
        if e.summary.startswith("Weekly")
    ]
    assert got == [
        ("Weekly sync", at(2024, 3, 4, 9), at(2024, 3, 4, 9, 30)),  # 10:00 CET
        # 11 March: EXDATE; 18 March moved to the 19th, 15:00
        ("Weekly sync (moved)", at(2024, 3, 19, 14), at(2024, 3, 19, 14, 30)),
        ("Weekly sync", at(2024, 3, 25, 9), at(2024, 3, 25, 9, 30)),
    ]
    # After the switch to summer time 10:00 Berlin is 08:00 UTC.
    april = events({"path": str(ICS / "work.ics")}, at(2024, 4, 1), at(2024, 4, 2))
    assert [(e.summary, e.start) for e in april] == [("Weekly sync", at(2024, 4, 1, 8))]


def test_people_status_and_uid() -> None:
    first = events({"path": str(ICS / "work.ics")}, at(2024, 3, 4), at(2024, 3, 5))[0]
    assert first.uid == "weekly-sync@example.com@2024-03-04T09:00:00+00:00"
    assert (first.source, first.calendar) == ("cal", "work")
    assert first.organizer == ANA
    assert first.attendees == (
        Attendee(ANA, "accepted", organizer=True),
        Attendee(Address("Penny Example", "penny@example.com"), "accepted"),
        Attendee(Address("Jörg Muster", "joerg@example.de"), "tentative"),
        Attendee(Address("", "raj@example.org"), "declined"),
    )  # the room with an empty mailto: is dropped
    assert first.location == "Room 1"
    assert first.status == "confirmed"
    assert not first.all_day


def test_all_day_floating_cancelled_and_no_end() -> None:
    by_summary = {e.summary: e for e in events({"path": str(ICS / "work.ics")}, *MARCH)}
    offsite = by_summary["Offsite"]
    assert (offsite.start, offsite.end, offsite.all_day) == (at(2024, 3, 6), at(2024, 3, 8), True)
    floating = by_summary["Floating call"]
    assert (floating.start, floating.end) == (at(2024, 3, 7, 9), at(2024, 3, 7, 10))
    assert floating.status == "cancelled"
    reminder = by_summary["UTC reminder"]
    assert reminder.start == reminder.end == at(2024, 3, 8, 12)
    assert reminder.status == "tentative"
    assert reminder.description == "Bring the deck."


def test_timezone_option_applies_to_floating_and_all_day() -> None:
    options = {"path": str(ICS / "work.ics"), "timezone": "America/New_York"}
    by_summary = {e.summary: e for e in events(options, *MARCH)}
    assert by_summary["Offsite"].start == at(2024, 3, 6, 5)  # local midnight, EST
    assert by_summary["Floating call"].start == at(2024, 3, 7, 14)
    assert by_summary["UTC reminder"].start == at(2024, 3, 8, 12)  # zoned times unchanged


def test_window_is_half_open() -> None:
    path = {"path": str(ICS / "work.ics")}
    # The 4 March occurrence ends at 09:30: a window starting then does not include it.
    assert events(path, at(2024, 3, 4, 9, 30), at(2024, 3, 4, 12)) == []
    # A window ending at 09:00 does not include the occurrence starting then.
    assert events(path, at(2024, 3, 4, 8), at(2024, 3, 4, 9)) == []
    # A zero-length event at the window's start is included.
    (e,) = events(path, at(2024, 3, 8, 12), at(2024, 3, 8, 13))
    assert e.summary == "UTC reminder"


def test_directory_of_calendars_and_x_wr_timezone() -> None:
    got = events({"path": str(ICS / "dir")}, at(2024, 3, 5), at(2024, 3, 6))
    assert [(e.calendar, e.summary, e.start) for e in got] == [
        ("personal", "Dentist", at(2024, 3, 5, 14))  # floating 08:00 in America/Chicago
    ]
    assert got[0].uid.startswith("followup-")
    assert got[0].uid.endswith("@2024-03-05T14:00:00+00:00")


def test_broken_calendars_raise_with_the_calendar_name() -> None:
    with pytest.raises(ConnectorError) as e:
        events({"path": str(ICS / "broken.ics")}, *MARCH)
    assert str(e.value) == ("cal: calendar 'broken' is not valid iCalendar: no complete VCALENDAR")


def test_an_unreadable_rule_skips_that_event_with_a_reason() -> None:
    source = IcsCalendarSource.from_config("cal", {"path": str(ICS / "bad_rrule.ics")})
    assert list(source.events_between(*MARCH)) == []
    assert source.skipped == {"unreadable recurrence rule": 1}


def test_naive_window_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        events({"path": str(ICS / "work.ics")}, datetime(2024, 3, 1), at(2024, 4, 1))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {},
            'give either path = "..." (an .ics file or a directory of them) or url = "https://..."',
        ),
        (
            {"path": "x.ics", "url": "https://example.com/a.ics"},
            'give either path = "..." (an .ics file or a directory of them) or url = "https://..."',
        ),
        ({"path": "/nonexistent/cal.ics"}, "path '/nonexistent/cal.ics' does not exist"),
        (
            {"url": "ftp://user:secret@example.com/cal.ics?token=t"},
            "url must start with https://, http://, webcal:// or file://, "
            "not 'ftp://example.com/cal.ics'",
        ),
        (
            {"url": "https://example.com/a.ics", "timezone": "Mars/Olympus"},
            "timezone 'Mars/Olympus' is not a known zone (e.g. \"Europe/Berlin\")",
        ),
        (
            {"url": "https://example.com/a.ics", "user": "x"},
            "unknown key 'user'; known: calendars, path, timezone, url",
        ),
    ],
)
def test_config_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(SourceConfigError) as e:
        IcsCalendarSource.from_config("cal", options)
    assert e.value.message == message


def test_webcal_becomes_https() -> None:
    src = IcsCalendarSource.from_config("cal", {"url": "webcal://example.com/a.ics"})
    assert src.url == "https://example.com/a.ics"


def test_file_url() -> None:
    got = events({"url": (ICS / "work.ics").as_uri()}, at(2024, 3, 4), at(2024, 3, 5))
    assert [(e.calendar, e.summary) for e in got] == [("cal", "Weekly sync")]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        authorised = self.headers.get("Authorization") == "Basic dXNlcjpwIHc="  # user:p w
        path = self.path.split("?", 1)[0]
        if path == "/work.ics" or (path == "/private.ics" and authorised):
            body = (ICS / "work.ics").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        code = {"/private.ics": 401, "/broken-server.ics": 503}.get(path, 404)
        self.send_error(code)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_url(http_server: str) -> None:
    got = events({"url": f"{http_server}/work.ics"}, at(2024, 3, 4), at(2024, 3, 5))
    assert [(e.calendar, e.summary, e.start) for e in got] == [
        ("cal", "Weekly sync", at(2024, 3, 4, 9))
    ]


def test_http_basic_auth_from_the_url(http_server: str) -> None:
    host = http_server.removeprefix("http://")
    url = f"http://user:p%20w@{host}/private.ics"
    assert len(events({"url": url}, at(2024, 3, 4), at(2024, 3, 5))) == 1


def test_http_errors(http_server: str) -> None:
    host = http_server.removeprefix("http://")
    with pytest.raises(AuthError) as auth:
        events({"url": f"http://user:wrong@{host}/private.ics?token=s3cret"}, *MARCH)
    assert str(auth.value) == f"cal: http://{host}/private.ics: HTTP 401 Unauthorized"
    with pytest.raises(ConnectorError) as missing:
        events({"url": f"{http_server}/missing.ics"}, *MARCH)
    assert not missing.value.retryable
    assert missing.value.message == f"{http_server}/missing.ics: HTTP 404 Not Found"
    with pytest.raises(ConnectorError) as down:
        events({"url": f"{http_server}/broken-server.ics"}, *MARCH)
    assert down.value.retryable


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = IcsCalendarSource.from_config("cal", {"url": f"http://127.0.0.1:{port}/a.ics"})
    src.timeout = 5
    with pytest.raises(ConnectorError) as e:
        list(src.events_between(at(2024, 3, 1), at(2024, 3, 2)))
    assert e.value.retryable
    assert "Connection refused" in e.value.message
