"""Invitations read over IMAP (a real Dovecot): the calendar part is fetched by its
section, and the record's invitation is the one a whole-message parse gives."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from imap_helpers import make_source, records, run_sync
from invitation_mail import ical, invitation_mail
from servers import Dovecot, MailUser

from connectors.mime import parse_message

pytestmark = pytest.mark.server

SENT = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)


def outlook_base64() -> bytes:
    cal = ical("REQUEST", "ol", datetime(2026, 3, 18, 15, 0), "Board prep",
               tzid="W. Europe Standard Time")  # fmt: skip
    body = base64.encodebytes(cal.encode()).decode().replace("\n", "\r\n")
    return (
        "From: Lee <lee@corp.test>\r\nTo: penny@example.com\r\nSubject: Board prep\r\n"
        "Date: Mon, 16 Mar 2026 09:00:00 +0000\r\nMessage-ID: <ol@corp.test>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nSee invite.\r\n"
        '--b\r\nContent-Type: text/calendar; method=REQUEST; name="meeting.ics"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + body + "--b--\r\n"
    ).encode()


def test_imap_invitations_match_whole_message_parsing(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    mails = [
        invitation_mail("Ana <ana@acme.test>", "penny@example.com", SENT, "Acme sync",
                        ical("REQUEST", "u1", START, "Acme sync"), attach=True),
        invitation_mail("Raj <raj@beta.test>", "penny@example.com", SENT, "Accepted",
                        ical("REPLY", "u1", START, "Acme sync",
                             attendees=(("raj@beta.test", "ACCEPTED"),)), method="REPLY"),
        outlook_base64(),
    ]  # fmt: skip
    dovecot_server.append(mail_user, "INBOX", mails)
    got = records(run_sync(make_source(dovecot_server, mail_user))[0], "INBOX")
    assert len(got) == 3
    for record, raw in zip(got, mails, strict=True):
        whole = parse_message(raw, source=record.source, folder="INBOX", role="inbox", uid="1")
        assert record.invitation is not None
        assert record.invitation == whole.invitation  # type: ignore[union-attr]
    assert [r.invitation.method for r in got] == ["request", "reply", "request"]  # type: ignore[union-attr]
    assert got[2].invitation.events[0].start == datetime(2026, 3, 18, 14, tzinfo=UTC)  # type: ignore[union-attr]


def test_mail_without_a_calendar_part_has_no_invitation(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    raw = (
        b"From: Ana <ana@acme.test>\r\nTo: penny@example.com\r\nSubject: Hi\r\n"
        b"Date: Mon, 16 Mar 2026 09:00:00 +0000\r\nMessage-ID: <hi@acme.test>\r\n\r\nHello\r\n"
    )
    dovecot_server.append(mail_user, "INBOX", [raw])
    (record,) = records(run_sync(make_source(dovecot_server, mail_user))[0])
    assert record.invitation is None
