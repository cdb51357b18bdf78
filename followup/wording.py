"""Facts into words: the one place that says a nudge, and every time, in English.

The rules hand over facts (followup.nudges); everything shown is worded here at render
time, from those facts, the render's ``now`` and the user's time zone. A nudge stored a
week ago says "10 days ago", not the "3 days ago" of the day it was planned; the digest's
lines and the nudges' reasons use the same words for the same span.

The words are not sanitised here: mail text (names, subjects, sentences) goes into them
as written, and every screen takes them through followup.safe_text (the digest's view,
followup.digest.items, does).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from followup.nudges import (
    AfterMeetingFacts,
    BeforeMeetingFacts,
    Facts,
    FollowUpFacts,
    Nudge,
    PersonRef,
    PromiseFacts,
    ReconnectFacts,
    ReplyFacts,
    WaitingOnFacts,
    Words,
    reminded_at,
)

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LONG_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# The kinds whose due date the digest shows beside the item.
_DUE_KINDS = frozenset({"promise", "waiting_on"})


# -- times -------------------------------------------------------------------------


def describe(delta: timedelta) -> str:
    """ "3 days", "5 weeks", "2 hours": a rough human length."""
    secs = delta.total_seconds()
    if secs < 3600:
        n, unit = max(1, round(secs / 60)), "minute"
    elif secs < 86400 * 2:
        n, unit = round(secs / 3600), "hour"
    elif secs < 86400 * 14:
        n, unit = round(secs / 86400), "day"
    else:
        n, unit = round(secs / (86400 * 7)), "week"
    return f"{n} {unit}{'s' if n != 1 else ''}"


def _days_between(when: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Calendar days in the user's zone from ``when`` to ``now`` (negative: the future)."""
    return (now.astimezone(tz).date() - when.astimezone(tz).date()).days


def ago(when: datetime, now: datetime, tz: ZoneInfo) -> str:
    """ "today", "yesterday", "3 days ago", "5 weeks ago", "3 months ago" relative to the
    user's day ("today" for anything later today or in the future)."""
    days = _days_between(when, now, tz)
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 14:
        return f"{days} days ago"
    if days < 60:
        return f"{round(days / 7)} weeks ago"
    return f"{round(days / 30.4)} months ago"


def short_date(dt: datetime, tz: ZoneInfo) -> str:
    local = dt.astimezone(tz)
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"


def long_date(dt: datetime, tz: ZoneInfo) -> str:
    local = dt.astimezone(tz)
    return f"{_LONG_DAYS[local.weekday()]} {local.day} {_LONG_MONTHS[local.month - 1]} {local.year}"


def _day(when: datetime, now: datetime, tz: ZoneInfo) -> str:
    """ "today", "tomorrow", "yesterday", else "Thu 14 Mar"."""
    days = -_days_between(when, now, tz)
    return {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days) or short_date(when, tz)


def describe_when(when: datetime, now: datetime, tz: ZoneInfo) -> str:
    """ "3 days ago", "yesterday", "today", or for the future "today 10:00", "tomorrow 09:30"."""
    if when > now + timedelta(minutes=1):
        return f"{_day(when, now, tz)} {when.astimezone(tz):%H:%M}"
    return ago(when, now, tz)


def describe_due(nudge: Nudge, now: datetime, tz: ZoneInfo) -> str:
    """ "due today", "due Fri 15 Mar", "2 days late" for promises and waiting-on; else ""."""
    if nudge.due is None or nudge.kind not in _DUE_KINDS:
        return ""
    days = -_days_between(nudge.due, now, tz)
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due {short_date(nudge.due, tz)}"
    return "1 day late" if days == -1 else f"{-days} days late"


def _promise_when(due: datetime, now: datetime, tz: ZoneInfo) -> str:
    days = -_days_between(due, now, tz)
    if days < -1:
        return f"{-days} days overdue"
    if days == -1:
        return "due yesterday"
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    return f"due {due.astimezone(tz):%a %b %-d}"


# -- text from mail inside a sentence ----------------------------------------------


def quote(sentence: str, limit: int = 90) -> str:
    """A sentence as shown inside a reason: single line, capped at a word, in quotes."""
    s = " ".join(sentence.split())
    if len(s) > limit:
        cut = s[: limit - 1]
        space = cut.rfind(" ")
        # At the last whole word; a word longer than half the room is cut where it falls.
        s = (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
    return f"'{s}'"


def _first(p: PersonRef) -> str:
    return p.display.split()[0] if " " in p.display else p.display


def names(people: Sequence[PersonRef]) -> str:
    """ "Ana, Raj +2": first names, at most four."""
    shown = [_first(p) for p in people]
    return ", ".join(shown[:4]) + (f" +{len(shown) - 4}" if len(shown) > 4 else "")


# -- nudges ------------------------------------------------------------------------


def _who(person: PersonRef | None) -> str:
    return person.display if person else ""


def facts_title(facts: Facts, person: PersonRef | None, tz: ZoneInfo) -> str:
    """The one line that says what to do: "Reply to Dana Lee", "10:00 Acme sync"."""
    who = _who(person)
    match facts:
        case ReplyFacts():
            return f"Reply to {who}"
        case FollowUpFacts():
            return f"Chase {who}"
        case PromiseFacts(action=action):
            return f"You promised {who}: {action}"
        case WaitingOnFacts(action=action):
            return f"{who} owes you: {action or 'an answer'}"
        case ReconnectFacts():
            return f"Reconnect with {who}"
        case AfterMeetingFacts(summary=summary):
            return f"Send a follow-up after '{summary}'"
        case BeforeMeetingFacts(summary=summary, start=start):
            return f"{start.astimezone(tz):%H:%M} {summary}"
        case Words(title=title):
            return title
    raise TypeError(f"no words for {type(facts).__name__}")  # pragma: no cover


def facts_reason(facts: Facts, now: datetime, tz: ZoneInfo) -> str:
    """Why, with the evidence and the times as of ``now``."""
    match facts:
        case ReplyFacts(ask=ask, asked_at=asked_at):
            return f"asked {quote(ask)} {ago(asked_at, now, tz)}"
        case FollowUpFacts(subject=subject, sent_at=sent_at, ask=ask):
            if ask:
                what = f"asked {quote(ask)}"
            elif subject.strip():
                what = f"no reply to {quote(subject)}"
            else:
                what = "no reply to your message (no subject)"
            return f"{what}; sent {ago(sent_at, now, tz)}, no reply since"
        case PromiseFacts(text=text, promised_at=promised_at, due=due):
            when = (
                _promise_when(due, now, tz)
                if due is not None
                else f"no date set, promised {ago(promised_at, now, tz)}"
            )
            return f"{when}: you wrote {quote(text)}"
        case WaitingOnFacts(text=text, said_at=said_at, due=due):
            late = _days_between(due, now, tz)
            return (
                f"said {quote(text)} {ago(said_at, now, tz)}; "
                f"{late} day{'s' if late != 1 else ''} late"
            )
        case ReconnectFacts(last_contact=last, usual_gap=gap, last_subject=subject):
            rhythm = f"You usually talk every ~{describe(gap)}" if gap else "Marked important"
            about = f" (re: {quote(subject, 60)})" if subject else ""
            return f"{rhythm}; last contact {describe(now - last)} ago{about}"
        case AfterMeetingFacts(end=end, people=people):
            return f"met {ago(end, now, tz)} with {names(people)}; nothing sent since"
        case BeforeMeetingFacts(start=start, people=people, open_items=items, last_exchanges=last):
            parts = [facts_title(i.facts, i.person, tz) for i in items[:3]]
            parts += [f"last exchange with {_first(x.person)} {ago(x.at, now, tz)}" for x in last]
            reason = f"{_day(start, now, tz)} {start.astimezone(tz):%H:%M} with {names(people)}"
            return reason + (" — " + "; ".join(parts) if parts else "")
        case Words(reason=reason):
            return reason
    raise TypeError(f"no words for {type(facts).__name__}")  # pragma: no cover


def title(nudge: Nudge, tz: ZoneInfo) -> str:
    return facts_title(nudge.facts, nudge.person, tz)


def reason(nudge: Nudge, now: datetime, tz: ZoneInfo) -> str:
    text = facts_reason(nudge.facts, now, tz)
    again = reminded_at(nudge) if nudge.kind == "reply" else None
    if again is not None:
        text += f"; they wrote again {ago(again, now, tz)}"
    return text
