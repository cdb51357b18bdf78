"""One score for every nudge, then restraint: the few items worth today.

The score (0..100) is the product of what a busy reader weighs, each part 0..1:

- **relationship**: strength of the history with the person, from mail where the owner
  was a direct party (broadcasts build none; see store.load);
- **directness**: the one recipient of the evidence mail, one of a few in To, in Cc;
- **confidence**: how sure the finding is (the NLP score of the ask or commitment);
- **urgency**: due today, just overdue, or fresh; an item weeks old is history;
- **freshness**: a time-bound ask ("call me when you get in", "is 10 tomorrow OK?")
  decays once its moment has passed, any item decays as the two keep writing to each
  other (they have moved on, or sorted it out in another thread), and any item left
  three weeks halves with each further week: by then it is history, not today's work;
- **audience**: an item from a mail to more than three people is one any of them may
  settle, and one to more than five is close to an announcement.

``score = 100 * (0.25 relationship + 0.2 directness + 0.3 confidence + 0.25 urgency)
* freshness * audience * kind weight``. Freshness and audience multiply where the other
parts add: a strong relationship and a sure finding must not carry a month-old item or
a memo to eight people into a digest of ten. The digest then shows the top items across kinds
(``choose``), with per-kind caps; reconnects rotate so each candidate gets its day.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from followup.nudges import Nudge, OpenNudge, reminded_at
from followup.people import strength
from followup.state import Msg, PlanningState

if TYPE_CHECKING:
    from followup.config import Config

WEIGHTS = {"relationship": 0.25, "directness": 0.2, "confidence": 0.3, "urgency": 0.25}
KIND_WEIGHT = {
    "reply": 1.0,
    "promise": 1.0,
    "before_meeting": 1.0,
    "after_meeting": 0.9,
    "waiting_on": 0.9,
    "follow_up": 0.9,
    "reconnect": 0.7,
}
# What a kind's finding counts as when the nudge has none (outreach, reconnect).
DEFAULT_CONFIDENCE = {"before_meeting": 0.9, "after_meeting": 0.8}
DEFAULT_CAPS: Mapping[str, int] = {"reconnect": 3}

# Asks and promises whose moment is a particular day or hour.
_TIME_BOUND = re.compile(
    r"\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening|week)|in the morning"
    r"|when you get (?:in|back)|right away|asap|as soon as possible|later today|quickly"
    r"|before I (?:send|leave|go)|in (?:a few|\d+) minutes"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:mon|tue|wed|thu|thur|fri|sat|sun)\b"
    r"|\d{1,2}:\d\d|\d{1,2}\s*(?:am|pm|o'?clock)\b"
    # a call or a chat is done by phone or in person, where no mail shows it
    r"|\bsoon\b|\bshortly\b|\b(?:call|phone|ring) (?:you|me)\b)",
    re.IGNORECASE,
)
# A time-bound item this long past its moment keeps this share of its score.
MOMENT_GRACE = timedelta(days=1)
DUE_GRACE = timedelta(days=5)
STALE_FACTOR = 0.3
# Mails exchanged with the person since the evidence: each this many halve the score.
EXCHANGES_HALVING = 4
EXCHANGES_HALVING_ANY = 12
EXCHANGES_FLOOR = 0.25
# An item untouched this long (from its last word, or its due date if later) fades:
# the owner's own reading of a digest calls an ask more than about three weeks old
# history, however real it was.
FADE_AFTER = timedelta(days=21)
FADE_HALVING = timedelta(days=7)
# Kinds whose moment is a date of their own (a meeting, a quiet spell), not an age.
_NO_FADE = frozenset({"reconnect", "before_meeting", "after_meeting"})
# The share of the score kept by an item whose mail went to this many people or more.
AUDIENCE = ((6, 0.6), (4, 0.85))


@dataclass(frozen=True, slots=True)
class ScoreParts:
    relationship: float
    directness: float
    confidence: float
    urgency: float
    freshness: float
    kind_weight: float
    audience: float = 1.0

    @property
    def total(self) -> float:
        base = (
            WEIGHTS["relationship"] * self.relationship
            + WEIGHTS["directness"] * self.directness
            + WEIGHTS["confidence"] * self.confidence
            + WEIGHTS["urgency"] * self.urgency
        )
        return round(100 * base * self.freshness * self.audience * self.kind_weight, 1)

    def to_dict(self) -> dict[str, float]:
        return {
            "relationship": round(self.relationship, 2),
            "directness": round(self.directness, 2),
            "confidence": round(self.confidence, 2),
            "urgency": round(self.urgency, 2),
            "freshness": round(self.freshness, 2),
            "audience": round(self.audience, 2),
        }


def _index(state: PlanningState) -> dict[str, Msg]:
    return {m.message_id: m for th in state.threads for m in th.messages}


def _directness(state: PlanningState, n: Nudge, m: Msg | None) -> float:
    if m is None:
        return 1.0 if n.kind in ("before_meeting", "after_meeting") else 0.8
    recipients = len(m.to) + len(m.cc)
    if m.from_me:
        them = n.person.email if n.person else ""
        in_to = them in m.to
    else:
        in_to = any(state.is_me(e) for e in m.to)
    if recipients > 5:
        return 0.1
    if in_to and recipients == 1:
        return 1.0
    if in_to and recipients <= 3:
        return 0.8
    return 0.6 if in_to else 0.3


def _audience(m: Msg | None) -> float:
    recipients = len(m.to) + len(m.cc) if m is not None else 0
    return next((share for least, share in AUDIENCE if recipients >= least), 1.0)


def _confidence(n: Nudge, m: Msg | None) -> float:
    sentence = n.evidence.sentence
    if m is not None and sentence:
        scores = [f.score for f in m.findings if f.text == sentence]
        if scores:
            return max(0.0, min(1.0, max(scores)))
    if n.kind in DEFAULT_CONFIDENCE:
        return DEFAULT_CONFIDENCE[n.kind]
    return 0.5


def _last_word(n: Nudge) -> datetime | None:
    """When the item last came up: the evidence, or the asker's reminder after it (a
    re-forward, "any news?"), which makes an old ask pressing again."""
    when = n.evidence.date
    again = reminded_at(n)
    if again is not None and (when is None or again > when):
        return again
    return when


def _urgency(n: Nudge, now: datetime) -> float:
    if n.kind == "before_meeting":
        return 1.0
    if n.due is not None:
        days = (n.due - now).total_seconds() / 86400
        if -7 <= days < 0:
            return 1.0  # late by up to a week: the most pressing
        if days <= 1.5:
            return 0.9  # due today or tomorrow
        return 0.6 if days > 0 else 0.3
    if n.kind == "reconnect":
        return 0.5
    when = _last_word(n)
    if when is None:
        return 0.5
    age = (now - when).total_seconds() / 86400
    if age <= 4:
        return 1.0
    if age <= 8:
        return 0.7
    if age <= 15:
        return 0.4
    return 0.2


def time_bound(sentence: str | None) -> bool:
    return bool(sentence and _TIME_BOUND.search(sentence))


class _ContactCache:
    """Per address, what ranking reads of a contact for each of its nudges, worked out
    once per ranking: its strength and its mail's dates in order (a plan at 100k
    messages ranks 2,500 nudges over a few hundred contacts)."""

    def __init__(self, state: PlanningState, now: datetime) -> None:
        self.state, self.now = state, now
        self._strength: dict[str, float] = {}
        self._dates: dict[str, list[datetime]] = {}

    def strength(self, email: str) -> float | None:
        c = self.state.contacts.get(email)
        if c is None:
            return None
        if email not in self._strength:
            self._strength[email] = strength(c, self.now).score
        return self._strength[email]

    def mails_between(self, email: str, after: datetime, until: datetime) -> int | None:
        """Mail either way with the contact dated in (after, until]; None: no contact."""
        c = self.state.contacts.get(email)
        if c is None:
            return None
        dates = self._dates.get(email)
        if dates is None:
            dates = self._dates[email] = sorted((*c.received, *c.sent))
        return max(0, bisect.bisect_right(dates, until) - bisect.bisect_right(dates, after))


def _freshness(
    state: PlanningState, n: Nudge, now: datetime, cache: _ContactCache | None = None
) -> float:
    cache = cache or _ContactCache(state, now)
    factor = 1.0
    when = n.evidence.date
    bound = time_bound(n.evidence.sentence)
    if when is not None and bound:
        # A dated promise stays pressing for the working week after its date; a time
        # word with no resolved date ("call me when you get in") for a day.
        moment, grace = (n.due, DUE_GRACE) if n.due is not None else (when, MOMENT_GRACE)
        if now - moment > grace:
            factor *= STALE_FACTOR
    when = _last_word(n)
    if when is not None and n.person is not None and n.kind != "reconnect":
        since = cache.mails_between(n.person.email, when, now)
        if since is not None:
            # A time-bound ask is overtaken by a few mails; any item by many.
            halving = EXCHANGES_HALVING if bound else EXCHANGES_HALVING_ANY
            factor *= max(EXCHANGES_FLOOR, 0.5 ** (since / halving))
    if when is not None and n.kind not in _NO_FADE:
        if n.due is not None and n.due > when:
            when = n.due
        late = now - when - FADE_AFTER
        if late > timedelta(0):
            factor *= 0.5 ** (late / FADE_HALVING)
    return factor


def score_parts(
    state: PlanningState,
    n: Nudge,
    now: datetime,
    index: Mapping[str, Msg],
    cache: _ContactCache | None = None,
) -> ScoreParts:
    cache = cache or _ContactCache(state, now)
    m = index.get(n.evidence.message_id or "")
    known = cache.strength(n.person.email) if n.person else None
    if known is not None:
        relationship = min(1.0, known / 80)
    elif n.people:
        relationship = 0.5
    else:
        relationship = 0.0
    return ScoreParts(
        relationship=relationship,
        directness=_directness(state, n, m),
        confidence=_confidence(n, m),
        urgency=_urgency(n, now),
        freshness=_freshness(state, n, now, cache),
        kind_weight=KIND_WEIGHT.get(n.kind, 0.8),
        audience=_audience(m),
    )


def rank(state: PlanningState, nudges: Sequence[Nudge], now: datetime) -> list[Nudge]:
    """The nudges with their one score (and its parts in ``extra["score_parts"]``)."""
    index = _index(state)
    cache = _ContactCache(state, now)
    out = []
    for n in nudges:
        parts = score_parts(state, n, now, index, cache)
        extra = {**n.extra, "score_parts": parts.to_dict()}
        out.append(replace(n, score=parts.total, extra=extra))
    return out


@dataclass(frozen=True, slots=True)
class Selection:
    shown: tuple[OpenNudge, ...]  # highest score first
    hidden: int  # open nudges left out (caps, max_items, min_score)


def _rotate(group: list[OpenNudge], cap: int, now: datetime) -> list[OpenNudge]:
    """``cap`` of ``group`` for today: a window moving each day over a stable order,
    so every candidate is shown within ceil(len / cap) days."""
    if len(group) <= cap:
        return group
    stable = sorted(group, key=lambda o: o.nudge.key)
    start = (now.date().toordinal() * cap) % len(stable)
    return [stable[(start + i) % len(stable)] for i in range(cap)]


def choose(
    nudges: Sequence[OpenNudge],
    now: datetime,
    *,
    max_items: int | None,
    caps: Mapping[str, int] | None = None,
    min_score: float = 0.0,
) -> Selection:
    """The open nudges to show today, highest score first; ``max_items`` None: no limit
    (caps and ``min_score`` still apply)."""
    caps = DEFAULT_CAPS if caps is None else caps
    by_kind: dict[str, list[OpenNudge]] = {}
    for o in nudges:
        by_kind.setdefault(o.nudge.kind, []).append(o)
    kept: list[OpenNudge] = []
    for kind, group in by_kind.items():
        group.sort(key=lambda o: (-o.nudge.score, o.nudge.key))
        cap = caps.get(kind)
        if cap is None:
            kept.extend(group)
        elif kind == "reconnect":
            kept.extend(_rotate(group, cap, now))
        else:
            kept.extend(group[:cap])
    kept = [o for o in kept if _passes(o.nudge, min_score)]
    kept.sort(key=lambda o: (-o.nudge.score, o.nudge.key))
    if max_items is not None:
        kept = one_reply_per_person(kept)[:max_items]
    return Selection(shown=tuple(kept), hidden=len(nudges) - len(kept))


# extra key of a shown reply: how many other replies the same person waits for.
MORE_ASKS = "more_asks"


def _one_of(n: Nudge) -> str:
    """What only one shown item may stand for: a person's replies, one mail's promises
    ("I'll send the notes. I'll call Dana." is one thing to look at); "" for no limit."""
    if n.kind == "reply" and n.person:
        return f"reply:{n.person.email}"
    if n.kind == "promise" and n.evidence.message_id:
        return f"promise:{n.evidence.message_id}"
    return ""


def one_reply_per_person(ordered: Sequence[OpenNudge]) -> list[OpenNudge]:
    """``ordered`` (highest score first) with one reply item per person (and one promise
    item per mail): the top one, counting the others (``extra["more_asks"]``), so one
    sender or one mail cannot fill the digest."""
    firsts: dict[str, int] = {}
    more: dict[str, int] = {}
    out: list[OpenNudge] = []
    for o in ordered:
        who = _one_of(o.nudge)
        if who and who in firsts:
            more[who] = more.get(who, 0) + 1
            continue
        if who:
            firsts[who] = len(out)
        out.append(o)
    for who, extra_asks in more.items():
        top = out[firsts[who]]
        nudge = replace(top.nudge, extra={**top.nudge.extra, MORE_ASKS: extra_asks})
        out[firsts[who]] = replace(top, nudge=nudge)
    return out


def select_shown(nudges: Sequence[OpenNudge], now: datetime, config: Config) -> Selection:
    """What the email and ``followup digest`` show under ``config``'s [digest]."""
    d = config.digest
    return choose(nudges, now, max_items=d.max_items, caps=d.caps, min_score=d.min_score)


def _passes(nudge: Nudge, min_score: float) -> bool:
    """Over the floor; a meeting briefing always is, and so is a nudge planned before
    the ranking (an upgraded store shows what it had until the next plan scores it)."""
    if nudge.kind == "before_meeting" or "score_parts" not in nudge.extra:
        return True
    return nudge.score >= min_score
