"""The nudge: one thing the user should do, with the facts that say why and the evidence.

A nudge holds facts, never words: who, which message, when it was asked, when it is
due. ``followup.wording`` turns them into English at render time, against the render's
``now`` and the user's time zone, so a nudge stored a week ago still says how long ago
it really was. The store keeps the facts (``facts_to_dict``); ``--json`` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

if TYPE_CHECKING:
    from pydantic import TypeAdapter

NudgeKind = Literal[
    "reply", "promise", "follow_up", "waiting_on", "before_meeting", "after_meeting", "reconnect"
]

# Digest order: most urgent first (the email's sections follow it too).
KIND_ORDER: tuple[NudgeKind, ...] = (
    "reply",
    "promise",
    "follow_up",
    "waiting_on",
    "before_meeting",
    "after_meeting",
    "reconnect",
)

KIND_TITLES: dict[str, str] = {
    "reply": "Reply",
    "promise": "Promises due",
    "follow_up": "Follow up",
    "waiting_on": "Waiting on",
    "before_meeting": "Meetings today",
    "after_meeting": "After meetings",
    "reconnect": "Reconnect",
}


@dataclass(frozen=True, slots=True)
class PersonRef:
    name: str
    email: str

    @property
    def display(self) -> str:
        return self.name or self.email


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why the nudge exists: the message (Message-ID), the sentence, the date."""

    message_id: str | None = None
    sentence: str | None = None
    date: datetime | None = None
    subject: str | None = None
    thread_url: str | None = None  # e.g. a Gmail thread link where one can be made


# -- the facts of each kind (``kind`` last: it tags the stored JSON) -------------------


@dataclass(frozen=True, slots=True)
class ReplyFacts:
    """Someone asked me ``ask`` (their latest ask); the first unanswered one at ``asked_at``."""

    ask: str
    asked_at: datetime
    asks: int = 1  # unanswered messages with an ask in the thread
    kind: Literal["reply"] = "reply"


@dataclass(frozen=True, slots=True)
class FollowUpFacts:
    """My message ``subject`` sent at ``sent_at`` (asking ``ask``, if it did) got no answer."""

    subject: str
    sent_at: datetime
    ask: str | None = None
    kind: Literal["follow_up"] = "follow_up"


@dataclass(frozen=True, slots=True)
class PromiseFacts:
    """I wrote ``text`` at ``promised_at``, committing to ``action`` (by ``due``)."""

    action: str
    text: str
    promised_at: datetime
    due: datetime | None = None
    kind: Literal["promise"] = "promise"


@dataclass(frozen=True, slots=True)
class WaitingOnFacts:
    """They wrote ``text`` at ``said_at``, committing to ``action`` by ``due``."""

    action: str
    text: str
    said_at: datetime
    due: datetime
    kind: Literal["waiting_on"] = "waiting_on"


@dataclass(frozen=True, slots=True)
class ReconnectFacts:
    """Last contact at ``last_contact``; ``usual_gap`` None: marked important, no rhythm."""

    last_contact: datetime
    usual_gap: timedelta | None = None
    last_subject: str = ""
    kind: Literal["reconnect"] = "reconnect"


@dataclass(frozen=True, slots=True)
class AfterMeetingFacts:
    """A meeting with outside ``people`` ended at ``end`` and nobody was written to since."""

    summary: str
    start: datetime
    end: datetime
    people: tuple[PersonRef, ...] = ()
    kind: Literal["after_meeting"] = "after_meeting"


@dataclass(frozen=True, slots=True)
class OpenItem:
    """Another open nudge with someone in a meeting: enough to word its title."""

    key: str
    person: PersonRef | None
    facts: Facts


@dataclass(frozen=True, slots=True)
class LastExchange:
    person: PersonRef
    at: datetime


@dataclass(frozen=True, slots=True)
class BeforeMeetingFacts:
    """A meeting at ``start`` with ``people``: what is open with them, when we last spoke."""

    summary: str
    start: datetime
    people: tuple[PersonRef, ...] = ()
    open_items: tuple[OpenItem, ...] = ()
    last_exchanges: tuple[LastExchange, ...] = ()
    kind: Literal["before_meeting"] = "before_meeting"


@dataclass(frozen=True, slots=True)
class Words:
    """Words instead of facts: nudges stored before facts existed (migration 0005)."""

    title: str
    reason: str
    kind: Literal["words"] = "words"


Facts = (
    ReplyFacts
    | FollowUpFacts
    | PromiseFacts
    | WaitingOnFacts
    | ReconnectFacts
    | AfterMeetingFacts
    | BeforeMeetingFacts
    | Words
)


@cache
def _facts_adapter() -> TypeAdapter[Facts]:
    # pydantic (sqlmodel's own) reads and writes the dataclasses: imported only when a
    # nudge is stored or read, not by every command that loads the config.
    from pydantic import Field, TypeAdapter

    return TypeAdapter(Annotated[Facts, Field(discriminator="kind")])


def facts_to_dict(facts: Facts) -> dict[str, Any]:
    """The JSON shape of facts: ISO-8601 dates, ISO-8601 durations, counts as numbers."""
    out: dict[str, Any] = _facts_adapter().dump_python(facts, mode="json")
    return out


def facts_from_dict(data: Any) -> Facts | None:
    """Facts from their JSON shape; None when it is not one (a damaged row)."""
    from pydantic import ValidationError

    try:
        return _facts_adapter().validate_python(data)
    except ValidationError:
        return None


@dataclass(frozen=True, slots=True)
class Nudge:
    """One planned nudge. ``key`` is stable across runs: rule + the thing it is about.

    ``facts`` say why (worded by followup.wording when shown). ``due`` is when it
    becomes/became urgent; ``score`` orders nudges of the same kind (higher first);
    ``extra`` holds the rules' own numbers (strength, the wait used), never shown.
    """

    key: str
    kind: NudgeKind
    person: PersonRef | None
    facts: Facts
    evidence: Evidence
    due: datetime | None = None
    score: float = 0.0
    people: tuple[PersonRef, ...] = ()  # all people concerned (meetings)
    extra: dict[str, Any] = field(default_factory=dict)


# ``extra`` key of a reply: when the asker last wrote again in the thread (rules.reply).
REMINDED_AT = "reminded_at"


def reminded_at(n: Nudge) -> datetime | None:
    """When the asker of a reply wrote again after the ask (a reminder, a re-forward);
    None when they did not, or the stored value is unreadable."""
    again = n.extra.get(REMINDED_AT)
    if not isinstance(again, str):
        return None
    try:
        return datetime.fromisoformat(again)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class OpenNudge:
    """A nudge as stored, with its short number for ``followup done 3`` and its state."""

    number: int
    nudge: Nudge
    state: Literal["open", "done", "snoozed", "dismissed", "closed"]
    first_seen: datetime
    snoozed_until: datetime | None = None


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def _dt(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


def nudge_to_dict(n: Nudge) -> dict[str, Any]:
    """The nudge's JSON shape without its facts (the store keeps those in their own column)."""
    return {
        "key": n.key,
        "kind": n.kind,
        "person": {"name": n.person.name, "email": n.person.email} if n.person else None,
        "evidence": {
            "message_id": n.evidence.message_id,
            "sentence": n.evidence.sentence,
            "date": _iso(n.evidence.date),
            "subject": n.evidence.subject,
            "thread_url": n.evidence.thread_url,
        },
        "due": _iso(n.due),
        "score": n.score,
        "people": [{"name": p.name, "email": p.email} for p in n.people],
        "extra": n.extra,
    }


def nudge_from_dict(d: dict[str, Any], facts: Any = None) -> Nudge:
    """A nudge from ``nudge_to_dict``'s shape and ``facts_to_dict``'s. A payload from
    before facts carries its own ``title`` and ``reason``: those words are kept."""
    ev = d.get("evidence") or {}
    p = d.get("person")
    parsed = facts_from_dict(facts) if facts is not None else None
    if parsed is None:
        parsed = Words(str(d.get("title") or ""), str(d.get("reason") or ""))
    return Nudge(
        key=d["key"],
        kind=d["kind"],
        person=PersonRef(p["name"], p["email"]) if p else None,
        facts=parsed,
        evidence=Evidence(
            message_id=ev.get("message_id"),
            sentence=ev.get("sentence"),
            date=_dt(ev.get("date")),
            subject=ev.get("subject"),
            thread_url=ev.get("thread_url"),
        ),
        due=_dt(d.get("due")),
        score=float(d.get("score", 0.0)),
        people=tuple(PersonRef(x["name"], x["email"]) for x in d.get("people", [])),
        extra=dict(d.get("extra") or {}),
    )
