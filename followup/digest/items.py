"""The digest's view model: open nudges -> sections of display-ready items.

Every renderer (the terminal, plain text, Markdown, HTML) works from the same
``DigestView`` so the formats cannot drift apart. The nudges' facts are worded here, at
render time (followup.wording), and all text taken from mail (names, subjects,
sentences, and the words made from them) passes through ``clean_line``
(followup.safe_text, the one sanitiser of every screen): escape
sequences, control characters, CR/LF and bidi controls are removed and whitespace
collapsed, so hostile content can neither fake lines in the plain-text part nor reorder
what the reader sees. HTML escaping is the templates' job (autoescape).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from followup.addresses import is_address
from followup.nudges import KIND_ORDER, KIND_TITLES, Nudge, OpenNudge, PersonRef
from followup.ranking import MORE_ASKS, choose
from followup.safe_text import clean_line as clean_line  # re-exported: the email uses it
from followup.wording import describe_due as describe_due
from followup.wording import describe_when as describe_when
from followup.wording import long_date, reason, short_date, title

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)

# How each kind is counted in the one-line summary (subject, preheader).
_SUMMARY = {
    "reply": ("{n} to reply", "{n} to reply"),
    "promise": ("1 promise due", "{n} promises due"),
    "follow_up": ("1 to follow up", "{n} to follow up"),
    "waiting_on": ("1 waiting on", "{n} waiting on"),
    "before_meeting": ("1 meeting today", "{n} meetings today"),
    "after_meeting": ("1 meeting follow-up", "{n} meeting follow-ups"),
    "reconnect": ("1 to reconnect", "{n} to reconnect"),
}
_MEETING_KINDS = frozenset({"before_meeting", "after_meeting"})


@dataclass(frozen=True, slots=True)
class Item:
    """One nudge ready to show. Every string is one clean line (no CR/LF)."""

    number: int
    kind: str
    who: str  # "Dana Lee", or "Ana Ruiz, Raj Patel +1" for a meeting
    email: str  # the person's address, "" when several or none
    title: str
    reason: str
    sentence: str  # the evidence sentence, "" when none
    subject: str
    when: str  # "3 days ago", "today 10:00"
    due: str  # "due Fri 14 Mar", "2 days late", ""
    link: str | None  # thread URL or mailto:, None when none can be made
    link_label: str
    message_id: str = ""  # the evidence's Message-ID, "" when none
    more_asks: int = 0  # the person's other replies folded into this one

    @property
    def why(self) -> str:
        """Title and reason as one line: "Reply to Dana Lee — asked ... 3 days ago".

        Where the evidence sentence is shown below it, the title alone: the reason
        would only repeat the sentence and the age the item already shows.
        """
        if self.sentence and self.title and self.sentence[:40].lower() in self.reason.lower():
            return self.title + (
                f" — {_more_asks(self.more_asks, self.kind)}" if self.more_asks else ""
            )
        if self.title and self.reason:
            return f"{self.title} — {self.reason}"
        return self.title or self.reason


@dataclass(frozen=True, slots=True)
class Section:
    kind: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class DigestView:
    day: str  # "Thursday 14 March 2024"
    short_day: str  # "Thu 14 Mar"
    sections: tuple[Section, ...]
    count: int  # nudges shown
    hidden: int  # nudges left out by max_items
    summary: str  # "2 to reply, 1 promise due"
    notes: tuple[str, ...] = ()  # clean lines: commands from a reply that could not apply
    footer: tuple[str, ...] = ()  # clean lines about the sources (one needs reconnect)

    @property
    def total(self) -> int:
        return self.count + self.hidden

    @property
    def headline(self) -> str:
        """ "3 things need you", "1 thing needs you", "Nothing needs you today"."""
        if not self.total:
            return "Nothing needs you today"
        return "1 thing needs you" if self.total == 1 else f"{self.total} things need you"


def is_plain_address(address: str) -> bool:
    """True for a bare ``local@domain.tld`` with nothing a URL or header could misread."""
    return is_address(address)


def reply_subject(subject: str | None) -> str:
    """ "Re: <subject>", without stacking a second "Re:"."""
    subject = clean_line(subject, 200)
    if not subject:
        return "Re: your message"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def _message_id(value: str | None) -> str | None:
    value = (value or "").strip().strip("<>")
    if not value or any(c.isspace() or unicodedata.category(c) == "Cc" for c in value):
        return None
    return f"<{value}>"


def _safe_web_url(url: str | None) -> str | None:
    if not url or any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("https", "http") or not parts.netloc:
        return None
    return url


def _recipients(nudge: Nudge) -> list[PersonRef]:
    people = [nudge.person] if nudge.person else list(nudge.people)
    return [p for p in people if p and is_plain_address(p.email)]


def mailto_link(nudge: Nudge) -> str | None:
    """A ``mailto:`` that starts the right email: a reply in the thread, or a meeting
    follow-up to its attendees (RFC 6068: every part percent-encoded)."""
    recipients = _recipients(nudge)
    if not recipients:
        return None
    ev = nudge.evidence
    if nudge.kind in _MEETING_KINDS and not ev.message_id:
        base = clean_line(ev.subject, 200) or "our meeting"
        subject = f"Follow-up: {base}" if nudge.kind == "after_meeting" else base
    else:
        subject = reply_subject(ev.subject)
    to = ",".join(quote(p.email, safe="@") for p in recipients)
    query = [f"subject={quote(subject, safe='')}"]
    mid = _message_id(ev.message_id)
    if mid:
        # Clients that honour it keep the reply in the thread.
        query.append(f"In-Reply-To={quote(mid, safe='')}")
    return f"mailto:{to}?{'&'.join(query)}"


def item_link(nudge: Nudge) -> tuple[str | None, str]:
    """(href, label): the thread's web URL where there is one, else a mailto: reply."""
    url = _safe_web_url(nudge.evidence.thread_url)
    if url:
        return url, "Open thread"
    mailto = mailto_link(nudge)
    if mailto is None:
        return None, ""
    if nudge.kind == "after_meeting":
        return mailto, "Write follow-up"
    if nudge.kind in _MEETING_KINDS or nudge.kind == "reconnect":
        return mailto, "Write to them"
    return mailto, "Reply"


def _who(nudge: Nudge) -> tuple[str, str]:
    if nudge.person is not None:
        name = clean_line(nudge.person.name, 80)
        email = clean_line(nudge.person.email, 120)
        return name or email, email
    names = [clean_line(p.display, 80) for p in nudge.people]
    names = [n for n in names if n]
    if not names:
        return "", ""
    shown = ", ".join(names[:3])
    return (f"{shown} +{len(names) - 3}" if len(names) > 3 else shown), ""


def _more_asks(more: int, kind: str = "reply") -> str:
    if kind == "promise":
        return f"{more} more promise{'s' if more > 1 else ''} in that mail (--all lists them)"
    return f"{more} more ask{'s' if more > 1 else ''} from them (--all lists them)"


def _folded(nudge: Nudge) -> int:
    """How many of the person's other replies were folded into this item
    (followup.ranking.one_reply_per_person)."""
    more = nudge.extra.get(MORE_ASKS)
    return more if isinstance(more, int) and more > 0 else 0


def make_item(open_nudge: OpenNudge, now: datetime, tz: ZoneInfo) -> Item:
    nudge = open_nudge.nudge
    who, email = _who(nudge)
    when_dt = nudge.evidence.date or open_nudge.first_seen
    link, label = item_link(nudge)
    return Item(
        number=open_nudge.number,
        kind=nudge.kind,
        who=who,
        email=email,
        title=clean_line(title(nudge, tz), 160),
        reason=clean_line(reason(nudge, now, tz), 300)
        + (f"; {_more_asks(_folded(nudge), nudge.kind)}" if _folded(nudge) else ""),
        sentence=clean_line(nudge.evidence.sentence, 400),
        subject=clean_line(nudge.evidence.subject, 160),
        when=describe_when(when_dt, now, tz),
        due=describe_due(nudge, now, tz),
        link=link,
        link_label=label,
        message_id=clean_line(nudge.evidence.message_id, 200),
        more_asks=_folded(nudge),
    )


def sort_key(open_nudge: OpenNudge) -> tuple[int, float, int]:
    """Most urgent first: the kind's place in KIND_ORDER, then score, then number."""
    kind = open_nudge.nudge.kind
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return rank, -open_nudge.nudge.score, open_nudge.number


def summarize(counts: dict[str, int]) -> str:
    parts = []
    for kind in (*KIND_ORDER, *sorted(set(counts) - set(KIND_ORDER))):
        n = counts.get(kind, 0)
        if n:
            one, many = _SUMMARY.get(kind, ("1 " + kind, "{n} " + kind))
            parts.append((one if n == 1 else many).format(n=n))
    return ", ".join(parts)


def build_view(
    nudges: Sequence[OpenNudge],
    now: datetime,
    tz: ZoneInfo,
    *,
    max_items: int | None = None,
    caps: Mapping[str, int] | None = None,
    min_score: float = 0.0,
) -> DigestView:
    """With ``max_items``: the top items across kinds by score (followup.ranking, with
    its per-kind ``caps``), grouped by section only within what is shown; without:
    every nudge."""
    ordered = sorted(nudges, key=sort_key)
    if max_items is not None:
        chosen = choose(ordered, now, max_items=max_items, caps=caps, min_score=min_score)
        shown = sorted(chosen.shown, key=sort_key)
    else:
        shown = ordered
    sections: list[Section] = []
    counts: dict[str, int] = {}
    for on in ordered:
        counts[on.nudge.kind] = counts.get(on.nudge.kind, 0) + 1
    for on in shown:
        kind = on.nudge.kind
        item = make_item(on, now, tz)
        if sections and sections[-1].kind == kind:
            last = sections[-1]
            sections[-1] = Section(last.kind, last.title, (*last.items, item))
        else:
            sections.append(Section(kind, KIND_TITLES.get(kind, kind), (item,)))
    return DigestView(
        day=long_date(now, tz),
        short_day=short_date(now, tz),
        sections=tuple(sections),
        count=len(shown),
        hidden=len(ordered) - len(shown),
        summary=summarize(counts),
    )
