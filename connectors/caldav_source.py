"""CalDAV calendars (Fastmail, Nextcloud, iCloud, Radicale...) as a calendar source.

Built on the ``caldav`` library (3.x). Calendars are discovered from the principal or
named in config (display name, id or URL). Sync per calendar:

- first read: a time-range query over the window, recurring events expanded here with
  ``connectors.ics`` (bounded like an ICS file), and the collection's sync token;
- next reads: the changes since that token (RFC 6578 sync-collection) where the server
  offers one; each object's ETag decides whether it changed (many servers report
  unchanged objects, and some tokens are unreliable), so a daily time-range re-list of
  the window (and whenever the token is refused) catches what a token missed; the part
  of the window that is new since the last read is listed too, so occurrences of an
  unchanged series that come into the window are added.

The checkpoint remembers, per object (href), its ETag and the occurrence uids it gave:
what a changed or deleted object's batch must remove. A calendar with a checkpoint that
is no longer found (deleted at the server, or no longer named in config) is yielded once
as an empty listing with checkpoint "" (the source contract).
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.parse
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors import ics_bounds
from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.ics import expand_calendar, redact_url
from connectors.records import EventBatch, EventRecord
from connectors.secrets import PasswordSpec, password_spec_from_options, resolve_password

logger = logging.getLogger(__name__)

TIMEOUT = 30.0
RELIST_EVERY = timedelta(days=1)
"""How often the window is listed again even with a sync token the server honours."""
MAX_OBJECT_BYTES = 1024 * 1024
"""A calendar object bigger than this is skipped (no meeting is a megabyte)."""
CHECKPOINT_VERSION = 1
_PACKED = "z1:"
REASON_TOO_BIG = f"calendar object larger than {MAX_OBJECT_BYTES >> 20} MiB"


@dataclass
class _State:
    """A calendar's checkpoint: the sync token, the window last read and the objects."""

    token: str | None
    start: datetime
    end: datetime
    relisted: datetime  # the window start at the last full listing
    objects: dict[str, tuple[str, list[str]]] = field(default_factory=dict)

    def dump(self) -> str:
        """Compressed JSON: the occurrence uids repeat the event's UID (a daily series over
        two years is 700 of them), which zlib takes down about tenfold."""
        text = json.dumps(
            {
                "v": CHECKPOINT_VERSION,
                "token": self.token,
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "relisted": self.relisted.isoformat(),
                "objects": {h: [e, u] for h, (e, u) in sorted(self.objects.items())},
            },
            separators=(",", ":"),
        )
        return _PACKED + base64.b64encode(zlib.compress(text.encode(), 6)).decode("ascii")

    @classmethod
    def load(cls, text: str | None) -> _State | None:
        """The state in ``text``, or None (no checkpoint, another format: read anew)."""
        if not text:
            return None
        try:
            if text.startswith(_PACKED):
                raw = zlib.decompress(base64.b64decode(text[len(_PACKED) :]), bufsize=1 << 20)
                text = raw.decode()
            data = json.loads(text)
            if data.get("v") != CHECKPOINT_VERSION:
                return None
            token = data["token"]
            objects = {
                str(h): (str(e), [str(u) for u in uids])
                for h, (e, uids) in dict(data["objects"]).items()
            }
            return cls(
                token=str(token) if token else None,
                start=datetime.fromisoformat(data["start"]),
                end=datetime.fromisoformat(data["end"]),
                relisted=datetime.fromisoformat(data["relisted"]),
                objects=objects,
            )
        except (ValueError, TypeError, KeyError, AttributeError, zlib.error):
            logger.debug("unreadable CalDAV checkpoint: reading the calendar anew")
            return None


@dataclass(frozen=True, slots=True)
class _Object:
    href: str
    etag: str
    data: str | None


class CaldavCalendarSource:
    """Events from a CalDAV server. Config: ``url`` (the server, or the principal or a
    calendar's URL), ``username``, ``password_command`` / ``password_env`` /
    ``password_keyring``, ``calendars`` (display names, ids or URLs; default: every
    calendar of the principal), ``timezone`` (for floating times), ``timeout``,
    ``ca_file`` (a CA bundle for a self-signed server), ``allow_insecure`` (http://)."""

    kind: ClassVar[str] = "caldav"
    KEYS: ClassVar[frozenset[str]] = frozenset(
        {
            "url",
            "username",
            "password_command",
            "password_env",
            "password_keyring",
            "calendars",
            "timezone",
            "timeout",
            "ca_file",
            "allow_insecure",
        }
    )

    def __init__(
        self,
        name: str,
        *,
        url: str,
        username: str,
        password: PasswordSpec,
        calendars: tuple[str, ...] = (),
        timezone: tzinfo | None = None,
        timeout: float = TIMEOUT,
        ca_file: str | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.username = username
        self.password = password
        self.calendars = calendars
        self.timezone = timezone
        self.timeout = timeout
        self.ca_file = ca_file
        self.skipped: Counter[str] = Counter()
        """Events the last sync or ``events_between`` skipped, by reason."""
        self._client: Any = None
        self._closed = False

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> Self:
        problems: list[str] = []
        for key in options:
            if key not in cls.KEYS and key not in ("name", "kind"):
                problems.append(f"unknown key {key!r}; known: {', '.join(sorted(cls.KEYS))}")
        url = options.get("url")
        scheme = ""
        if not isinstance(url, str) or not url.strip():
            problems.append('url is missing, e.g. url = "https://caldav.example.com/"')
            url = ""
        else:
            url = url.strip()
            scheme = urllib.parse.urlsplit(url).scheme.lower()
            if scheme not in ("https", "http"):
                problems.append(
                    f"url must start with https:// (or http://), not {redact_url(url)!r}"
                )
            elif scheme == "http" and options.get("allow_insecure") is not True:
                problems.append(
                    "url is http:// (the password would travel in clear): use https://, "
                    "or set allow_insecure = true for a server on this machine"
                )
        if "allow_insecure" in options and not isinstance(options["allow_insecure"], bool):
            problems.append("allow_insecure must be true or false")
        username = options.get("username")
        if not isinstance(username, str) or not username.strip():
            problems.append('username is missing, e.g. username = "penny@example.com"')
            username = ""
        try:
            spec = password_spec_from_options(name, options)
            if not spec.configured:
                problems.append(
                    "no password configured: set password_command, password_env or password_keyring"
                )
        except SourceConfigError as e:
            problems.extend(e.message.splitlines())
            spec = PasswordSpec()
        calendars = options.get("calendars", [])
        if isinstance(calendars, str):
            calendars = [calendars]
        if not isinstance(calendars, list) or not all(
            isinstance(c, str) and c.strip() for c in calendars
        ):
            problems.append('calendars must be a list of calendar names, e.g. ["Work"]')
            calendars = []
        zone: tzinfo | None = None
        if options.get("timezone"):
            try:
                zone = ZoneInfo(str(options["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(
                    f'timezone {options["timezone"]!r} is not a known zone (e.g. "Europe/Berlin")'
                )
        timeout = options.get("timeout", TIMEOUT)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not (1 <= timeout <= 600)
        ):
            problems.append("timeout must be a number of seconds from 1 to 600")
            timeout = TIMEOUT
        ca_file = options.get("ca_file")
        if ca_file is not None and (not isinstance(ca_file, str) or not ca_file):
            problems.append("ca_file must be the path of a CA bundle (PEM)")
            ca_file = None
        if problems:
            raise SourceConfigError(name, "\n".join(problems))
        return cls(
            name,
            url=url,
            username=username.strip(),
            password=spec,
            calendars=tuple(c.strip() for c in calendars),
            timezone=zone,
            timeout=float(timeout),
            ca_file=ca_file,
        )

    # -- connection ----------------------------------------------------------------

    def _connect(self) -> Any:
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        if self._client is not None:
            return self._client
        try:
            from caldav.davclient import DAVClient
        except ImportError as e:
            raise SourceConfigError(
                self.name, "kind caldav needs the caldav extra: pip install 'followup[caldav]'"
            ) from e
        password = resolve_password(self.name, self.password, self.username)
        self._client = DAVClient(
            url=self.url,
            username=self.username,
            password=password,
            timeout=int(self.timeout),
            ssl_verify_cert=self.ca_file or True,
            enable_rfc6764=False,
            require_tls=urllib.parse.urlsplit(self.url).scheme == "https",
        )
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        self._closed = True
        if client is not None:
            try:
                client.close()
            except Exception:  # closing must not hide the real outcome
                logger.debug("%s: closing the CalDAV client failed", self.name, exc_info=True)

    def _found_calendars(self) -> list[tuple[str, Any]]:
        """(label, calendar) for every calendar to read; the label is the collection's
        id (the last segment of its URL), which renaming the calendar does not change."""
        client = self._connect()
        with self._errors():
            found = list(client.principal().calendars())
        labelled = [(_label(str(cal.url)), cal) for cal in found]
        if not self.calendars:
            return labelled
        out = []
        for wanted in self.calendars:
            match = next(
                (
                    (label, cal)
                    for label, cal in labelled
                    if wanted in (label, str(cal.url), _display_name(cal))
                ),
                None,
            )
            if match is None:
                names = ", ".join(sorted(_display_name(c) or lb for lb, c in labelled)) or "none"
                raise SourceConfigError(
                    self.name, f"no calendar named {wanted!r} on the server; found: {names}"
                )
            out.append(match)
        return out

    def probe(self) -> dict[str, Any]:
        """Log in and list the calendars to read, and whether each offers a sync token
        (without one, every sync lists the window again); ``followup doctor`` shows it."""
        out = []
        for label, cal in self._found_calendars():
            out.append(
                {
                    "calendar": label,
                    "name": _display_name(cal),
                    "sync_token": self._token(cal) is not None,
                }
            )
        return {"url": redact_url(self.url), "calendars": out}

    # -- reading -------------------------------------------------------------------

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        """Occurrences overlapping [start, end) in every calendar, recurring ones expanded."""
        _check_aware(start, end)
        self.skipped = Counter()
        records: list[EventRecord] = []
        for label, cal in self._found_calendars():
            for obj in self._list(cal, start, end):
                records.extend(self._expand(label, obj, start, end))
        records.sort(key=lambda r: (r.start, r.uid))
        yield from records

    def sync(
        self, checkpoints: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        """One batch per calendar: a complete window on a first read (or a checkpoint
        that no longer fits), else the changes since the checkpoint."""
        _check_aware(start, end)
        self.skipped = Counter()
        present = set()
        for label, cal in self._found_calendars():
            present.add(label)
            before = Counter(self.skipped)
            state = _State.load(checkpoints.get(label))
            if state is None or start < state.start or start >= state.end:
                batch = self._full(label, cal, start, end)
            else:
                batch = self._changes(label, cal, state, start, end)
            skipped = self.skipped - before
            yield EventBatch(
                calendar=batch.calendar,
                events=batch.events,
                removed=batch.removed,
                checkpoint=batch.checkpoint,
                window=batch.window,
                skipped=tuple(sorted(skipped.items())),
            )
        # Deleted at the server, or no longer named in the config: the store forgets it.
        for label in sorted(c for c, v in checkpoints.items() if v and c not in present):
            yield EventBatch(label, checkpoint="", window=(start, end))

    def _full(self, label: str, cal: Any, start: datetime, end: datetime) -> EventBatch:
        token = self._token(cal)  # before the listing: a change during it comes next time
        state = _State(token, start, end, start)
        events: list[EventRecord] = []
        for obj in self._list(cal, start, end):
            records = self._expand(label, obj, start, end)
            events.extend(records)
            if records:
                state.objects[obj.href] = (obj.etag, [r.uid for r in records])
        logger.debug("%s/%s: read %d occurrences in full", self.name, label, len(events))
        return EventBatch(label, tuple(events), (), state.dump(), (start, end))

    def _changes(
        self, label: str, cal: Any, state: _State, start: datetime, end: datetime
    ) -> EventBatch:
        listed: dict[str, _Object] | None = None  # the whole window, when it was listed
        changed: dict[str, _Object] = {}
        deleted: set[str] = set()
        token = state.token
        relisted = state.relisted
        if token is not None and start - state.relisted < RELIST_EVERY:
            delta = self._since_token(cal, token)
            if delta is None:
                token = None  # refused or expired: list the window instead
            else:
                token, news, gone = delta
                deleted |= gone
                for obj in news:
                    if (
                        obj.href not in deleted
                        and state.objects.get(obj.href, ("",))[0] != obj.etag
                    ):
                        changed[obj.href] = obj
        if token is None or start - state.relisted >= RELIST_EVERY:
            token = self._token(cal)
            listed = {o.href: o for o in self._list(cal, start, end)}
            relisted = start
            for href in state.objects:
                if href not in listed:
                    deleted.add(href)
            for href, obj in listed.items():
                if state.objects.get(href, ("",))[0] != obj.etag:
                    changed[href] = obj
        if listed is None and end > state.end:
            # The window moved on: a series nobody touched may have occurrences there.
            for obj in self._list(cal, max(state.end, start), end):
                if obj.href not in deleted:
                    changed[obj.href] = obj
        self._load_missing(cal, changed)
        events: list[EventRecord] = []
        removed: set[str] = set()
        objects = dict(state.objects)
        for href in deleted:
            removed.update(objects.pop(href, ("", []))[1])
        for href, obj in sorted(changed.items()):
            records = self._expand(label, obj, start, end)
            old = set(objects.pop(href, ("", []))[1])
            new = [r.uid for r in records]
            removed |= old - set(new)
            events.extend(records)
            if records:
                objects[href] = (obj.etag, new)
        out = _State(token, start, end, relisted, objects)
        return EventBatch(label, tuple(events), tuple(sorted(removed)), out.dump())

    # -- the server ----------------------------------------------------------------

    def _token(self, cal: Any) -> str | None:
        """The collection's current sync token, or None where it offers none."""
        from caldav.lib import error

        try:
            with self._errors():
                return (
                    str(cal.get_objects_by_sync_token(disable_fallback=True).sync_token or "")
                    or None
                )
        except ConnectorError as e:
            # A server without sync-collection answers 403/501 or a report error; a
            # refused login is a real failure.
            if not isinstance(e.__cause__, error.DAVError) or _is_401(e.__cause__):
                raise
            logger.debug("%s: no sync token (%s); listing by time range", self.name, e.message)
            return None

    def _since_token(
        self, cal: Any, token: str
    ) -> tuple[str | None, list[_Object], set[str]] | None:
        """(new token, changed objects (without data), deleted hrefs) since ``token``; None
        when the server refuses the token (expired, or sync-collection not offered)."""
        from caldav.lib import error

        try:
            with self._errors():
                found = cal.get_objects_by_sync_token(sync_token=token, disable_fallback=True)
        except (AuthError, ConnectorError) as e:
            cause = e.__cause__
            expired = isinstance(cause, error.DAVError) and not _is_401(cause)
            if not expired:
                raise
            logger.info("%s: the sync token was refused; listing the window again", self.name)
            return None
        gone = {_href(u) for u in found.deleted_urls}
        news = [_Object(_href(o.url), _etag(o), None) for o in found]
        return (str(found.sync_token) if found.sync_token else None, news, gone)

    def _list(self, cal: Any, start: datetime, end: datetime) -> list[_Object]:
        """Every event object with an occurrence in [start, end), with data and ETag
        (the server applies the time range, recurrences included)."""
        with self._errors():
            # post_filter=False: the library would parse every object again to check the
            # range client-side; the expansion here does that anyway.
            found = cal.search(event=True, start=start, end=end, expand=False, post_filter=False)
        return [_Object(_href(o.url), _etag(o), _data(o)) for o in found]

    def _load_missing(self, cal: Any, objects: dict[str, _Object]) -> None:
        """Fetch the data of the objects that have none yet (one multiget)."""
        wanted = [o.href for o in objects.values() if o.data is None]
        if not wanted:
            return
        with self._errors():
            got = cal.multiget([cal.url.join(h) for h in wanted])
        for o in got:
            href = _href(o.url)
            objects[href] = _Object(href, _etag(o) or objects[href].etag, _data(o))
        for href in wanted:
            if objects[href].data is None:  # gone between the report and the fetch
                objects[href] = _Object(href, objects[href].etag, "")

    def _expand(
        self, label: str, obj: _Object, start: datetime, end: datetime
    ) -> list[EventRecord]:
        data = obj.data or ""
        if not data.strip():
            return []
        if len(data) > MAX_OBJECT_BYTES:
            self.skipped[REASON_TOO_BIG] += 1
            return []
        try:
            parsed, unreadable = ics_bounds.parse(data.encode("utf-8", "replace"))
        except Exception:  # icalendar raises ValueError and friends on bad input
            parsed, unreadable = [], 1
        self.skipped[ics_bounds.REASON_UNREADABLE] += unreadable
        out: list[EventRecord] = []
        for vcal in parsed:
            out.extend(
                expand_calendar(self.name, label, vcal, start, end, self.timezone, self.skipped)
            )
        return out

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn the library's and the network's exceptions into ours, one line each."""
        from caldav.lib import error

        name, shown = self.name, redact_url(self.url)
        try:
            yield
        except ConnectorError:
            raise
        except error.AuthorizationError as e:
            if _is_401(e):
                raise AuthError(
                    name,
                    f"{shown}: the server refused the username or password (HTTP 401): "
                    "check username and the password setting",
                ) from e
            raise AuthError(name, f"{shown}: access refused (HTTP 403)") from e
        except error.NotFoundError as e:
            raise SourceConfigError(name, f"{shown}: no CalDAV calendars there (HTTP 404)") from e
        except error.DAVError as e:
            raise ConnectorError(name, f"{shown}: the server failed ({type(e).__name__})") from e
        except Exception as e:
            if isinstance(e, OSError | TimeoutError) or _is_network_error(e):
                raise ConnectorError(
                    name, f"{shown}: cannot reach the server ({type(e).__name__})", retryable=True
                ) from e
            raise


def _is_401(e: BaseException) -> bool:
    return getattr(e, "status", None) == 401 or getattr(e, "reason", "") == "Unauthorized"


def _is_network_error(e: BaseException) -> bool:
    try:
        import niquests
    except ImportError:  # pragma: no cover - caldav depends on it
        return False
    return isinstance(e, niquests.exceptions.RequestException)


def _check_aware(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("CalDAV sync needs timezone-aware datetimes")


def _label(url: str) -> str:
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    return urllib.parse.unquote(path.rsplit("/", 1)[-1]) or "calendar"


def _href(url: Any) -> str:
    """An object's path, unquoted: the same object whatever quoting a reply used."""
    return urllib.parse.unquote(urllib.parse.urlsplit(str(url)).path)


def _etag(obj: Any) -> str:
    props = getattr(obj, "props", None) or {}
    return str(props.get("{DAV:}getetag", "") or "")


def _data(obj: Any) -> str:
    data = getattr(obj, "data", None)
    return data if isinstance(data, str) else (data.decode("utf-8", "replace") if data else "")


def _display_name(cal: Any) -> str:
    try:
        return str(cal.get_display_name() or "")
    except Exception:  # a server that does not answer PROPFIND for it
        return ""


if TYPE_CHECKING:  # mypy checks the class against the contract (connectors.base)
    from connectors.base import CalendarSourceClass

    _CONTRACT: CalendarSourceClass = CaldavCalendarSource
