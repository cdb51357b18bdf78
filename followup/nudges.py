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
