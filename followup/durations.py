"""Durations in config ("3 business days", "6 weeks") and business-day arithmetic."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from followup.errors import UserError
from followup.wording import ago as ago  # re-exported: the words live in wording
from followup.wording import describe as describe

# Longer than anyone waits for a reply; and short enough that "now + it" never
# leaves the calendar (see ``--now``'s range in cli.context).
MAX_DURATION = timedelta(days=36525)  # 100 years

_UNITS = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
_PATTERN = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(business\s+days?|bdays?|minutes?|mins?|m|hours?|h|days?|d|weeks?|w)\s*$",
    re.IGNORECASE | re.ASCII,
)
_ALIASES = {"min": "minute", "m": "minute", "h": "hour", "d": "day", "w": "week"}


class DurationError(UserError, ValueError):
    """Not a duration, or one out of range (a ValueError too, for the parsers)."""


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time; ``business`` durations count Monday-Friday days only."""

    amount: float
    business: bool = False
    delta: timedelta = timedelta(0)

    def __str__(self) -> str:
        if self.business:
            n = int(self.amount) if self.amount.is_integer() else self.amount
            return f"{n} business day{'s' if n != 1 else ''}"
        return describe(self.delta)

    def elapsed(self, start: datetime, now: datetime, tz: ZoneInfo) -> bool:
        """True when at least this duration lies between ``start`` and ``now``."""
        if not self.business:
            return now - start >= self.delta
        return business_days_between(start, now, tz) >= self.amount


def parse_duration(text: str) -> Duration:
    """Parse "3 business days", "2d", "6 weeks", "12h" (0 up to 100 years).

    Raises DurationError (a UserError and a ValueError) naming the accepted forms.
    """
    m = _PATTERN.match(str(text))
    if not m:
        raise DurationError(
            f"{_show(text)} is not a duration: "
            "use e.g. '3 business days', '2 days', '6 weeks', '12 hours'"
        )
    amount = float(m.group(1))
    unit = re.sub(r"\s+", " ", m.group(2).lower())
    business = unit.startswith("business") or unit.startswith("bday")
    if business:
        step = timedelta(days=1)
    else:
        unit = _ALIASES.get(unit.rstrip("s"), unit.rstrip("s"))
        step = _UNITS[unit]
    if not math.isfinite(amount) or amount * step.total_seconds() > MAX_DURATION.total_seconds():
        raise DurationError(f"{_show(text)} is too long: at most 100 years")
    return Duration(amount, business=business, delta=step * amount)


def _show(text: object) -> str:
    """The value as the user wrote it, capped: an error line stays one short line."""
    shown = repr(str(text))
    return shown if len(shown) <= 60 else shown[:57] + "...'"


def business_days_between(start: datetime, end: datetime, tz: ZoneInfo) -> float:
    """Whole Monday-Friday days from ``start`` to ``end``, in the user's zone.

    Counted by calendar date: a message sent on Friday is 1 business day old on Monday
    and 2 on Tuesday, whatever the hour. Weekend days never count.
    """
    a, b = start.astimezone(tz).date(), end.astimezone(tz).date()
    if b <= a:
        return 0
    days = (b - a).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    wd = a.weekday()
    for i in range(1, rest + 1):
        if (wd + i) % 7 < 5:
            count += 1
    return count
