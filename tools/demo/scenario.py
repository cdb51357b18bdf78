"""The demo under construction: its mailbox, calendar and the plan (what the app
should and should not find). The planting functions of each nudge kind fill it in."""

from __future__ import annotations

from random import Random
from typing import Any

from tools.demo.cast import (
    CALENDAR,
    DIGEST,
    DOCS,
    EVENTS,
    EXPENSES,
    MAILER_DAEMON,
    ME_EMAILS,
    NW_UPDATES,
    PRICING,
    SHOP,
    TRACKER,
)
from tools.demo.clock import SEED
from tools.demo.ics import Event
from tools.demo.mail import MailBox, Person, Thread


class Demo:
    """Builds the whole demo; ``plan`` collects what the app should and should not say."""

    def __init__(self) -> None:
        self.rng = Random(SEED)
        self.box = MailBox()
        self.events: list[Event] = []
        self.expected: list[dict[str, Any]] = []
        self.not_expected: list[dict[str, Any]] = []
        self.mute: list[str] = []
        self.subjects: set[str] = set()
        self.threads = 0
        self.dana_promise = ""  # Message-ID of the promise mentioned before today's meeting

    def thread(self, subject: str) -> Thread:
        if subject in self.subjects:
            raise ValueError(f"duplicate subject {subject!r}")
        self.subjects.add(subject)
        self.threads += 1
        return Thread(self.box, subject)

    def expect(self, kind: str, who: Person, subject: str, why: str, **extra: Any) -> None:
        self.expected.append(
            {"kind": kind, "person": who.email.lower(), "subject": subject, "why": why, **extra}
        )

    def expect_not(
        self, kind: str, who: Person, subject: str | None, why: str, **extra: Any
    ) -> None:
        self.not_expected.append(
            {"kind": kind, "person": who.email.lower(), "subject": subject, "why": why, **extra}
        )

    def counts(self, folders: dict[str, int]) -> dict[str, Any]:
        automated = {
            DIGEST,
            NW_UPDATES,
            PRICING,
            EVENTS,
            DOCS,
            EXPENSES,
            TRACKER,
            CALENDAR,
            SHOP,
            MAILER_DAEMON,
        }
        newsletters = {DIGEST, NW_UPDATES, PRICING, EVENTS}
        mails = self.box.mails
        people: set[str] = set()
        for m in mails:
            if m.sender in automated:
                continue
            for p in (m.sender, *m.to, *m.cc):
                if p.email not in ME_EMAILS:
                    people.add(p.email)
        in_calendar = {p.email for ev in self.events for p, _ in ev.attendees} | {
            ev.organizer.email for ev in self.events
        }
        return {
            "messages": len(mails),
            "folders": folders,
            "people": len(people),
            "calendar_only_people": len(in_calendar - people - ME_EMAILS),
            "threads": self.threads,
            "from_me": sum(m.sender.email in ME_EMAILS for m in mails),
            "newsletters": sum(m.sender in newsletters for m in mails),
            "newsletter_senders": len(newsletters),
            "notifications": sum(
                m.sender in automated - newsletters - {MAILER_DAEMON} for m in mails
            ),
            "auto_replies": sum(
                any(h == ("Auto-Submitted", "auto-replied") for h in m.headers) for m in mails
            ),
            "bounces": sum(m.sender is MAILER_DAEMON for m in mails),
            "html_only": sum(m.html_only for m in mails),
            "multipart_alternative": sum(m.html is not None and not m.html_only for m in mails),
            "with_attachments": sum(bool(m.attachments) for m in mails),
            "outlook_no_references": sum(
                m.subject.startswith("RE:") and not m.references for m in mails
            ),
            "events": len(self.events),
            "recurring_events": sum(bool(ev.rrule) for ev in self.events),
        }
