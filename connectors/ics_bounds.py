"""Bounded expansion of one calendar's events: what a hostile ICS file cannot make us do.

Each event (a UID with its changed occurrences) is screened, then expanded on its own
inside the sync window, lazily and at most ``MAX_OCCURRENCES`` times. One event that
cannot be read or expanded is skipped with a short fixed reason (never text from the
calendar); the others go on. What is refused, and why:

- a series repeating more often than every ``MIN_REPEAT`` (``FREQ=SECONDLY``,
  ``MINUTELY``, ``HOURLY;INTERVAL=1``, ``BYMINUTE`` lists): reminders or bots, no
  meetings; expanding them is what hung the sync (dateutil walks every second from
  DTSTART to the window);
- more than ``MAX_ATTENDEES`` attendees: a mailing list, not a meeting;
- more than ``MAX_CHANGED`` changed occurrences (RECURRENCE-ID) or ``MAX_RDATES`` extra
  dates in one event;
- a rule that would have to step more than ``MAX_STEPS`` times from its DTSTART to the
  window (``FREQ=DAILY`` from the year 1): dateutil iterates from DTSTART;
- whatever else takes more than ``EVENT_CPU_SECONDS`` of CPU to expand (a rule whose BY
  parts never match walks to the year 9999), and every event once the calendar has
  spent ``CALENDAR_CPU_SECONDS`` (see connectors/cpu_budget.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

import icalendar
import recurring_ical_events
from icalendar.error import BrokenCalendarProperty
from recurring_ical_events.errors import BadRuleStringFormat

from connectors.cpu_budget import BudgetExceeded

MAX_OCCURRENCES = 300
"""Occurrences of one event kept in a window (a daily meeting has ~76 in 76 days), or one a
day in a longer window; past it, the oldest are dropped."""
MAX_ATTENDEES = 500
MAX_PER_DAY = 100
"""Events one calendar source keeps per day; those without attendees are dropped first."""
MIN_REPEAT = timedelta(hours=4)
MAX_CHANGED = 500
MAX_RDATES = 1000
MAX_STEPS = 100_000
EVENT_CPU_SECONDS = 1.0
"""CPU time one event's expansion may take (a real series takes milliseconds)."""
CALENDAR_CPU_SECONDS = 15.0
"""CPU time all of one calendar's expansions may take; past it, the rest are skipped."""

_UNIT = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "MONTHLY": timedelta(days=28),
    "YEARLY": timedelta(days=365),
}
# The BY parts that multiply the occurrences of one period, finest first: a part only
# expands when it is finer than the frequency (RFC 5545 §3.3.10, the BYxxx table).
_EXPANDING = (
    ("BYSECOND", timedelta(seconds=1)),
    ("BYMINUTE", timedelta(minutes=1)),
    ("BYHOUR", timedelta(hours=1)),
    ("BYDAY", timedelta(days=1)),
    ("BYMONTHDAY", timedelta(days=1)),
    ("BYYEARDAY", timedelta(days=1)),
)

REASON_TOO_OFTEN = f"repeats more often than every {int(MIN_REPEAT.total_seconds()) // 3600} hours"
REASON_ATTENDEES = f"more than {MAX_ATTENDEES} attendees"
REASON_CHANGED = f"more than {MAX_CHANGED} changed occurrences"
REASON_RDATES = f"more than {MAX_RDATES} extra dates (RDATE)"
REASON_STEPS = "recurrence starts too long before the window for its frequency"
REASON_CAPPED = f"more than {MAX_OCCURRENCES} occurrences in the window (the oldest dropped)"
REASON_TOO_MANY = f"more than {MAX_PER_DAY} events in one day (the rest dropped)"
REASON_NO_START = "no start (DTSTART)"
REASON_BAD_RULE = "unreadable recurrence rule"
REASON_BAD_DATE = "unreadable date or time zone"
REASON_ENDS_FIRST = "recurrence ends before it starts"
REASON_UNREADABLE = "cannot be read or expanded"
REASON_TOO_COSTLY = "too costly to expand"
REASON_BUDGET_SPENT = "skipped: the calendar's time to expand events was spent"


_BLOCK = re.compile(rb"^BEGIN:(VEVENT|VTIMEZONE)\r?$.*?^END:\1\r?$", re.M | re.S | re.I)
_WR_ZONE = re.compile(rb"^X-WR-TIMEZONE[:;].*?$", re.M | re.I)


def parse(data: bytes) -> tuple[list[Any], int]:
    """The VCALENDARs in ``data`` and how many events could not be read at all.

    icalendar already reads a bad line or value into the one component's ``errors``;
    what it refuses (a broken VTIMEZONE, junk between components) loses the whole file,
    so then each VEVENT is parsed on its own, with the time zones that parse.
    Raises ValueError (and friends) only when nothing can be read.
    """
    try:
        return list(icalendar.Calendar.from_ical(data, multiple=True)), 0
    except Exception:
        blocks = [m.group(0) for m in _BLOCK.finditer(data)]
        if not any(b[:12].upper() == b"BEGIN:VEVENT" for b in blocks):
            raise
    head = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
    wr = _WR_ZONE.search(data)
    if wr:
        head += wr.group(0).rstrip(b"\r") + b"\r\n"
    zones = [b for b in blocks if b[:15].upper() == b"BEGIN:VTIMEZONE" and _parses(head, b)]
    out, failed = [], 0
    for block in blocks:
        if block[:12].upper() != b"BEGIN:VEVENT":
            continue
        try:
            out.extend(
                icalendar.Calendar.from_ical(
                    head + b"\r\n".join([*zones, block, b"END:VCALENDAR\r\n"]), multiple=True
                )
            )
        except Exception:
            failed += 1
    return out, failed


def _parses(head: bytes, block: bytes) -> bool:
    try:
        icalendar.Calendar.from_ical(head + block + b"\r\nEND:VCALENDAR\r\n")
    except Exception:
        return False
    return True


def reason_for(error: Exception) -> str:
    """The fixed reason for an event whose reading or expansion raised ``error``."""
    if isinstance(error, EventRefused):
        return error.reason
    if isinstance(error, BadRuleStringFormat):
        return REASON_BAD_RULE
    if isinstance(error, (OverflowError, BrokenCalendarProperty)):
        return REASON_BAD_DATE
    if isinstance(error, BudgetExceeded):
        return REASON_TOO_COSTLY
    return REASON_UNREADABLE


class EventRefused(Exception):
    """One event is not taken; ``reason`` is a fixed short line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def events_by_uid(vcal: Any) -> list[list[Any]]:
    """The VEVENTs grouped as recurring_ical_events groups them (by UID), in file order.
    An event without a UID is a group of its own."""
    groups: dict[str, list[Any]] = {}
    for n, component in enumerate(vcal.walk("VEVENT")):
        uid = str(component.get("UID", "")).strip() or f"\0no-uid-{n}"
        groups.setdefault(uid, []).append(component)
    return list(groups.values())


def _as_datetime(value: Any, zone: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    out: datetime = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return out


def _rules(component: Any) -> list[Any]:
    raw = component.get("RRULE")
    if raw is None:
        return []
    rules = raw if isinstance(raw, list) else [raw]
    for rule in rules:
        if not isinstance(rule, icalendar.vRecur):
            raise EventRefused(REASON_BAD_RULE)
    return rules


def _count_rdates(component: Any) -> int:
    raw = component.get("RDATE")
    if raw is None:
        return 0
    lists = raw if isinstance(raw, list) else [raw]
    return sum(len(getattr(v, "dts", ())) for v in lists)


def screen(group: list[Any], end: datetime, zone: tzinfo) -> None:
    """Raise ``EventRefused`` when this event is no meeting or cannot be expanded safely."""
    if len(group) - 1 > MAX_CHANGED:
        raise EventRefused(REASON_CHANGED)
    for component in group:
        attendees = component.get("ATTENDEE")
        if isinstance(attendees, list) and len(attendees) > MAX_ATTENDEES:
            raise EventRefused(REASON_ATTENDEES)
        dtstart = component.get("DTSTART")
        if dtstart is None:
            raise EventRefused(REASON_NO_START)
        try:
            start = _as_datetime(dtstart.dt, zone)
        except Exception as e:
            raise EventRefused(REASON_BAD_DATE) from e
        if _count_rdates(component) > MAX_RDATES:
            raise EventRefused(REASON_RDATES)
        for rule in _rules(component):
            _screen_rule(rule, start, end, zone)


def _screen_rule(rule: Any, start: datetime, end: datetime, zone: tzinfo) -> None:
    try:
        freq = str(rule["FREQ"][0]).upper()
        interval = int(rule.get("INTERVAL", [1])[0])
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise EventRefused(REASON_BAD_RULE) from e
    if freq not in _UNIT or interval < 1:
        raise EventRefused(REASON_BAD_RULE)
    step = _UNIT[freq] * interval
    per_step = 1
    for part, unit in _EXPANDING:
        if unit < _UNIT[freq] and rule.get(part):
            per_step *= len(rule[part])
    if step / per_step < MIN_REPEAT:
        raise EventRefused(REASON_TOO_OFTEN)
    until = rule.get("UNTIL")
    if until:
        try:
            if _as_datetime(until[0], zone) < start:
                raise EventRefused(REASON_ENDS_FIRST)
        except TypeError as e:
            raise EventRefused(REASON_BAD_DATE) from e
    if start < end and (end - start) / step > MAX_STEPS:
        raise EventRefused(REASON_STEPS)


def _is_single(group: list[Any]) -> bool:
    c = group[0]
    return len(group) == 1 and not any(
        c.get(k) is not None for k in ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
    )


def occurrences(
    group: list[Any],
    start: datetime,
    end: datetime,
    zone: tzinfo,
    skipped: Counter[str],
    wr_zone: Any = None,
) -> Iterator[Any]:
    """The event's occurrences around [start, end) as components, at most
    ``MAX_OCCURRENCES``; counts the cap in ``skipped`` when it is hit.

    Raises ``EventRefused`` (screening) or whatever the expansion raises: the caller
    skips the event. ``start``/``end`` carry the caller's slack for floating times.
    """
    screen(group, end, zone)
    if _is_single(group):
        # Most events: no expansion machinery (a 50,000-event feed stays linear).
        yield group[0]
        return
    calendar = icalendar.Calendar()
    if wr_zone is not None:
        # ``of`` reads it: Google's calendars store UTC times meant in that zone.
        calendar.add("X-WR-TIMEZONE", wr_zone)
    for component in group:
        calendar.add_component(component)
    # One walk over the window: ``between`` steps the series once from DTSTART (bounded
    # by the screen above), where ``after`` re-walks it for every slice (30-50x slower
    # for a daily meeting of ten years). The screen bounds how many fall in the window.
    found = recurring_ical_events.of(calendar).between(start, end)
    found.sort(key=lambda c: _as_datetime(c["DTSTART"].dt, zone))
    # A long window (relationship history: years) keeps a daily meeting whole; past the
    # cap the newest are kept, those nearest now (the meeting nudges' window).
    cap = max(MAX_OCCURRENCES, (end - start).days + 2)
    if len(found) > cap:
        skipped[REASON_CAPPED] += 1
    yield from found[-cap:]
