"""Due dates: "by Friday", "tomorrow", "end of month", "EOD" -> an aware datetime.

Everything resolves relative to the message's date, seen in the given time zone (the
writer's "Friday" is a local day). Conventions, applied everywhere:

- A stated day means the **end of that day**: 23:59 local ("by Friday", "tomorrow",
  "on the 15th", "in two weeks", "ASAP" = today).
- "EOD", "end of (business) day", "COB", "close of business" mean **17:00 local**; so do
  "this afternoon" and "<day> afternoon". "This morning", "<day> morning" and "noon"
  mean 12:00. An explicit time ("by 3pm", "Friday at 10:30") is used as stated.
- A bare weekday ("Friday", "by Friday", "this Friday") is the next such day **on or
  after** the message's day: "by Friday" said on a Friday means that same Friday.
  "next Friday" is the Friday of the following week (weeks start on Monday), so said
  on a Monday it is 11 days on, said on a Sunday it is 5 days on.
- "this week"/"end of the week" = Friday of the current week (next Friday when sent at
  the weekend); "next week" = Friday of next week; "this weekend" = Sunday; "end of
  month"/"this month" = the month's last day; "next month" = next month's last day;
  "end of year" = 31 December; "end of quarter" = the quarter's last day.
- A month and day without a year ("March 15", "3/15", "the 15th") is the next such date,
  allowing a week of grace in the past (a deadline just missed stays this year): "by
  1/5" said on 20 December is next January; "by 2/29" in a non-leap year is the next
  leap year's. Numeric dates are read month/day (US), and only after a preposition
  ("by 3/15", "on 3/15"), since bare fractions are common in mail.
- Vague phrases ("soon", "later", "one day") give None.
- Dates at the edges of the calendar give None: a message dated 31 December 9999 (or
  year 1) says "by Friday" about a day Python cannot represent, and a due date within
  a year of either end would overflow the arithmetic that later runs on it (a nudge's
  window, a conversion to UTC). Hostile or broken mail, not a deadline.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

END_OF_DAY = time(23, 59)
BUSINESS_END = time(17, 0)
NOON = time(12, 0)
# Due dates outside these years are refused (see the module docstring).
_FIRST_YEAR, _LAST_YEAR = 2, 9998

_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11,
    "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a couple": 2,
    "a few": 3, "few": 3, "several": 3,
}  # fmt: skip

_WD = r"(?P<wd>mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\.?"  # noqa: E501
_MON = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_ORD = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_PREP = r"(?:(?:by|on|before|until|till|til|due|no\s+later\s+than|for|through|thru|at|from|this|coming)\s+)"  # noqa: E501
_PART = r"(?:\s+(?P<part>morning|afternoon|evening|night|noon|eod|cob|close\s+of\s+business|end\s+of\s+(?:the\s+)?(?:business\s+)?day))?"  # noqa: E501
_TIME = re.compile(
    r"\b(?:at|by|before|until|@)?\s*(?P<h>[01]?\d)(?::(?P<m>[0-5]\d))?\s*(?P<ap>[ap]\.?m\.?)(?![a-z])"
    r"|\b(?:at|by|before|until)\s+(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)\b"
    r"|\b(?:at|by|before|until)\s+(?P<noon>noon|midday)\b",
    re.IGNORECASE,
)

Resolver = Callable[[re.Match[str], date], tuple[date, time] | None]


def resolve_due(
    phrase_or_sentence: str, sent_at: datetime, tz: str = "UTC"
) -> tuple[datetime, str] | None:
    """Find a due-date phrase in ``phrase_or_sentence`` and resolve it.

    Returns ``(due, phrase)``: ``due`` an aware datetime in zone ``tz`` (empty: the
    UTC offset ``sent_at`` carries), ``phrase`` the words it came from ("by Friday");
    None when the text states no date. ``sent_at`` is the message's date (naive values
    are taken as UTC). Conventions: module docstring.
    """
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    zone = _zone(tz) if tz else sent_at.tzinfo
    try:
        local = sent_at.astimezone(zone)
    except OverflowError:  # 9999-12-31 seen from a zone east of it
        return None
    today = local.date()
    if not _FIRST_YEAR <= today.year <= _LAST_YEAR:
        return None
    best: tuple[int, int, date, time] | None = None
    for pattern, resolver in _RULES:
        for m in pattern.finditer(phrase_or_sentence):
            try:
                resolved = resolver(m, today)
            except (OverflowError, ValueError):  # a date past year 9999: no date
                continue
            if resolved is None or not _FIRST_YEAR <= resolved[0].year <= _LAST_YEAR:
                continue
            start, end = m.span()
            # Longest phrase wins, then the earliest: "Monday the 5th" over "Monday".
            if best is None or (end - start, -start) > (best[1] - best[0], -best[0]):
                best = (start, end, resolved[0], resolved[1])
    if best is None:
        return None
    start, end, day, at = best
    start, end, at = _attach_time(phrase_or_sentence, start, end, at, day == today, local)
    if at < local.timetz().replace(tzinfo=None) and day == today and at != END_OF_DAY:
        # "by 9am" written at 15:00: the next morning is meant.
        day = day + timedelta(days=1)
    phrase = phrase_or_sentence[start:end].strip(" ,.;")
    due = datetime.combine(day, at, tzinfo=zone)
    try:
        due.astimezone(UTC)  # what the store keeps; sent_at's own offset can be odd
    except OverflowError:
        return None
    return due, phrase


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r, using UTC", tz)
        return ZoneInfo("UTC")


def _attach_time(
    text: str, start: int, end: int, at: time, is_today: bool, local: datetime
) -> tuple[int, int, time]:
    """Use an explicit time next to the day phrase ("Friday at 3pm", "by 10am tomorrow")."""
    window_start, window_end = max(0, start - 16), min(len(text), end + 16)
    for m in _TIME.finditer(text, window_start, window_end):
        if m.end() < start - 16 or m.start() > end + 16:
            continue
        explicit = _time_of(m)
        if explicit is None:
            continue
        return min(start, m.start()), max(end, m.end()), explicit
    return start, end, at


def _time_of(m: re.Match[str]) -> time | None:
    if m.group("noon"):
        return NOON
    if m.group("h24"):
        return time(int(m.group("h24")), int(m.group("m24")))
    if m.group("h"):
        hour = int(m.group("h"))
        if not 1 <= hour <= 12:
            return None
        pm = m.group("ap").lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
        return time(hour, int(m.group("m") or 0))
    return None


def _part_time(part: str | None, default: time = END_OF_DAY) -> time:
    if not part:
        return default
    part = part.lower()
    if part in ("morning", "noon"):
        return NOON
    if part in ("evening", "night"):
        return END_OF_DAY
    return BUSINESS_END  # afternoon, EOD, COB, close of business, end of day


def _weekday_on_or_after(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def _friday_of_week(today: date, weeks_ahead: int) -> date:
    monday = today - timedelta(days=today.weekday())
    friday = monday + timedelta(days=4 + 7 * weeks_ahead)
    if weeks_ahead == 0 and today > friday:  # said at the weekend: the coming Friday
        friday += timedelta(days=7)
    return friday


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_date(today: date, month: int, day: int, year: int | None) -> date | None:
    """The month/day on or after today (a week of grace), or in the given year."""
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    for candidate_year in range(today.year, today.year + 9):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:  # 29 February outside a leap year, 31 April...
            continue
        if candidate >= today - timedelta(days=7):
            return candidate
    return None


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    value = int(raw)
    return value + 2000 if value < 100 else value


# -- rules: (pattern, resolver(match, today) -> (day, time) | None) ------------------------


def _r_eod(m: re.Match[str], today: date) -> tuple[date, time]:
    day = today
    if m.group("when"):
        when = m.group("when").lower()
        if when.startswith("tomorrow"):
            day = today + timedelta(days=1)
        elif when[:3] in _WEEKDAYS:
            day = _weekday_on_or_after(today, _WEEKDAYS[when[:3]])
    return day, BUSINESS_END


def _r_relative_day(m: re.Match[str], today: date) -> tuple[date, time] | None:
    word = m.group("rel").lower()
    part = m.group("part")
    if word.startswith("day after"):
        return today + timedelta(days=2), _part_time(part)
    if word == "tomorrow":
        return today + timedelta(days=1), _part_time(part)
    if word == "tonight":
        return today, END_OF_DAY
    if word in ("today", "later today", "asap", "as soon as possible", "immediately", "right away"):
        return today, _part_time(part)
    if word.startswith("this"):
        return today, _part_time(word.split()[-1])
    if word in ("noon", "midday"):
        return today, NOON
    return None


class _Groups(Protocol):
    """A match, or an adapter merging alternatives' groups under one name."""

    def group(self, name: str) -> str | None: ...


def _r_period(m: _Groups, today: date) -> tuple[date, time] | None:
    which = (m.group("which") or "this").lower()
    unit = (m.group("unit") or "").lower().replace("-", " ")  # the pattern requires one
    ahead = 1 if which == "next" else 0
    if unit in ("week", "work week"):
        return _friday_of_week(today, ahead), END_OF_DAY
    if unit == "weekend":
        sunday = today + timedelta(days=(6 - today.weekday()) + 7 * ahead)
        return sunday, END_OF_DAY
    if unit == "month":
        first = _add_months(today.replace(day=1), ahead)
        return _month_end(first.year, first.month), END_OF_DAY
    if unit == "quarter":
        q_last_month = ((today.month - 1) // 3 + 1 + ahead) * 3
        year = today.year + (q_last_month - 1) // 12
        month = (q_last_month - 1) % 12 + 1
        return _month_end(year, month), END_OF_DAY
    if unit == "year":
        return date(today.year + ahead, 12, 31), END_OF_DAY
    return None


def _r_in_n(m: re.Match[str], today: date) -> tuple[date, time] | None:
    raw = m.group("n").lower()
    n = int(raw) if raw.isdigit() else _NUMBERS.get(raw)
    if n is None or n > 400:
        return None
    unit = m.group("unit").lower()
    if unit.startswith("day"):
        return today + timedelta(days=n), END_OF_DAY
    if unit.startswith("business day") or unit.startswith("working day"):
        day = today
        while n > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                n -= 1
        return day, END_OF_DAY
    if unit.startswith("week"):
        return today + timedelta(weeks=n), END_OF_DAY
    if unit.startswith("month"):
        return _add_months(today, n), END_OF_DAY
    return None


def _r_weekday(m: re.Match[str], today: date) -> tuple[date, time] | None:
    weekday = _WEEKDAYS[m.group("wd").lower().rstrip(".")]
    which = (m.group("which") or "").lower()
    at = _part_time(m.group("part"))
    if m.group("day"):
        # "Monday the 5th": the next date that is both, else the next 5th.
        dom = int(m.group("day"))
        day = today
        for _ in range(800):
            if day.day == dom and day.weekday() == weekday:
                return day, at
            day += timedelta(days=1)
        return None
    if which == "next":
        monday_next = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday_next + timedelta(days=weekday), at
    return _weekday_on_or_after(today, weekday), at


def _r_month_day(m: _Groups, today: date) -> tuple[date, time] | None:
    # The pattern requires both groups.
    month = _MONTHS[(m.group("mon") or "").lower().rstrip(".")]
    day = int(m.group("day") or 0)
    if not 1 <= day <= 31:
        return None
    found = _next_date(today, month, day, _year(m.group("year")))
    return (found, END_OF_DAY) if found else None


def _r_numeric(m: re.Match[str], today: date) -> tuple[date, time] | None:
    month, day = int(m.group("m")), int(m.group("d"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    found = _next_date(today, month, day, _year(m.group("y")))
    return (found, END_OF_DAY) if found else None


def _r_day_of_month(m: re.Match[str], today: date) -> tuple[date, time] | None:
    dom = int(m.group("day"))
    if not 1 <= dom <= 31:
        return None
    day = today
    for _ in range(62 * 2):
        if day.day == dom and day >= today:
            return day, END_OF_DAY
        day += timedelta(days=1)
    return None


def _r_time_only(m: re.Match[str], today: date) -> tuple[date, time] | None:
    # Only with a preposition ("by 3pm", "at 10:30"): a bare "3pm" is often a report.
    if not re.match(r"\s*(?:at|by|before|until|@)", m.group(0), re.IGNORECASE):
        return None
    at = _time_of(m)
    return (today, at) if at else None


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_RULES: list[tuple[re.Pattern[str], Resolver]] = [
    (
        _compile(
            rf"\b{_PREP}?(?:the\s+)?(?:eod|cob|eob|close\s+of\s+(?:business|play)|end\s+of\s+(?:the\s+)?(?:business\s+|work(?:ing)?\s+)?day)"
            r"(?:\s+(?:on\s+)?(?P<when>tomorrow|today|mon(?:day)?|tue(?:sday)?|wed(?:nesday)?|thu(?:rsday)?|fri(?:day)?))?\b"
        ),
        _r_eod,
    ),
    (
        _compile(
            rf"\b{_PREP}?(?P<rel>day\s+after\s+tomorrow|tomorrow|tonight|later\s+today|today|asap|as\s+soon\s+as\s+possible|immediately|right\s+away|this\s+(?:morning|afternoon|evening)|noon|midday)\b{_PART}"
        ),
        _r_relative_day,
    ),
    (
        _compile(
            rf"\b{_PREP}?(?:the\s+)?(?:(?:end|close)\s+of\s+(?:the\s+)?(?P<which>this|next)?\s*(?P<unit>week|work\s+week|month|quarter|year)"
            r"|(?P<which2>this|next)\s+(?P<unit2>week|weekend|month|quarter|year)"
            r"|(?P<unit3>month|quarter|year)[\s-]end"
            # "over the weekend", "during the weekend": the coming one
            r"|(?:over|during)\s+the\s+(?P<unit4>weekend))\b"
        ),
        lambda m, today: _r_period(_PeriodMatch(m), today),
    ),
    (
        _compile(
            r"\b(?:in|within)\s+(?:the\s+next\s+)?(?P<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple(?:\s+of)?|a\s+few|several)\s+"
            r"(?P<unit>(?:business|working)\s+days?|days?|weeks?|months?)\b"
        ),
        _r_in_n,
    ),
    (
        _compile(
            rf"\b{_PREP}?(?:(?P<which>next|this|coming)\s+)?{_WD}(?![a-z]){_PART}"
            rf"(?:,?\s+(?:the\s+)?{_ORD}\b(?!\s*(?:/|:|am|pm|%|\$)))?"
        ),
        _r_weekday,
    ),
    (
        _compile(
            rf"\b{_PREP}?(?:{_WD.replace('?P<wd>', '?:')},?\s+)?(?:the\s+)?(?:{_MON}\s+{_ORD}|(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon2>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?)"  # noqa: E501
            r"(?:,?\s+(?P<year>(?:19|20)\d\d))?\b"
        ),
        lambda m, today: _r_month_day(_MonthMatch(m), today),
    ),
    (
        _compile(
            r"\b(?:by|on|before|until|till|due|no\s+later\s+than|for|through|thru)\s+(?:\w+day,?\s+)?"
            r"(?P<m>[01]?\d)/(?P<d>[0-3]?\d)(?:/(?P<y>\d{4}|\d{2}))?(?![/\d])"
        ),
        _r_numeric,
    ),
    (
        _compile(
            r"\b(?:by|on|before|until|till|due|no\s+later\s+than|for|through)\s+the\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)\b"
        ),
        _r_day_of_month,
    ),
    (_TIME, _r_time_only),
]


class _PeriodMatch:
    """Adapts the period rule's three alternatives to one set of group names."""

    def __init__(self, m: re.Match[str]) -> None:
        self._m = m

    def group(self, name: str) -> str | None:
        m = self._m
        if name == "which":
            return m.group("which") or m.group("which2")
        if name == "unit":
            return m.group("unit") or m.group("unit2") or m.group("unit3") or m.group("unit4")
        return m.group(name)


class _MonthMatch:
    def __init__(self, m: re.Match[str]) -> None:
        self._m = m

    def group(self, name: str) -> str | None:
        m = self._m
        if name == "mon":
            return m.group("mon") or m.group("mon2")
        if name == "day":
            return m.group("day") or m.group("day2")
        return m.group(name)
