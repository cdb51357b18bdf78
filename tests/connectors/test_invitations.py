"""text/calendar parts in mail become invitations on the record (connectors side)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from invitation_mail import ical, invitation_mail

from connectors.mime import parse_message
from connectors.records import MailRecord

SENT = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)


def record(raw: bytes) -> MailRecord:
    r = parse_message(raw, source="work", folder="INBOX", role="inbox", uid="1")
    assert isinstance(r, MailRecord)
    return r


def test_a_request_is_a_meeting_of_the_mail_source() -> None:
    r = record(invitation_mail("Ana <ana@acme.test>", "penny@example.com", SENT, "Invite",
                               ical("REQUEST", "u1", START, "Acme sync")))  # fmt: skip
    inv = r.invitation
    assert inv is not None and inv.method == "request" and inv.uid == "u1"
    (e,) = inv.events
    assert (e.source, e.calendar, e.uid) == ("work", "invitations", "u1@2026-03-18T15:00:00+00:00")
    assert (e.start, e.end, e.summary) == (START, START + timedelta(hours=1), "Acme sync")
    assert e.organizer is not None and e.organizer.email == "ana@acme.test"
    assert [a.address.email for a in e.attendees] == ["penny@example.com"]
    assert r.excerpt.startswith("Invite")  # the text part is still the excerpt


def test_reply_carries_the_answer_and_cancel_the_cancellation() -> None:
    reply = record(invitation_mail("Raj <raj@beta.test>", "penny@example.com", SENT, "Accepted",
                   ical("REPLY", "u1", None, "x", attendees=(("raj@beta.test", "ACCEPTED"),)),
                   method="REPLY")).invitation  # fmt: skip
    assert reply is not None and reply.method == "reply" and reply.events == ()
    assert [(a.address.email, a.status) for a in reply.responses] == [("raj@beta.test", "accepted")]
    cal = ical("CANCEL", "u1", START, "Acme sync")
    raw = invitation_mail("Ana <ana@acme.test>", "penny@example.com", SENT, "Off", cal,
                          method="CANCEL")  # fmt: skip
    cancel = record(raw).invitation
    assert cancel is not None and cancel.method == "cancel"
    assert [e.status for e in cancel.events] == ["cancelled"]


def test_outlook_display_name_zone_and_a_base64_attachment() -> None:
    cal = ical(
        "REQUEST",
        "ol",
        datetime(2026, 3, 18, 15, 0),
        "Board prep",
        tzid='"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"',
    )
    body = base64.encodebytes(cal.encode()).decode()
    raw = (
        "From: Lee <lee@corp.test>\r\nTo: penny@example.com\r\nSubject: Board prep\r\n"
        "Date: Mon, 16 Mar 2026 09:00:00 +0000\r\nMessage-ID: <ol@corp.test>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee invite.\r\n"
        '--b\r\nContent-Type: text/calendar; method=REQUEST; name="meeting.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + body + "--b--\r\n"
    ).encode()
    inv = record(raw).invitation
    assert inv is not None
    assert inv.events[0].start == datetime(2026, 3, 18, 14, 0, tzinfo=UTC)  # Amsterdam, CET


def test_a_recurring_invitation_is_expanded_around_the_mail() -> None:
    cal = ical("REQUEST", "weekly", START, "1:1", extra=("RRULE:FREQ=WEEKLY;COUNT=4",))
    inv = record(invitation_mail("Ana <ana@acme.test>", "penny@example.com", SENT, "1:1",
                                 cal)).invitation  # fmt: skip
    assert inv is not None
    assert [e.start for e in inv.events] == [START + timedelta(weeks=n) for n in range(4)]


def test_what_is_no_invitation_gives_none_and_the_message_is_kept() -> None:
    publish = ical("PUBLISH", "p", START, "Holiday")
    junk = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n"
    no_uid = ical("REQUEST", "", START, "x")
    for cal in (publish, junk, no_uid, "x" * 300_000):
        r = record(invitation_mail("Ana <ana@acme.test>", "penny@example.com", SENT, "S", cal))
        assert r.invitation is None
        assert r.subject == "S"


def test_the_summary_is_cleaned() -> None:
    cal = ical("REQUEST", "u", START, "Sync\x1b[31m now")
    inv = record(invitation_mail("Ana <ana@acme.test>", "p@example.com", SENT, "S", cal)).invitation
    assert inv is not None and "\x1b" not in inv.events[0].summary


def test_hostile_invitations_are_refused_quickly() -> None:
    import time

    crowd = tuple((f"p{n}@list.test", "NEEDS-ACTION") for n in range(600))
    cases = [
        ical("REQUEST", "s", START, "Every second", extra=("RRULE:FREQ=SECONDLY",)),
        ical(
            "REQUEST",
            "f",
            datetime(1, 1, 1, tzinfo=UTC),
            "Since year 1",
            extra=("RRULE:FREQ=DAILY",),
        ),
        ical("REQUEST", "c", START, "A crowd", attendees=crowd),
    ]
    never = ical(
        "REQUEST", "n", START, "Never", extra=("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",)
    )
    started = time.process_time()
    for cal in cases:
        r = record(invitation_mail("Ana <ana@acme.test>", "p@example.com", SENT, "S", cal))
        assert r.invitation is None, cal[:200]
    # A rule that never matches walks towards 9999 until its CPU budget stops it; the
    # DTSTART alone is the one occurrence (RFC 5545: it is always the first instance).
    r = record(invitation_mail("Ana <ana@acme.test>", "p@example.com", SENT, "S", never))
    assert r.invitation is None or [e.start for e in r.invitation.events] == [START]
    assert time.process_time() - started < 5
