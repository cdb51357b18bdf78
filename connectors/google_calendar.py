"""Google Calendar source (``[[calendar]] kind = "google"``): calendar.readonly, syncToken.

Per calendar id (``calendars``, default ``["primary"]``) the first sync reads
``events.list`` with ``singleEvents=true`` (recurring events expanded by Google) over the
window, every ``pageToken`` page, and keeps the last page's ``nextSyncToken``; that batch
carries ``window`` so the store replaces the calendar's events there. Later syncs send
only the ``syncToken`` (Google forbids timeMin/timeMax with it) and get what changed
anywhere: changes inside the window are upserts, cancelled events and events moved out
of it are removals. When the window has grown since (it moves with ``now``), the new
part is listed as a window batch of its own. A 410 Gone on the token is a full resync.
A calendar with a checkpoint but no longer in ``calendars`` is yielded once as an empty
listing with checkpoint "" (the source contract), so the store drops its events.

Events: attendees with their response status (resource attendees, rooms, are left
out), the organizer, all-day events flagged. Cancelled events and the ones the
calendar's owner (``self``) declined are kept with ``status = "cancelled"``: not
meetings for followup.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.errors import ConnectorError, SourceConfigError
from connectors.google_auth import (
    CALENDAR_READONLY,
    CLIENT_KEYS,
    GoogleToken,
    authorized_http,
    build_service,
    client_problems,
    require_google,
    token_file_option,
)
from connectors.google_calls import Caller, Passed, QuotaBudget
from connectors.records import Address, Attendee, EventBatch, EventRecord

logger = logging.getLogger(__name__)

MAX_TEXT = 500
MAX_DESCRIPTION = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_STATUS = {"confirmed": "confirmed", "tentative": "tentative", "cancelled": "cancelled"}
_RESPONSE = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentative",
    "needsAction": "needs-action",
}
KEYS: frozenset[str] = frozenset(
    {"oauth_token_file", "username", "calendars", "page_size", "retries", "timeout", *CLIENT_KEYS}
)


@dataclass(frozen=True, slots=True)
class CalendarSettings:
    token_file: Path
    username: str | None = None
    calendars: tuple[str, ...] = ("primary",)
    page_size: int = 250
    retries: int = 5
    timeout: float = 60.0
    client_options: Mapping[str, Any] = field(default_factory=dict)


def settings_from_options(name: str, options: Mapping[str, Any]) -> CalendarSettings:
    """Validate a google ``[[calendar]]`` table; ``SourceConfigError``, one line each."""
    problems: list[str] = []
    token_file = token_file_option(options, KEYS, problems)
    calendars = options.get("calendars", ["primary"])
    if (
        not isinstance(calendars, list)
        or not calendars
        or not all(isinstance(c, str) and c.strip() for c in calendars)
    ):
        problems.append('calendars must be a list of calendar ids, e.g. ["primary"]')
        calendars = ["primary"]
    page_size = options.get("page_size", 250)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= 2500:
        problems.append(f"page_size must be a whole number from 1 to 2500, not {page_size!r}")
        page_size = 250
    retries = options.get("retries", 5)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 20:
        problems.append(f"retries must be a whole number from 0 to 20, not {retries!r}")
        retries = 5
    timeout = options.get("timeout", 60.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        problems.append(f"timeout must be a positive number of seconds, not {timeout!r}")
        timeout = 60.0
    username = options.get("username")
    if username is not None and not isinstance(username, str):
        problems.append("username must be a string (the Google account's address)")
        username = None
    problems.extend(client_problems(options))
    if problems:
        raise SourceConfigError(name, "\n".join(problems))
    return CalendarSettings(
        token_file=token_file,
        username=username,
        calendars=tuple(dict.fromkeys(c.strip() for c in calendars)),
        page_size=page_size,
        retries=retries,
        timeout=float(timeout),
        client_options={k: options[k] for k in CLIENT_KEYS if k in options},
    )


@dataclass(frozen=True, slots=True)
class CalendarCheckpoint:
    """Google's ``nextSyncToken`` and the window the mirror covers."""

    sync_token: str
    start: datetime
    end: datetime

    def dumps(self) -> str:
        return json.dumps(
            {
                "sync_token": self.sync_token,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, value: str | None) -> CalendarCheckpoint | None:
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(
                str(data["sync_token"]),
                datetime.fromisoformat(data["start"]),
                datetime.fromisoformat(data["end"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            logger.warning("Ignoring an unreadable Google Calendar checkpoint; reading again")
            return None


def _clean(value: Any, limit: int = MAX_TEXT, *, lines: bool = False) -> str:
    text = str(value or "")[: limit * 2].strip()
    text = text.encode("utf-8", "replace").decode("utf-8")
    if not lines:
        text = re.sub(r"[\t\r\n]+", " ", text)
    return _CONTROL.sub("\ufffd", text)[:limit]


def _address(person: Any) -> Address | None:
    if not isinstance(person, Mapping):
        return None
    mail = str(person.get("email") or "").strip().lower()
    if not mail or "@" not in mail:
        return None
    return Address(_clean(person.get("displayName"), 200), _clean(mail, 320))


def _zone(name: Any, fallback: tzinfo) -> tzinfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return fallback


def _when(value: Any, zone: tzinfo) -> tuple[datetime, bool] | None:
    """An event's ``start``/``end`` ({dateTime} or {date} for all-day) as aware UTC."""
    if not isinstance(value, Mapping):
        return None
    try:
        if value.get("dateTime"):
            moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=_zone(value.get("timeZone"), zone))
            return moment.astimezone(UTC), False
        if value.get("date"):
            day = date.fromisoformat(str(value["date"]))
            local = _zone(value.get("timeZone"), zone)
            return datetime.combine(day, dtime(0, 0), tzinfo=local).astimezone(UTC), True
    except (ValueError, TypeError, OverflowError):
        return None
    return None


def event_record(
    source: str, calendar: str, item: Mapping[str, Any], zone: tzinfo
) -> EventRecord | str:
    """An ``events`` resource as an ``EventRecord``, or the reason it cannot be one."""
    start = _when(item.get("start"), zone)
    end = _when(item.get("end"), zone)
    if start is None:
        return "no usable start time"
    end_at = (
        end[0]
        if end is not None
        else start[0] + (timedelta(days=1) if start[1] else timedelta(hours=1))
    )
    if end_at < start[0]:
        return "ends before it starts"
    attendees: list[Attendee] = []
    declined_by_me = False
    for a in item.get("attendees") or ():
        if not isinstance(a, Mapping) or a.get("resource"):
            continue  # meeting rooms and equipment are no people
        address = _address(a)
        status = _RESPONSE.get(str(a.get("responseStatus")), "needs-action")
        if a.get("self") and status == "declined":
            declined_by_me = True
        if address is not None:
            attendees.append(Attendee(address, status, bool(a.get("organizer"))))
    status = _STATUS.get(str(item.get("status") or "confirmed"), "confirmed")
    if declined_by_me:
        status = "cancelled"  # the owner said no: not a meeting for followup
    return EventRecord(
        source=source,
        calendar=calendar,
        uid=_clean(item.get("id"), 1024),
        summary=_clean(item.get("summary")),
        start=start[0],
        end=end_at,
        organizer=_address(item.get("organizer")),
        attendees=tuple(attendees[:500]),
        status=status,
        location=_clean(item.get("location")),
        all_day=start[1],
        description=_clean(item.get("description"), MAX_DESCRIPTION, lines=True),
    )


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class GoogleCalendarSource:
    """Google Calendar as a ``CalendarSource`` (see the module docstring).

    ``http_factory``, ``clock``, ``sleep`` and ``rng`` as for ``GmailSource``.
    """

    kind: ClassVar[str] = "google"
    KEYS: ClassVar[frozenset[str]] = KEYS

    def __init__(
        self,
        name: str,
        settings: CalendarSettings,
        *,
        http_factory: Callable[[float], Any] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self._http_factory = http_factory
        self._clock = clock
        self._token: GoogleToken | None = None
        self._service: Any = None
        self._closed = False
        self.caller = Caller(
            name,
            QuotaBudget(name),
            retries=settings.retries,
            sleep=sleep,
            rng=rng or random.Random(),
        )

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> GoogleCalendarSource:
        settings = settings_from_options(name, options)
        require_google(name)
        return cls(name, settings)

    def _open(self) -> Any:
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        if self._service is None:
            self._token = GoogleToken(self.name, self.settings.token_file, clock=self._clock)
            self._token.require(CALENDAR_READONLY, what="read the calendar")
            http = authorized_http(self._token, self.settings.timeout, self._http_factory)
            self._service = build_service("calendar", "v3", http)
        return self._service

    def close(self) -> None:
        self._closed = True
        if self._token is not None:
            self._token.save()
        self._service = None

    # -- reading ----------------------------------------------------------------------

    def _pages(
        self, calendar: str, **query: Any
    ) -> tuple[list[dict[str, Any]], str | None, tzinfo]:
        """Every page of ``events.list``: the items, the final ``nextSyncToken`` and the
        calendar's zone (for all-day events). ``Passed`` on 410 (token gone)."""
        service = self._open()
        items: list[dict[str, Any]] = []
        token: str | None = None
        zone: tzinfo = UTC
        while True:
            kwargs: dict[str, Any] = {
                "calendarId": calendar,
                "singleEvents": True,
                "maxResults": self.settings.page_size,
                **query,
            }
            if token:
                kwargs["pageToken"] = token
            page = self.caller.execute(
                service.events().list(**kwargs),
                1,
                doing=f"listing events of {calendar}",
                passthrough=(410,),
            )
            zone = _zone(page.get("timeZone"), zone)
            items.extend(i for i in page.get("items") or () if isinstance(i, dict))
            token = page.get("nextPageToken")
            if not token:
                return items, page.get("nextSyncToken"), zone

    def _records(
        self, calendar: str, items: list[dict[str, Any]], zone: tzinfo, skipped: Counter[str]
    ) -> list[EventRecord]:
        out = []
        for item in items:
            if item.get("status") == "cancelled" and "start" not in item:
                continue  # a deletion marker (incremental), handled by the caller
            result = event_record(self.name, calendar, item, zone)
            if isinstance(result, str):
                skipped[result] += 1
            else:
                out.append(result)
        return out

    def _window(
        self, calendar: str, start: datetime, end: datetime
    ) -> tuple[list[EventRecord], str | None, Counter[str]]:
        items, sync_token, zone = self._pages(
            calendar, timeMin=_rfc3339(start), timeMax=_rfc3339(end)
        )
        skipped: Counter[str] = Counter()
        events = [
            e
            for e in self._records(calendar, items, zone, skipped)
            if e.end > start and e.start < end
        ]
        return events, sync_token, skipped

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        """Every occurrence overlapping [start, end) of every configured calendar."""
        for calendar in self.settings.calendars:
            try:
                events, _token, _skipped = self._window(calendar, start, end)
            except Passed as e:
                raise ConnectorError(self.name, f"Google answered HTTP {e.status}") from e
            yield from events

    def sync(
        self, checkpoints: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        """Per calendar: a full window batch, or the changes since the sync token (plus
        a window batch for any part of [start, end) the mirror did not cover yet)."""
        wanted = set(self.settings.calendars)
        for calendar in self.settings.calendars:
            cp = CalendarCheckpoint.loads(checkpoints.get(calendar))
            if cp is not None:
                try:
                    yield from self._incremental(calendar, cp, start, end)
                    continue
                except Passed:
                    logger.warning(
                        "%s/%s: Google no longer honours the sync token (410 Gone); "
                        "reading the window again",
                        self.name,
                        calendar,
                    )
            yield self._full(calendar, start, end)
        # A calendar dropped from the config: an empty listing, so the store forgets it.
        for calendar in sorted(c for c, v in checkpoints.items() if v and c not in wanted):
            yield EventBatch(calendar=calendar, checkpoint="", window=(start, end))

    def _full(self, calendar: str, start: datetime, end: datetime) -> EventBatch:
        try:
            events, sync_token, skipped = self._window(calendar, start, end)
        except Passed as e:
            raise ConnectorError(
                self.name, f"Google answered HTTP {e.status} to a full read"
            ) from e
        checkpoint = CalendarCheckpoint(sync_token, start, end).dumps() if sync_token else ""
        logger.info("%s/%s: %d event(s) in the window", self.name, calendar, len(events))
        return EventBatch(
            calendar=calendar,
            events=tuple(events),
            checkpoint=checkpoint,
            window=(start, end),
            skipped=tuple(sorted(skipped.items())),
        )

    def _incremental(
        self, calendar: str, cp: CalendarCheckpoint, start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        items, sync_token, zone = self._pages(calendar, syncToken=cp.sync_token)
        skipped: Counter[str] = Counter()
        changed = self._records(calendar, items, zone, skipped)
        inside = [e for e in changed if e.end > start and e.start < end]
        inside_ids = {e.uid for e in inside}
        removed = sorted({_clean(i.get("id"), 1024) for i in items if i.get("id")} - inside_ids)
        token = sync_token or cp.sync_token
        covered_start, covered_end = min(cp.start, start), max(cp.end, end)
        # The window moves with `now`: the part not yet covered is listed on its own, so
        # unchanged events that just came into range are not missed.
        gaps = [(a, b) for a, b in ((start, cp.start), (cp.end, end)) if a < b]
        new_cp = CalendarCheckpoint(token, covered_start, covered_end)
        final = CalendarCheckpoint(token, cp.start, cp.end) if gaps else new_cp
        yield EventBatch(
            calendar=calendar,
            events=tuple(inside),
            removed=tuple(removed),
            checkpoint=final.dumps(),
            skipped=tuple(sorted(skipped.items())),
        )
        for index, (a, b) in enumerate(gaps):
            events, _unused, gap_skipped = self._window(calendar, a, b)
            last = index == len(gaps) - 1
            yield EventBatch(
                calendar=calendar,
                events=tuple(events),
                checkpoint=(new_cp if last else final).dumps(),
                window=(a, b),
                skipped=tuple(sorted(gap_skipped.items())),
            )

    # -- doctor -----------------------------------------------------------------------

    def probe(self) -> dict[str, Any]:
        """The calendars and their zones, and the granted scopes; raises like ``sync``."""
        service = self._open()
        assert self._token is not None
        calendars = []
        for calendar in self.settings.calendars:
            meta = self.caller.execute(
                service.calendars().get(calendarId=calendar), 1, doing=f"reading {calendar}"
            )
            calendars.append(
                {
                    "calendar": calendar,
                    "summary": _clean(meta.get("summary")),
                    "timezone": meta.get("timeZone"),
                }
            )
        self._token.save()
        return {
            "account": self.name,
            "granted_scopes": list(self._token.scopes),
            "calendars": calendars,
            "state": "ok",
        }


if TYPE_CHECKING:  # mypy checks the class against the contract (connectors.base)
    from connectors.base import CalendarSourceClass

    _CONTRACT: CalendarSourceClass = GoogleCalendarSource
