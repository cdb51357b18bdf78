"""The demo calendar: events rendered as an ICS file (folded lines, CRLF)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tools.demo.clock import CHICAGO, UTC
from tools.demo.mail import Person

VTIMEZONE_CHICAGO = """BEGIN:VTIMEZONE
TZID:America/Chicago
BEGIN:DAYLIGHT
TZOFFSETFROM:-0600
TZOFFSETTO:-0500
TZNAME:CDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0500
TZOFFSETTO:-0600
TZNAME:CST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE"""


def ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 sequence."""
    out: list[str] = []
    cur = ""
    for ch in line:
        limit = 75 if not out else 74
        if len((cur + ch).encode()) > limit:
            out.append(cur)
            cur = ch
        else:
            cur += ch
    out.append(cur)
    return "\r\n ".join(out)


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    start: datetime  # Chicago local, aware
    minutes: int
    organizer: Person
    attendees: tuple[tuple[Person, str], ...]  # (person, PARTSTAT)
    rrule: str = ""
    exdates: tuple[datetime, ...] = ()
    status: str = "CONFIRMED"
    location: str = ""
    description: str = ""
    all_day: bool = False


def _ics_local(dt: datetime) -> str:
    return dt.astimezone(CHICAGO).strftime("%Y%m%dT%H%M%S")


def render_ics(events: Sequence[Event], stamp: datetime) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//followup//demo calendar//EN",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Penny Example",
        "X-WR-TIMEZONE:America/Chicago",
        *VTIMEZONE_CHICAGO.splitlines(),
    ]
    for ev in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ev.uid}",
            f"DTSTAMP:{stamp.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        ]
        if ev.all_day:
            day: date = ev.start.date()
            lines += [
                f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            ]
        else:
            end = ev.start + timedelta(minutes=ev.minutes)
            lines += [
                f"DTSTART;TZID=America/Chicago:{_ics_local(ev.start)}",
                f"DTEND;TZID=America/Chicago:{_ics_local(end)}",
            ]
        if ev.rrule:
            lines.append(f"RRULE:{ev.rrule}")
        for ex in ev.exdates:
            lines.append(f"EXDATE;TZID=America/Chicago:{_ics_local(ex)}")
        lines.append(f"SUMMARY:{ics_escape(ev.summary)}")
        if ev.location:
            lines.append(f"LOCATION:{ics_escape(ev.location)}")
        if ev.description:
            lines.append(f"DESCRIPTION:{ics_escape(ev.description)}")
        if not ev.all_day:
            lines.append(f'ORGANIZER;CN="{ev.organizer.name}":mailto:{ev.organizer.email}')
        for person, partstat in ev.attendees:
            lines.append(
                f'ATTENDEE;CN="{person.name}";ROLE=REQ-PARTICIPANT;PARTSTAT={partstat}'
                f":mailto:{person.email}"
            )
        lines += [f"STATUS:{ev.status}", "TRANSP:OPAQUE", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(ics_fold(ln) for ln in lines) + "\r\n").encode()
