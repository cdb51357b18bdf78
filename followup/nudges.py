"""The nudge: one thing the user should do, with the reason and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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


@dataclass(frozen=True, slots=True)
class Nudge:
    """One planned nudge. ``key`` is stable across runs: rule + the thing it is about.

    ``title`` is the one line shown ("Reply to Dana Lee"), ``reason`` the why ("asked
    'can you send the Q3 numbers?' 3 days ago"). ``due`` is when it becomes/became
    urgent; ``score`` orders nudges of the same kind (higher first).
    """

    key: str
    kind: NudgeKind
    person: PersonRef | None
    title: str
    reason: str
    evidence: Evidence
    due: datetime | None = None
    score: float = 0.0
    people: tuple[PersonRef, ...] = ()  # all people concerned (meetings)
    extra: dict[str, Any] = field(default_factory=dict)


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
    """The JSON shape of a nudge (also what the store keeps)."""
    return {
        "key": n.key,
        "kind": n.kind,
        "person": {"name": n.person.name, "email": n.person.email} if n.person else None,
        "title": n.title,
        "reason": n.reason,
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


def nudge_from_dict(d: dict[str, Any]) -> Nudge:
    ev = d.get("evidence") or {}
    p = d.get("person")
    return Nudge(
        key=d["key"],
        kind=d["kind"],
        person=PersonRef(p["name"], p["email"]) if p else None,
        title=d["title"],
        reason=d["reason"],
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


def open_nudge_to_dict(o: OpenNudge) -> dict[str, Any]:
    d = nudge_to_dict(o.nudge)
    d.update(
        number=o.number,
        state=o.state,
        first_seen=_iso(o.first_seen),
        snoozed_until=_iso(o.snoozed_until),
    )
    return d
