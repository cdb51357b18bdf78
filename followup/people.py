"""People: display names and relationship strength."""

from __future__ import annotations

import functools
import itertools
import re
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.automated import role_address_reason
from followup.state import Contact

_QUOTES = re.compile(r"^['\"]+|['\"]+$")
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)
# Words senders use as local parts that role_address_reason does not know as roles.
_NOT_NAMES = frozenset(
    {
        "thanks", "delivers", "orders", "order", "auto", "confirm", "hello", "hi", "me", "mail",
        "info", "news", "newsletter", "support", "sales", "contact", "admin", "office", "team",
        "service", "update", "updates", "alerts", "notify", "webmaster", "help", "billing",
    }
)  # fmt: skip


def clean_name(raw: str, email: str = "") -> str:
    """Tidy a display name: "Lee, Dana" -> "Dana Lee"; drop quotes and an address
    repeated as the name; "" when nothing person-like is left."""
    name = _QUOTES.sub("", (raw or "").strip()).strip()
    if not name or "@" in name or name.lower() == email.lower():
        return ""
    if name.count(",") == 1:
        last, first = (p.strip() for p in name.split(","))
        if last and first and " " not in last:
            name = f"{first} {last}"
    return re.sub(r"\s+", " ", name)


def name_from_address(email: str) -> str:
    """ "dana.lee@x" -> "Dana Lee", "raj@x" -> "Raj", as a last resort for display. A
    role or list address ("info@", "thanks@") or a local part no name is spelt like
    ("stp@", "b11354@", an initial and a surname run together as "dturner@") is shown as
    it is: a fragment of it would pass for a name."""
    local = email.partition("@")[0]
    parts = [p for p in re.split(r"[._-]+", local) if p.isalpha() and len(p) > 1]
    if len(parts) >= 2:
        return " ".join(p.capitalize() for p in parts)
    if (
        len(parts) == 1
        and parts[0] == local
        and _VOWEL.search(local)
        and _spoken_start(local)
        and role_address_reason(email) is None
        and local.lower() not in _NOT_NAMES
    ):
        return local.capitalize()
    return email


# Consonant pairs a first name can open with ("Brian", "Chris", "Steve"). Any other pair
# ("dturner", "jroyed", "kkeiser") is an initial glued to a surname, not a name.
_ONSETS = frozenset(
    {
        "bl", "br", "ch", "cl", "cr", "dr", "dw", "fl", "fr", "gl", "gr", "kl", "kr", "ph", "pr",
        "qu", "sc", "sh", "sk", "sl", "sm", "sn", "sp", "st", "sv", "sw", "th", "tr", "ts", "tw",
        "wh", "wr", "zh",
    }
)  # fmt: skip


def _spoken_start(word: str) -> bool:
    head = word[:2].lower()
    return bool(_VOWEL.search(head)) or head in _ONSETS


# A plan asks a contact's days several times (strength, rhythm, restraint), for every
# candidate nudge: computed once per contact (a Contact is frozen, so its days are too).
@functools.lru_cache(maxsize=4096)
def contact_days(c: Contact) -> tuple[datetime, ...]:
    """Distinct days of contact (any direction), oldest first: the relationship's beat."""
    days: dict[object, datetime] = {}
    for d in sorted(c.received + c.sent + c.met):
        days.setdefault(d.date(), d)
    return tuple(days.values())


# Contacts closer than this belong to one conversation (a thread over a few days).
EPISODE_GAP = timedelta(days=3)


def episodes(c: Contact) -> list[datetime]:
    """When each conversation with this person started, oldest first."""
    starts: list[datetime] = []
    last: datetime | None = None
    for d in contact_days(c):
        if last is None or d - last > EPISODE_GAP:
            starts.append(d)
        last = d
    return starts


def usual_gap(c: Contact) -> timedelta | None:
    """The relationship's rhythm: median gap between conversations (not messages: a
    thread over three days is one contact); None with fewer than three conversations."""
    starts = episodes(c)
    if len(starts) < 3:
        return None
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    return timedelta(seconds=statistics.median(gaps))


@dataclass(frozen=True, slots=True)
class Strength:
    score: float
    two_way: bool
    exchanges: int


def strength(c: Contact, now: datetime) -> Strength:
    """Frequency, recency, reciprocity and meetings, 0..100-ish. Explainable on purpose."""
    two_way = bool(c.received) and bool(c.sent)
    exchanges = len(contact_days(c))
    last = c.last_contact
    recency = 0.0
    if last:
        days = max(0.0, (now - last).total_seconds() / 86400)
        recency = max(0.0, 1 - days / 365)
    meetings = len(c.met) * 3 + c.met_alone * 2  # a 1:1 weighs more than a group
    score = min(exchanges, 40) * 1.5 + recency * 20 + (15 if two_way else 0) + meetings
    if c.important:
        score += 25
    return Strength(score=round(score, 1), two_way=two_way, exchanges=exchanges)
