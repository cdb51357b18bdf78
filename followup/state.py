"""What the rules see: a plain, immutable snapshot of the store at planning time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from nlp.findings import Finding

if TYPE_CHECKING:
    from followup.config import RuleSettings


def planning_window(rules: RuleSettings) -> timedelta:
    """How far back planning reads threads, so how old mail can still make a nudge
    (twice the longer of the lookback and the reconnect minimum): the window the
    planning state is loaded over and the mail analysed again for a new pipeline."""
    return max(rules.lookback.delta, rules.reconnect_min.delta) * 2


@dataclass(frozen=True, slots=True)
class Msg:
    pk: int
    message_id: str
    thread_id: int
    date: datetime
    sender: str
    sender_name: str
    from_me: bool
    subject: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    folder: str = ""
    automated: str | None = None
    findings: tuple[Finding, ...] = ()
    gmail_thread_id: str | None = None
    web_link: str | None = None  # the thread in the provider's web client, from the source
    names_me: bool = False  # the text's opening addresses me by first name ("Hi Penny,")
    # My own message asks or offers something (a finding, a tentative one, or wording
    # such as "I look forward to hearing from you"): an answer is expected.
    expects_answer: bool = False
    # My message asks to be taken off a list: the sender is a bulk mailer, never chased.
    asks_removal: bool = False

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc


@dataclass(frozen=True, slots=True)
class Thread:
    id: int
    messages: tuple[Msg, ...]  # one per Message-ID, oldest first

    def after(self, m: Msg) -> tuple[Msg, ...]:
        return tuple(x for x in self.messages if x.date > m.date)


@dataclass(frozen=True, slots=True)
class Contact:
    """One address's history with the user (automated mail excluded)."""

    email: str
    name: str
    received: tuple[datetime, ...] = ()  # they wrote to me
    sent: tuple[datetime, ...] = ()  # I wrote to them
    met: tuple[datetime, ...] = ()  # meetings together (past)
    met_alone: int = 0  # of those, 1:1s (they weigh more than a group)
    last_subject: str = ""
    muted: bool = False
    important: bool = False

    @property
    def last_contact(self) -> datetime | None:
        dates = self.received + self.sent + self.met
        return max(dates) if dates else None


@dataclass(frozen=True, slots=True)
class MeetingAttendee:
    email: str
    name: str
    status: str


@dataclass(frozen=True, slots=True)
class Meeting:
    uid: str
    summary: str
    start: datetime
    end: datetime
    status: str
    attendees: tuple[MeetingAttendee, ...]
    organizer: str | None = None


@dataclass(frozen=True)
class PlanningState:
    me: frozenset[str]
    domains: frozenset[str]
    threads: tuple[Thread, ...] = ()
    contacts: dict[str, Contact] = field(default_factory=dict)
    meetings: tuple[Meeting, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    # (kind, address) pairs the user stopped by dismissing them twice (followup.store.learning).
    stopped: frozenset[tuple[str, str]] = frozenset()

    def is_me(self, email: str) -> bool:
        return email in self.me

    def is_outside(self, email: str) -> bool:
        return email not in self.me and email.rpartition("@")[2] not in self.domains

    def name_of(self, email: str) -> str:
        c = self.contacts.get(email)
        return (c.name if c and c.name else self.names.get(email, "")) or ""

    def muted(self, email: str) -> bool:
        c = self.contacts.get(email)
        return bool(c and c.muted)
