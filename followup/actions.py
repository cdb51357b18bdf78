"""What a user asks for, from a terminal or a reply to the digest: one parser for both.

``followup snooze 3d 2`` and a reply line ``snooze 2 until Monday`` split the same way
(``split_snooze``) and mean the same time (``parse_when`` then ``resolve``), so both
front doors accept both argument orders and the same dates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from followup.durations import MAX_DURATION, DurationError, parse_duration
from followup.errors import UserError
from followup.safe_text import clean_line
from followup.wording import title as nudge_title

if TYPE_CHECKING:
    from followup.store.store import Store

Action = Literal["done", "dismiss", "reopen", "snooze", "mute", "unmute", "important"]

DEFAULT_SNOOZE = timedelta(days=1)
_STATES = {"done": "done", "dismiss": "dismissed", "reopen": "open"}
_LABELS = {"done": "Done", "dismiss": "Dismissed", "reopen": "Reopened"}

_NAMED_DURATIONS = {
    "tomorrow": "1 day",
    "a day": "1 day",
    "a week": "1 week",
    "next week": "1 week",
    "a month": "30 days",
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PREFIX = re.compile(r"^(?:for|until|till|til)\s+", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_JOINERS = (",", "and")


@dataclass(frozen=True, slots=True)
class When:
    """A snooze's end: a length from the start, the next given weekday, or a date.

    Weekdays and dates mean the start of that day in the user's time zone.
    """

    delta: timedelta | None = None
    weekday: int | None = None  # 0 = Monday
    day: date | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class Command:
    """One action on one nudge (``number``, or ``key`` from the CLI) or one person."""

    action: Action
    number: int | None = None
    address: str | None = None
    snooze: When | None = None  # for "snooze": counted from when it was asked
    line: str = ""  # the line it came from, for logs and reports
    problem: str = ""  # why it cannot apply (a snooze of 500 years): reported, not applied
    key: str | None = None  # a nudge key ("reply:<id>"), from the CLI
    off: bool = False  # "important --off"

    @property
    def ref(self) -> str:
        return self.key if self.key is not None else str(self.number)


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a command did: ``detail`` for the reply's record, ``shown`` for a terminal."""

    detail: str
    shown: str


def apply(store: Store, cmd: Command, start: datetime, tz: ZoneInfo) -> Applied:
    """Apply one command, from the terminal or a reply; UserError if it cannot be.

    A snooze runs from ``start`` (now, or the reply's date) in the user's zone.
    """
    from followup.lock import retry_on_conflict
    from followup.store.nudges import set_state

    if cmd.problem:
        raise UserError(cmd.problem)
    if cmd.action in _STATES:
        o = set_state(store, cmd.ref, _STATES[cmd.action])
        shown = f"{_LABELS[cmd.action]}: [{o.number}] {clean_line(nudge_title(o.nudge, tz), 160)}"
        return Applied(f"{cmd.action} {cmd.ref}", shown)
    if cmd.action == "snooze":
        assert cmd.snooze is not None
        until = resolve(cmd.snooze, start, tz)
        o = set_state(store, cmd.ref, "snoozed", until=until)
        local = until.astimezone(tz)
        title = clean_line(nudge_title(o.nudge, tz), 160)
        shown = f"Snoozed until {local:%a %d %b %H:%M}: [{o.number}] {title}"
        return Applied(f"snooze {cmd.ref} until {until.isoformat()}", shown)
    assert cmd.address is not None
    a = cmd.address
    if cmd.action == "important":
        retry_on_conflict(store.set_person_flag, a, important=not cmd.off)
        verb = "Unmarked" if cmd.off else "Marked"
        return Applied(f"important {'--off ' if cmd.off else ''}{a}", f"{verb} {a} as important")
    retry_on_conflict(store.set_person_flag, a, muted=cmd.action == "mute")
    return Applied(f"{cmd.action} {a}", f"{cmd.action.capitalize()}d {a}")


def parse_when(text: str) -> When:
    """ "3d", "for 2 weeks", "tomorrow", "until Monday", "2026-04-01" ("" is one day).

    Raises DurationError (a UserError) when it is none of them or out of range.
    """
    words = " ".join(text.split())
    if not words:
        return When(delta=DEFAULT_SNOOZE, text="1 day")
    low = _PREFIX.sub("", words.lower())
    low = _NAMED_DURATIONS.get(low, low)
    bare = low.removeprefix("next ")
    for i, name in enumerate(_WEEKDAYS):
        if bare in (name, name[:3]):
            return When(weekday=i, text=words)
    if _ISO_DATE.match(low):
        try:
            return When(day=date.fromisoformat(low), text=words)
        except ValueError:
            raise DurationError(f"{_show(words)} is not a date: use e.g. 2026-04-01") from None
    return When(delta=parse_duration(low).delta, text=words)


def resolve(when: When, start: datetime, tz: ZoneInfo) -> datetime:
    """The instant ``when`` names, counted from ``start`` in the user's zone."""
    if when.delta is not None:
        return start + when.delta
    today = start.astimezone(tz).date()
    if when.weekday is not None:
        ahead = (when.weekday - today.weekday() - 1) % 7 + 1  # always a day to come
        day = today + timedelta(days=ahead)
    else:
        assert when.day is not None
        day = when.day
    until = datetime.combine(day, time(0), tz)
    if until <= start:
        raise DurationError(f"{_show(when.text)} is in the past")
    if until - start > MAX_DURATION:
        raise DurationError(f"{_show(when.text)} is too far: at most 100 years")
    return until


def split_snooze(
    tokens: Sequence[str], is_ref: Callable[[str], bool]
) -> tuple[list[str], str] | None:
    """Split ``snooze``'s arguments into nudge refs and the when-text, in either order.

    "2 3d", "2, 5 for 2 weeks", "3d 2", "2 until Monday", "2 3 days" (the last number
    there is the duration's). None when no refs lead or trail the arguments.
    """
    toks = list(tokens)
    lead = _take(toks, is_ref)
    if lead:
        refs, rest = lead
        text = " ".join(rest)
        if rest and len(refs) >= 2 and refs[-1].isdigit() and not _parses(text):
            return refs[:-1], f"{refs[-1]} {text}"
        return refs, text
    trail = _take(toks[::-1], is_ref)
    if trail:
        refs, rest = trail
        return refs[::-1], " ".join(rest[::-1])
    return None


def _take(toks: list[str], is_ref: Callable[[str], bool]) -> tuple[list[str], list[str]] | None:
    refs: list[str] = []
    i = 0
    while i < len(toks) and (is_ref(toks[i]) or (refs and toks[i].lower() in _JOINERS)):
        if is_ref(toks[i]):
            refs.append(toks[i].lstrip("#"))
        i += 1
    return (refs, toks[i:]) if refs else None


def _parses(text: str) -> bool:
    try:
        parse_when(text)
    except DurationError:
        return False
    return True


def _show(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 60 else shown[:57] + "...'"
