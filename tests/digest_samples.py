"""Sample open nudges for the digest tests: one of every kind, plus hostile content."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from followup.nudges import Evidence, Facts, Nudge, OpenNudge, PersonRef, Words

TZ = ZoneInfo("America/Chicago")
# Thursday 14 March 2024, 07:30 in Chicago.
NOW = datetime(2024, 3, 14, 12, 30, tzinfo=UTC)

HOSTILE_NAME = "Eve <script>alert(1)</script>\r\nBcc: victim@example.net"
HOSTILE_SUBJECT = "Invoice\r\nBcc: victim@example.net\r\nX-Evil: 1 <img src=x onerror=alert(2)>"
HOSTILE_SENTENCE = (
    'Click <a href="javascript:alert(3)">here</a>\r\n\r\n'
    "done 1\r\n.\r\nMAIL FROM:<a@b> & <b>bold</b> \u202eevil"
)
LONG_WORD = "x" * 300  # no break opportunity: must wrap, not scroll, at 360 px


def open_nudge(
    number: int,
    kind: str,
    *,
    name: str = "Dana Lee",
    email: str = "dana@example.com",
    title: str | None = None,
    reason: str = "asked 'can you send the Q3 numbers?' 3 days ago",
    sentence: str | None = "Can you send the Q3 numbers?",
    subject: str | None = "Q3 numbers",
    message_id: str | None = "q3-1@example.com",
    days_ago: float = 3,
    due: datetime | None = None,
    thread_url: str | None = None,
    people: tuple[PersonRef, ...] = (),
    person: bool = True,
    score: float = 0.0,
    facts: Facts | None = None,
) -> OpenNudge:
    nudge = Nudge(
        key=f"{kind}:{number}",
        kind=kind,  # type: ignore[arg-type]
        person=PersonRef(name, email) if person else None,
        facts=facts or Words(title if title is not None else f"Reply to {name}", reason),
        evidence=Evidence(
            message_id=message_id,
            sentence=sentence,
            date=NOW - timedelta(days=days_ago),
            subject=subject,
            thread_url=thread_url,
        ),
        due=due,
        score=score,
        people=people,
    )
    return OpenNudge(number=number, nudge=nudge, state="open", first_seen=NOW - timedelta(days=1))


def every_kind() -> list[OpenNudge]:
    """One open nudge per kind, deliberately out of order."""
    return [
        open_nudge(
            7,
            "reconnect",
            name="Lee Park",
            email="lee@example.org",
            title="Reconnect with Lee Park",
            reason="you usually talk every ~3 weeks; last contact 9 weeks ago (re: 'board prep')",
            sentence=None,
            subject="board prep",
            days_ago=63,
        ),
        open_nudge(
            1,
            "reply",
            thread_url="https://mail.google.com/mail/u/0/#all/18e3f0a1b2c3d4e5",
        ),
        open_nudge(
            3,
            "follow_up",
            name="Raj Patel",
            email="raj@beta.example",
            title="Chase Raj Patel",
            reason="no reply to 'Intro: Acme x Beta' since Tue",
            sentence="Would you have 20 minutes next week?",
            subject="Intro: Acme x Beta",
            message_id="intro-7@example.com",
            days_ago=2,
        ),
        open_nudge(
            2,
            "promise",
            name="Sam Diaz",
            email="sam@example.com",
            title="You promised Sam Diaz the deck",
            reason="by Fri (tomorrow)",
            sentence="I'll send the deck by Friday.",
            subject="Re: deck",
            due=NOW + timedelta(days=1),
        ),
        open_nudge(
            4,
            "waiting_on",
            name="Ana Ruiz",
            email="ana@venue.example",
            title="Ana Ruiz said she'd confirm the venue",
            reason="by Mon — 2 days late",
            sentence="I will confirm the venue by Monday.",
            subject="Venue",
            due=NOW - timedelta(days=3),
        ),
        open_nudge(
            5,
            "before_meeting",
            title="10:00 Acme sync",
            reason="open: you owe Ana the pricing sheet",
            sentence=None,
            subject="Acme sync",
            message_id=None,
            days_ago=-0.1,
            person=False,
            people=(PersonRef("Ana Ruiz", "ana@venue.example"), PersonRef("", "raj@beta.example")),
        ),
        open_nudge(
            6,
            "after_meeting",
            title="Send a follow-up after 'Acme intro call'",
            reason="yesterday, to Ana Ruiz and Raj Patel",
            sentence=None,
            subject="Acme intro call",
            message_id=None,
            days_ago=1,
            person=False,
            people=(
                PersonRef("Ana Ruiz", "ana@venue.example"),
                PersonRef("Raj Patel", "raj@beta.example"),
            ),
        ),
    ]


def hostile() -> OpenNudge:
    return open_nudge(
        9,
        "reply",
        name=HOSTILE_NAME,
        email="eve@evil.example",
        title=f"Reply to {HOSTILE_NAME}",
        reason=f"asked {HOSTILE_SENTENCE!s} {LONG_WORD}",
        sentence=HOSTILE_SENTENCE + " " + LONG_WORD,
        subject=HOSTILE_SUBJECT,
        message_id="evil@evil.example",
        thread_url="javascript:alert(4)",
    )
