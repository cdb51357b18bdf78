"""The demo's clock: the seed, "today" (DEMO_NOW) and the dates the mailbox spans,
and the helpers that place a message at a plausible working time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
UTC = ZoneInfo("UTC")

SEED = 20260317
NOW = datetime(2026, 3, 17, 7, 30, tzinfo=CHICAGO)
START = date(2025, 11, 3)
ARCHIVE_BEFORE = datetime(2026, 1, 15, tzinfo=CHICAGO)
UNREAD_SINCE = datetime(2026, 3, 14, tzinfo=CHICAGO)


def at(d: date, hour: int, minute: int = 0, tz: ZoneInfo = CHICAGO) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=tz)


def next_work_slot(
    after: datetime, tz: ZoneInfo, rng: Random, min_minutes: int = 35, max_minutes: int = 1500
) -> datetime:
    """A plausible time someone in ``tz`` answers: some delay after ``after``, moved to
    a weekday between 08:00 and 18:00 local time."""
    t = (after + timedelta(minutes=rng.randint(min_minutes, max_minutes))).astimezone(tz)
    while t.weekday() >= 5 or not 8 <= t.hour < 18:
        if t.weekday() >= 5 or t.hour >= 18:
            t = datetime(t.year, t.month, t.day, 8, 0, tzinfo=tz) + timedelta(days=1)
        else:
            t = datetime(t.year, t.month, t.day, 8, 0, tzinfo=tz)
        t += timedelta(minutes=rng.randint(0, 150))
    return t.replace(second=0, microsecond=0)
