"""Time-zone ids from other systems mapped to IANA zones.

Exchange and Outlook name zones the Windows way: an id ("W. Europe Standard Time"),
which icalendar maps itself when the invitation carries no VTIMEZONE, or the display
name ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"), which it leaves
floating. This maps both: the id through icalendar's Windows table (CLDR's), the display
name through the cities it lists (most are IANA city names), else its fixed UTC offset.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

_DISPLAY = re.compile(r"^\(\s*(?:UTC|GMT)\s*(?:([+-])(\d{1,2}):?(\d{2})?)?\s*\)\s*(.*)$", re.I)
MAX_TZID = 200


@functools.cache
def _by_city() -> dict[str, str]:
    """ "amsterdam" -> "Europe/Amsterdam", from the zones this system has."""
    out: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            out.setdefault(name.rsplit("/", 1)[1].replace("_", " ").lower(), name)
    return out


@functools.cache
def _windows() -> dict[str, str]:
    return {k.lower(): v for k, v in WINDOWS_TO_OLSON.items()}


@functools.lru_cache(maxsize=256)
def zone_for_tzid(tzid: str) -> tzinfo | None:
    """The zone a TZID names: IANA, a Windows id or an Outlook display name; None when
    it names none we know."""
    name = tzid.strip().strip('"').strip()[:MAX_TZID]
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    iana = _windows().get(name.lower())
    if iana:
        return ZoneInfo(iana)
    m = _DISPLAY.match(name)
    if m is None:
        return None
    sign, hours, minutes, cities = m.groups()
    # "Eastern Time (US & Canada)" is the display name of "Eastern Standard Time".
    plain = re.sub(r"\s*\(.*?\)\s*", " ", cities).strip()
    if plain.lower().endswith(" time"):
        iana = _windows().get(plain[: -len(" time")].lower() + " standard time")
        if iana:
            return ZoneInfo(iana)
    for city in re.split(r"[,/]", cities):
        found = _by_city().get(city.strip().lower())
        if found:
            return ZoneInfo(found)
    if not hours:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if offset > timedelta(hours=14):
        return None
    return timezone(-offset if sign == "-" else offset)
