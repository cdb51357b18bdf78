"""Invitations in the mailbox make meetings: a user with no calendar source gets
before- and after-meeting nudges, through the CLI, from crafted mail in a Maildir."""

from __future__ import annotations

import json
import mailbox
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from invitation_mail import ical, invitation_mail

from followup.cli import cli

NOW = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)  # Tue 08:30 Chicago
ME = "penny@example.com"
ANA = "Ana Lopez <ana@acme.test>"


def build(root: Path) -> None:
    inbox = mailbox.Maildir(root, create=True)
    sent = inbox.add_folder("Sent")
    # Tomorrow 10:00 Chicago, from Outlook: a Windows zone id.
    tomorrow = datetime(2026, 3, 18, 10, 0)
    inbox.add(
        invitation_mail(
            ANA,
            ME,
            NOW - timedelta(days=2),
            "Invitation: Acme pricing review",
            ical("REQUEST", "pricing", tomorrow, "Acme pricing review",
                 tzid="Central Standard Time"),
            attach=True,
        )
    )  # fmt: skip
    # Yesterday, and nothing written to Ana since: a follow-up is due.
    inbox.add(
        invitation_mail(
            ANA,
            ME,
            NOW - timedelta(days=5),
            "Invitation: Acme intro call",
            ical("REQUEST", "intro", NOW - timedelta(days=1, hours=2), "Acme intro call"),
        )
    )
    # Invited, then cancelled (a higher SEQUENCE): no meeting.
    inbox.add(
        invitation_mail(
            ANA, ME, NOW - timedelta(days=4), "Invitation: Offsite planning",
            ical("REQUEST", "offsite", NOW + timedelta(hours=20), "Offsite planning"),
        )
    )  # fmt: skip
    inbox.add(
        invitation_mail(
            ANA, ME, NOW - timedelta(days=3), "Cancelled: Offsite planning",
            ical("CANCEL", "offsite", NOW + timedelta(hours=20), "Offsite planning",
                 sequence=1),
            method="CANCEL",
        )
    )  # fmt: skip
    # Invited, and I declined (my reply, in Sent): no meeting either.
    inbox.add(
        invitation_mail(
            ANA, ME, NOW - timedelta(days=4), "Invitation: Vendor demo",
            ical("REQUEST", "demo", NOW + timedelta(hours=22), "Vendor demo"),
        )
    )  # fmt: skip
    sent.add(
        invitation_mail(
            f"Penny Example <{ME}>", ANA, NOW - timedelta(days=3), "Declined: Vendor demo",
            ical("REPLY", "demo", NOW + timedelta(hours=22), "Vendor demo",
                 attendees=((ME, "DECLINED"),)),
            method="REPLY",
        )
    )  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    build(tmp_path / "Mail")
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[me]
name = "Penny Example"
addresses = ["{ME}"]
domains = ["example.com"]
timezone = "America/Chicago"

[storage]
url = "sqlite:///{tmp_path / "state.db"}"

[[mail]]
name = "local"
kind = "maildir"
path = "{tmp_path / "Mail"}"

[nlp]
pipeline = "rules"
"""
    )
    return path


def invoke(config: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def meeting_nudges(config: Path) -> list[dict[str, object]]:
    out = invoke(config, "digest", "--json", "--all", "--now", NOW.isoformat())
    items = json.loads(out.output)  # type: ignore[attr-defined]
    items = items["items"] if isinstance(items, dict) else items
    return sorted(
        (n for n in items if n["kind"] in ("before_meeting", "after_meeting")),
        key=lambda n: str(n["kind"]),
    )


def test_run_shows_before_and_after_meeting_nudges_from_invitations(config: Path) -> None:
    result = invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    nudges = meeting_nudges(config)
    assert [(n["kind"], n["title"]) for n in nudges] == [
        ("after_meeting", "Send a follow-up after 'Acme intro call'"),
        ("before_meeting", "10:00 Acme pricing review"),
    ]
    before = nudges[1]
    assert str(before["reason"]).startswith("tomorrow 10:00 with Ana")
    # Rerunning changes nothing: the same nudges, no copies.
    invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    assert [n["key"] for n in meeting_nudges(config)] == [n["key"] for n in nudges]


def test_writing_to_the_attendee_after_the_meeting_closes_the_follow_up(
    config: Path, tmp_path: Path
) -> None:
    from invitation_mail import EmailMessage, format_datetime

    invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    m = EmailMessage()
    m["From"] = f"Penny Example <{ME}>"
    m["To"] = ANA
    m["Subject"] = "Thanks for the call"
    m["Date"] = format_datetime(NOW - timedelta(hours=3))
    m["Message-ID"] = "<thanks@example.com>"
    m.set_content("Thanks Ana, notes attached.\n")
    mailbox.Maildir(tmp_path / "Mail").get_folder("Sent").add(m.as_bytes())
    invoke(config, "run", "--no-send", "--now", NOW.isoformat())
    assert [n["kind"] for n in meeting_nudges(config)] == ["before_meeting"]


def test_a_calendar_named_like_the_mail_source_keeps_its_invitations(
    config: Path, tmp_path: Path
) -> None:
    # The demo names both "demo": the calendar's sync must not drop the mail's meetings.
    (tmp_path / "cal.ics").write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    with config.open("a") as f:
        f.write(f'\n[[calendar]]\nname = "local"\nkind = "ics"\npath = "{tmp_path / "cal.ics"}"\n')
    for _ in range(2):
        result = invoke(config, "run", "--no-send", "--now", NOW.isoformat())
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert [n["kind"] for n in meeting_nudges(config)] == ["after_meeting", "before_meeting"]
