"""iCalendar (.ics) files, directories of them, or an http(s) URL, as a calendar source.

Recurring events are expanded with ``recurring_ical_events`` (RRULE, RDATE, EXDATE and
moved occurrences via RECURRENCE-ID). Times without a zone ("floating") and all-day
dates are read in the ``timezone`` option, else the calendar's X-WR-TIMEZONE, else UTC.
A hostile file is bounded (``ics_bounds``): each event is expanded on its own inside the
window with a cap, absurd ones are skipped with a counted reason (``skipped``), text is
cleaned and capped, and at most ``MAX_PER_DAY`` events a day are kept.

``sync`` yields each calendar (a file, by its name without ``.ics``; the URL's one) as a
complete listing of the window; its checkpoint hashes the calendar's bytes with the
window and the options that change how they read, so an unchanged file over the same
window costs a read and a hash, not a parse.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from time import process_time
from typing import TYPE_CHECKING, Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors import ics_bounds
from connectors.cpu_budget import cpu_budget
from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.mime import decode_header_value
from connectors.records import Address, Attendee, EventBatch, EventRecord
from connectors.timezones import zone_for_tzid

logger = logging.getLogger(__name__)

TIMEOUT = 30.0
MAX_DOWNLOAD = 50 * 1024 * 1024
"""An ICS feed bigger than this is refused rather than read into memory."""
_STATUSES = {"confirmed": "confirmed", "tentative": "tentative", "cancelled": "cancelled"}
_PARTSTATS = frozenset({"accepted", "declined", "tentative", "needs-action", "delegated"})
# Widen the window given to the expander: floating times are compared before we know
# which zone they are in.
_SLACK = timedelta(days=1)
# Text from a calendar is capped before it is kept: one 1 MB SUMMARY must not become a
# 1 MB row and a 1 MB line in the digest.
MAX_TEXT = 500
MAX_DESCRIPTION = 4000
MAX_PER_DAY = ics_bounds.MAX_PER_DAY
# Part of every checkpoint: a release that reads calendars differently bumps it, so
# unchanged files are read again once.
CHECKPOINT_VERSION = "ics1"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n]+")


def _clean(value: Any, limit: int = MAX_TEXT, *, lines: bool = False) -> str:
    """Text safe to store: control characters (NUL, ESC), bidi overrides and lone
    surrogates replaced, line breaks too unless ``lines``, at most ``limit`` characters."""
    text = str(value)[: limit * 2].strip()
    text = text.encode("utf-8", "replace").decode("utf-8")
    if not lines:
        text = _BREAKS.sub(" ", text)
    return _CONTROL.sub("\ufffd", text)[:limit]


def redact_url(url: str) -> str:
    """The URL without user:password@ and query string (tokens often live there)."""
    p = urllib.parse.urlsplit(url)
    host = p.hostname or ""
    if p.port:
        host = f"{host}:{p.port}"
    return urllib.parse.urlunsplit((p.scheme, host, p.path, "", ""))


def _zone(name: str) -> tzinfo:
    return UTC if name.upper() in ("UTC", "Z", "GMT") else ZoneInfo(name)


def _email(value: Any) -> str:
    text = str(value).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.strip().lower()


def _address(prop: Any) -> Address | None:
    email = _email(prop)
    if not email:
        return None
    cn = prop.params.get("CN", "") if hasattr(prop, "params") else ""
    name = _clean(decode_header_value(_clean(cn)), 200).strip('"')
    return Address(name if name.lower() != email else "", _clean(email, 320))


@dataclass(frozen=True, slots=True)
class _Calendar:
    name: str
    # Every file of that name (a directory may hold a/x.ics and b/x.ics): one calendar.
    data: tuple[bytes, ...]

    def checkpoint(self, start: datetime, end: datetime, zone: tzinfo | None) -> str:
        """What the calendar was read from: its bytes, the window and the zone option."""
        h = hashlib.sha256(f"{CHECKPOINT_VERSION}\0{start.isoformat()}\0{end.isoformat()}".encode())
        h.update(f"\0{zone}\0".encode())
        for blob in self.data:
            h.update(len(blob).to_bytes(8, "big"))
            h.update(blob)
        return f"{CHECKPOINT_VERSION}:{h.hexdigest()[:40]}"


class IcsCalendarSource:
    """Events from ICS. Config: ``path`` (a file or a directory of ``*.ics``) or ``url``
    (http, https, webcal or file), ``timezone`` (for floating times), ``calendars``
    (accepted for symmetry with the other calendar kinds, unused)."""

    kind: ClassVar[str] = "ics"
    KEYS: ClassVar[frozenset[str]] = frozenset({"path", "url", "timezone", "calendars"})

    def __init__(
        self,
        name: str,
        *,
        path: Path | None = None,
        url: str | None = None,
        timezone: tzinfo | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        if (path is None) == (url is None):
            raise ValueError("give exactly one of path or url")
        self.name = name
        self.path = path
        self.url = url
        self.timezone = timezone
        self.timeout = timeout
        self.skipped: Counter[str] = Counter()
        """Events the last ``events_between`` skipped, by reason (the sync reports them)."""
        self._closed = False

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> Self:
        problems: list[str] = []
        for key in options:
            if key not in cls.KEYS and key not in ("name", "kind"):
                problems.append(f"unknown key {key!r}; known: {', '.join(sorted(cls.KEYS))}")
        path_opt, url_opt = options.get("path"), options.get("url")
        path: Path | None = None
        url: str | None = None
        if (path_opt is None) == (url_opt is None):
            problems.append(
                'give either path = "..." (an .ics file or a directory of them) '
                'or url = "https://..."'
            )
        elif path_opt is not None:
            path = Path(str(path_opt)).expanduser()
            if not path.exists():
                problems.append(f"path {str(path)!r} does not exist")
        else:
            url = str(url_opt).strip()
            scheme = urllib.parse.urlsplit(url).scheme.lower()
            if scheme == "webcal":
                url = "https" + url[len("webcal") :]
            elif scheme not in ("http", "https", "file"):
                problems.append(
                    "url must start with https://, http://, webcal:// or file://, "
                    f"not {redact_url(url)!r}"
                )
        zone: tzinfo | None = None
        if options.get("timezone"):
            try:
                zone = _zone(str(options["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(
                    f'timezone {options["timezone"]!r} is not a known zone (e.g. "Europe/Berlin")'
                )
        if problems:
            raise SourceConfigError(name, "\n".join(problems))
        return cls(name, path=path, url=url, timezone=zone)

    # -- loading -------------------------------------------------------------------

    def _load(self) -> list[_Calendar]:
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        if self.url is not None:
            return [_Calendar(self.name, (self._fetch(self.url),))]
        if self.path is None or not self.path.exists():
            raise SourceConfigError(self.name, f"path {str(self.path)!r} does not exist")
        files = [self.path] if self.path.is_file() else sorted(self.path.rglob("*.ics"))
        by_name: dict[str, list[bytes]] = {}
        for f in files:
            try:
                by_name.setdefault(f.stem, []).append(f.read_bytes())
            except OSError as e:
                raise ConnectorError(self.name, f"cannot read {str(f)!r}: {e.strerror or e}") from e
        return [_Calendar(name, tuple(data)) for name, data in by_name.items()]

    def _fetch(self, url: str) -> bytes:
        shown = redact_url(url)
        headers = {"User-Agent": "followup (ics)"}
        parts = urllib.parse.urlsplit(url)
        if parts.username is not None:
            # urllib does not use user:password@ itself; send it as HTTP Basic auth.
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
            netloc = parts.hostname or ""
            if parts.port:
                netloc = f"{netloc}:{parts.port}"
            url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data: bytes = response.read(MAX_DOWNLOAD + 1)
        except urllib.error.HTTPError as e:
            if e.code in (401, 403):
                raise AuthError(self.name, f"{shown}: HTTP {e.code} {e.reason}") from e
            raise ConnectorError(
                self.name, f"{shown}: HTTP {e.code} {e.reason}", retryable=e.code >= 500
            ) from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise ConnectorError(self.name, f"{shown}: {reason}", retryable=True) from e
        if len(data) > MAX_DOWNLOAD:
            raise ConnectorError(self.name, f"{shown}: larger than {MAX_DOWNLOAD >> 20} MiB")
        return data

    # -- events --------------------------------------------------------------------

    def sync(
        self, checkpoints: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        """Each calendar changed since its checkpoint (or read over another window) as a
        complete listing of [start, end); a calendar whose file is gone as an empty one.

        Raises ConnectorError when a file or the URL cannot be read or parsed.
        """
        _aware(start, end)
        present = set()
        for cal in self._load():
            present.add(cal.name)
            mark = cal.checkpoint(start, end, self.timezone)
            if checkpoints.get(cal.name) == mark:
                continue
            self.skipped = Counter()
            events = self._capped(self._read(cal, start, end))
            yield EventBatch(
                cal.name,
                tuple(events),
                checkpoint=mark,
                window=(start, end),
                skipped=tuple(sorted(self.skipped.items())),
            )
        for gone in sorted(c for c, mark in checkpoints.items() if mark and c not in present):
            yield EventBatch(gone, checkpoint="", window=(start, end))

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        """Occurrences overlapping [start, end) in every calendar, recurring ones expanded.

        Raises ConnectorError when a file or the URL cannot be read or parsed.
        """
        _aware(start, end)
        self.skipped = Counter()
        kept: list[EventRecord] = []
        for cal in self._load():
            kept.extend(self._read(cal, start, end))
        yield from self._capped(kept)

    def _read(self, cal: _Calendar, start: datetime, end: datetime) -> list[EventRecord]:
        """One calendar's occurrences in the window (skips counted in ``skipped``)."""
        kept: list[EventRecord] = []
        for data in cal.data:
            try:
                parsed, unreadable = ics_bounds.parse(data)
            except Exception as e:  # icalendar raises ValueError and friends on bad input
                # Not the library's message: it quotes the offending line of the file.
                raise ConnectorError(
                    self.name,
                    f"calendar {cal.name!r} is not valid iCalendar ({type(e).__name__})",
                ) from e
            for _ in range(unreadable):
                self._skip(cal.name, ics_bounds.REASON_UNREADABLE)
            if not parsed and not unreadable and data.strip():
                # icalendar returns nothing for a VCALENDAR that never ends.
                raise ConnectorError(
                    self.name,
                    f"calendar {cal.name!r} is not valid iCalendar: no complete VCALENDAR",
                )
            for vcal in parsed:
                kept.extend(self._occurrences(cal.name, vcal, start, end))
        return kept

    def _capped(self, records: list[EventRecord]) -> list[EventRecord]:
        """At most ``MAX_PER_DAY`` events starting on one (UTC) day, those with people
        first: 50,000 rows a run is what took minutes, and no one has 100 meetings a day.
        """
        by_day: dict[date, list[EventRecord]] = {}
        for r in records:
            by_day.setdefault(r.start.date(), []).append(r)
        out: list[EventRecord] = []
        for day in sorted(by_day):
            events = by_day[day]
            if len(events) > MAX_PER_DAY:
                events.sort(key=lambda r: (not r.attendees, r.start, r.uid))
                self.skipped[ics_bounds.REASON_TOO_MANY] += len(events) - MAX_PER_DAY
                events = events[:MAX_PER_DAY]
            out.extend(sorted(events, key=lambda r: (r.start, r.uid)))
        return out

    def _occurrences(
        self, name: str, vcal: Any, start: datetime, end: datetime
    ) -> Iterator[EventRecord]:
        yield from expand_calendar(self.name, name, vcal, start, end, self.timezone, self.skipped)

    def _skip(self, calendar: str, reason: str) -> None:
        _skip(self.skipped, calendar, reason)

    def close(self) -> None:
        """Nothing to release (files and URLs are read per call); refuses later syncs."""
        self._closed = True


def _aware(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a calendar window needs timezone-aware datetimes")


def calendar_zone(vcal: Any, zone: tzinfo | None) -> tzinfo:
    """The zone floating times and dates are read in: ``zone``, else the calendar's
    X-WR-TIMEZONE, else UTC."""
    if zone is not None:
        return zone
    try:
        return _zone(str(vcal.get("X-WR-TIMEZONE", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def expand_calendar(
    source: str,
    calendar: str,
    vcal: Any,
    start: datetime,
    end: datetime,
    zone: tzinfo | None,
    skipped: Counter[str],
) -> list[EventRecord]:
    """The occurrences of every event of one parsed VCALENDAR overlapping [start, end),
    recurring ones expanded (bounded by ``ics_bounds``), as records of ``source``.

    An event that cannot be read or expanded is left out and its reason counted in
    ``skipped``: all of an event's occurrences, or none. Used by every calendar source
    (ICS, CalDAV) and by invitations in the mailbox.
    """
    zone = calendar_zone(vcal, zone)
    wr_zone = vcal.get("X-WR-TIMEZONE")
    records = []
    budget_end = process_time() + ics_bounds.CALENDAR_CPU_SECONDS
    for group in ics_bounds.events_by_uid(vcal):
        event: list[EventRecord] = []  # all of one event's occurrences, or none
        left = budget_end - process_time()
        if left <= 0:
            _skip(skipped, calendar, ics_bounds.REASON_BUDGET_SPENT)
            continue
        try:
            with cpu_budget(min(left, ics_bounds.EVENT_CPU_SECONDS)):
                for ev in ics_bounds.occurrences(
                    group, start - _SLACK, end + _SLACK, zone, skipped, wr_zone
                ):
                    record = event_record(source, calendar, ev, zone)
                    if record.start < end and (record.end > start or record.start >= start):
                        event.append(record)
            records.extend(event)
        except Exception as e:  # one unreadable event must not cost the others
            if not isinstance(e, ics_bounds.EventRefused):
                logger.debug("calendar %r: an event could not be read", calendar, exc_info=True)
            _skip(skipped, calendar, ics_bounds.reason_for(e))
    records.sort(key=lambda r: (r.start, r.uid))
    return records


def _skip(skipped: Counter[str], calendar: str, reason: str) -> None:
    skipped[reason] += 1
    logger.debug("calendar %r: skipped an event: %s", calendar, reason)


def _when(prop: Any, zone: tzinfo) -> datetime:
    """A DTSTART/DTEND property as aware UTC. A time icalendar left floating although it
    names a TZID (an Exchange display name, an id without VTIMEZONE) is read in the zone
    that id maps to (``timezones.zone_for_tzid``), else in ``zone``."""
    tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
    value = prop.dt
    if tzid and isinstance(value, datetime) and value.tzinfo is None:
        zone = zone_for_tzid(str(tzid)) or zone
    return _utc(value, zone)


def event_record(source: str, calendar: str, ev: Any, zone: tzinfo) -> EventRecord:
    """One VEVENT (an occurrence) as an EventRecord; ``EventRefused`` without DTSTART."""
    dtstart = ev.get("DTSTART")
    if dtstart is None:
        raise ics_bounds.EventRefused(ics_bounds.REASON_NO_START)
    all_day = isinstance(dtstart.dt, date) and not isinstance(dtstart.dt, datetime)
    start = _when(dtstart, zone)
    dtend = ev.get("DTEND")
    if dtend is not None:
        end = _when(dtend, zone)
    elif ev.get("DURATION") is not None:
        end = start + ev.get("DURATION").dt
    else:
        end = start + (timedelta(days=1) if all_day else timedelta())
    end = max(end, start)
    summary = _clean(ev.get("SUMMARY", ""))
    uid = _clean(ev.get("UID", ""), 300)
    if not uid:
        seed = f"{summary}\0{start.isoformat()}".encode()
        uid = "followup-" + hashlib.sha1(seed, usedforsecurity=False).hexdigest()[:20]
    organizer = _address(ev["ORGANIZER"]) if ev.get("ORGANIZER") is not None else None
    attendees = []
    raw = ev.get("ATTENDEE")
    for prop in raw if isinstance(raw, list) else ([raw] if raw is not None else []):
        address = _address(prop)
        if address is None:
            continue
        status = str(prop.params.get("PARTSTAT", "needs-action")).lower()
        attendees.append(
            Attendee(
                address,
                status if status in _PARTSTATS else "needs-action",
                organizer is not None and address.email == organizer.email,
            )
        )
    status = _STATUSES.get(str(ev.get("STATUS", "confirmed")).lower(), "confirmed")
    return EventRecord(
        source=source,
        calendar=calendar,
        uid=f"{uid}@{start.isoformat()}",
        summary=summary,
        start=start,
        end=end,
        organizer=organizer,
        attendees=tuple(attendees),
        status=status,
        location=_clean(ev.get("LOCATION", "")),
        all_day=all_day,
        description=_clean(ev.get("DESCRIPTION", ""), MAX_DESCRIPTION, lines=True),
    )


def _utc(value: date | datetime, zone: tzinfo) -> datetime:
    """A DTSTART/DTEND value as aware UTC: dates are midnight in ``zone``, floating times
    are in ``zone``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


if TYPE_CHECKING:  # mypy checks the class against the contract (connectors.base)
    from connectors.base import CalendarSourceClass

    _CONTRACT: CalendarSourceClass = IcsCalendarSource
