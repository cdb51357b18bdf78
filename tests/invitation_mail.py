"""Invitation mail as calendar clients send it (iTIP in a text/calendar part)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def ical(
    method: str,
    uid: str,
    start: datetime | None,
    summary: str,
    *,
    organizer: str = "ana@acme.test",
    attendees: tuple[tuple[str, str], ...] = (("penny@example.com", "NEEDS-ACTION"),),
    minutes: int = 60,
    extra: tuple[str, ...] = (),
    sequence: int = 0,
    tzid: str | None = None,
) -> str:
    """One VEVENT in a VCALENDAR with METHOD; ``tzid`` writes local times with TZID."""

    def when(name: str, value: datetime) -> str:
        if tzid is None:
            return f"{name}:{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        return f"{name};TZID={tzid}:{value:%Y%m%dT%H%M%S}"

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//followup tests//EN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        "DTSTAMP:20260301T000000Z",
        f"SUMMARY:{summary}",
        f"ORGANIZER;CN=Ana Lopez:mailto:{organizer}",
    ]
    if start is not None:
        from datetime import timedelta

        lines += [when("DTSTART", start), when("DTEND", start + timedelta(minutes=minutes))]
    for email, status in attendees:
        lines.append(f"ATTENDEE;PARTSTAT={status};RSVP=TRUE:mailto:{email}")
    lines += [*extra, "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def invitation_mail(
    sender: str,
    to: str,
    date: datetime,
    subject: str,
    calendar: str,
    *,
    method: str = "REQUEST",
    attach: bool = False,
) -> bytes:
    """A multipart/alternative mail with text, HTML and the calendar (as Outlook and
    Google send it); ``attach`` adds it again as an invite.ics attachment."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(date)
    m["Message-ID"] = make_msgid(domain="acme.test")
    m.set_content(f"{subject}\n\nYou have been invited.\n")
    m.add_alternative(f"<p>{subject}</p>", subtype="html")
    m.add_alternative(calendar, subtype="calendar", params={"method": method})
    if attach:
        m.make_mixed()
        m.add_attachment(
            calendar.encode(), maintype="application", subtype="ics", filename="invite.ics"
        )
    return m.as_bytes()
