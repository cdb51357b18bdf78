"""Sync: read every configured source into the store, batch by batch.

Each batch and its checkpoint are committed together, so a crash at any point loses
nothing and duplicates nothing: the next run continues from the last commit.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from connectors import calendar_source_class, mail_source_class
from connectors.base import CalendarSource, MailSource
from connectors.errors import ConnectorError
from followup.config import Config, SourceSettings
from followup.errors import UserError
from followup.gc_budget import fewer_collections
from followup.own_text import ATTRIBUTION_CHARS as ATTRIBUTION_CHARS  # kept importable here
from followup.own_text import own_text as own_text
from followup.own_text import own_text_only

if TYPE_CHECKING:  # the store's modules (SQLAlchemy) are imported when a sync runs
    from followup.store.store import Store

logger = logging.getLogger(__name__)

# Calendar events are mirrored for this window around now: as far back as relationship
# history is read (mail's, followup.store.load.HISTORY: a test holds them equal), so
# meetings count in strength and rhythm for all of it.
CALENDAR_PAST = timedelta(days=730)
CALENDAR_FUTURE = timedelta(days=14)

Progress = Callable[[str, int, int], None]  # (label, done, total or 0)


class Closable(Protocol):
    def close(self) -> None: ...


@dataclass
class FolderReport:
    folder: str
    role: str = ""
    seen: int = 0
    new: int = 0
    skipped: int = 0
    gone: int = 0  # deleted from the store: no longer at the source
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class SourceReport:
    name: str
    kind: str
    folders: dict[str, FolderReport] = field(default_factory=dict)
    events: int | None = None
    # Calendar events skipped, by reason (absurd recurrences, unreadable events).
    event_skips: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    retryable: bool = False

    @property
    def new(self) -> int:
        return sum(f.new for f in self.folders.values())

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.folders.values())

    @property
    def gone(self) -> int:
        return sum(f.gone for f in self.folders.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.name,
            "kind": self.kind,
            "ok": self.error is None,
            "error": self.error,
            "retryable": self.retryable,
            "folders": [
                {
                    "folder": f.folder,
                    "role": f.role,
                    "seen": f.seen,
                    "new": f.new,
                    "skipped": f.skipped,
                    "gone": f.gone,
                    "skip_reasons": f.reasons,
                }
                for f in self.folders.values()
            ],
            **(
                {
                    "events": self.events,
                    "events_skipped": sum(self.event_skips.values()),
                    "event_skip_reasons": self.event_skips,
                }
                if self.events is not None
                else {}
            ),
        }


def open_mail_source(settings: SourceSettings) -> MailSource:
    """A configured mailbox as its source object, from the registry (connects lazily)."""
    return mail_source_class(settings.kind).from_config(settings.name, dict(settings.options))


def open_calendar_source(settings: SourceSettings) -> CalendarSource:
    """A configured calendar as its source object, from the registry."""
    return calendar_source_class(settings.kind).from_config(settings.name, dict(settings.options))


@dataclass(frozen=True)
class SourceOpeners:
    """How sync gets the source object of a configured source: the registry by default.

    Tests (and a host application) pass their own, e.g. in-memory sources; an opener is
    called once per sync of that source, and sync closes what it returns.
    """

    mail: Callable[[SourceSettings], MailSource] = open_mail_source
    calendar: Callable[[SourceSettings], CalendarSource] = open_calendar_source


REGISTRY = SourceOpeners()
"""The default: every source from the connectors registry."""


def _with_since(settings: SourceSettings, since: Any) -> SourceSettings:
    """``settings`` with the ``since`` option replaced (``followup sync --since``)."""
    if not since:
        return settings
    return dataclasses.replace(settings, options={**settings.options, "since": since})


@contextmanager
def _source_errors(report: SourceReport, settings: SourceSettings) -> Iterator[list[Closable]]:
    """Run a source's work, turning its failure into the report's one-line error, closing
    the source however it ends, and recording the outcome on the source row.

    The caller appends the source it opened to the yielded list, so it gets closed.
    """
    opened: list[Closable] = []
    try:
        yield opened
    except ConnectorError as e:
        report.error = str(e)
        report.retryable = e.retryable
    except OSError as e:
        report.error = f"{settings.name}: {e.strerror or e}"
        report.retryable = True
    finally:
        for source in opened:
            try:
                source.close()
            except Exception:  # closing must not hide the real outcome
                logger.debug("closing %s failed", settings.name, exc_info=True)
    if report.error:
        # The caller reports it (the CLI as one line, the daemon in its summary).
        logger.info("%s", report.error)


def sync_mail(
    store: Store,
    settings: SourceSettings,
    me: frozenset[str],
    *,
    source: MailSource | None = None,
    opener: Callable[[SourceSettings], MailSource] = open_mail_source,
    since: Any = None,
    progress: Progress | None = None,
    on_new: Callable[[], None] | None = None,
) -> SourceReport:
    """Sync one mailbox. Errors are caught and reported in the SourceReport.

    ``source`` is used as given (and left open: it is the caller's); without it the
    source is opened with ``opener`` (``since`` overriding its option) and closed after.
    ``on_new`` is called after each batch that stored new messages (the run starts its
    analysis process then: analysis_process.py).
    """
    report = SourceReport(settings.name, settings.kind)
    with _source_errors(report, settings) as opened:
        if source is None:
            source = opener(_with_since(settings, since))
            opened.append(source)
        from followup.store.privacy import load_screen

        checkpoints = store.checkpoints(settings.name)
        screen = load_screen(store)  # forgotten and purged mail is not stored again
        # A source read in a child process sanitises and cuts there (source_process).
        prepared = getattr(source, "prepared", False)
        for batch in source.sync(checkpoints):
            batch = screen.screen_batch(batch, me)
            fr = report.folders.setdefault(batch.folder, FolderReport(batch.folder, batch.role))
            if not prepared:
                batch = own_text_only(batch)
            result = store.write_batch(settings.name, batch, sorted(me), sanitised=prepared)
            fr.seen += batch.seen or (len(batch.records) + len(batch.skipped))
            fr.new += result.new
            if result.new and on_new is not None:
                on_new()
            fr.gone += result.gone
            skipped = (*batch.skipped, *result.skipped)
            fr.skipped += len(skipped)
            for s in skipped:
                fr.reasons[s.reason] = fr.reasons.get(s.reason, 0) + 1
                logger.info(
                    "%s/%s: skipped message %s: %s", settings.name, s.folder, s.uid, s.reason
                )
            if progress:
                progress(f"{settings.name}/{batch.folder}", fr.seen, batch.total)
    store.touch_source(settings.name, settings.kind, error=report.error)
    if not report.error:
        logger.info(
            "%s: %d new, %d skipped, %d gone in %d folders",
            settings.name,
            report.new,
            report.skipped,
            report.gone,
            len(report.folders),
        )
    return report


def calendar_window(now: datetime) -> tuple[datetime, datetime]:
    """The window calendars are mirrored for: whole UTC days around ``now``, so runs on
    one day ask for the same window and an unchanged calendar costs no rewrite."""
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    start = midnight - CALENDAR_PAST
    return start, midnight + timedelta(days=1) + CALENDAR_FUTURE


def sync_calendar(
    store: Store,
    settings: SourceSettings,
    now: datetime,
    *,
    source: CalendarSource | None = None,
    opener: Callable[[SourceSettings], CalendarSource] = open_calendar_source,
    progress: Progress | None = None,
) -> SourceReport:
    """Sync one calendar source from its checkpoints, batch by batch: each calendar's
    events and its checkpoint are committed together. ``source`` as in ``sync_mail``.

    ``report.events`` is how many of the source's events the store holds in the window
    afterwards (what the user has to go on), not how many changed.
    """
    report = SourceReport(settings.name, settings.kind)
    start, end = calendar_window(now)
    from followup.store.calendar_sync import (
        calendar_checkpoints,
        count_events,
        drop_orphans,
        screened_out,
        write_event_batch,
    )
    from followup.store.privacy import load_screen

    with _source_errors(report, settings) as opened:
        if source is None:
            source = opener(settings)
            opened.append(source)
        screen = load_screen(store)
        changed = 0
        for batch in source.sync(calendar_checkpoints(store, settings.name), start, end):
            events = screen.screen_events(batch.events)
            screened = screened_out(batch.events, events)
            batch = dataclasses.replace(batch, events=tuple(events))
            changed += write_event_batch(store, settings.name, batch, screened=screened).written
            for reason, n in batch.skipped:
                report.event_skips[reason] = report.event_skips.get(reason, 0) + n
            if progress:
                progress(f"{settings.name}/{batch.calendar}", changed, 0)
        drop_orphans(store, settings.name, start, end)
        report.events = count_events(store, settings.name, start, end)
        for reason, n in report.event_skips.items():
            logger.info("%s: skipped %d events: %s", settings.name, n, reason)
    store.touch_source(settings.name, settings.kind, error=report.error)
    return report


def sync_all(
    store: Store,
    config: Config,
    now: datetime,
    *,
    only: str | None = None,
    since: Any = None,
    progress: Progress | None = None,
    openers: SourceOpeners = REGISTRY,
    on_new: Callable[[], None] | None = None,
) -> list[SourceReport]:
    """Sync every source (or only the named one); one source's failure never stops
    the others. ``openers`` gives the source objects (the registry's by default);
    ``on_new`` as in ``sync_mail``."""
    names = [s.name for s in (*config.mail, *config.calendars)]
    if only and only not in names:
        raise UserError(f"No source named {only!r}; configured: {', '.join(names) or 'none'}")
    with fewer_collections():
        return _sync_sources(store, config, now, only, since, progress, openers, on_new)


def _sync_sources(
    store: Store,
    config: Config,
    now: datetime,
    only: str | None,
    since: Any,
    progress: Progress | None,
    openers: SourceOpeners,
    on_new: Callable[[], None] | None = None,
) -> list[SourceReport]:
    from followup.identity import my_addresses

    # My addresses as the store knows them when each source syncs: new sent mail can add
    # one (identity.py), so they are read again after a source that stored mail only
    # (a query over the sent mail: 60 ms at 100k messages).
    me: frozenset[str] | None = None
    reports = []
    for s in config.mail:
        if only in (None, s.name):
            if me is None:
                me = my_addresses(config, store)
            report = sync_mail(
                store,
                s,
                me,
                opener=openers.mail,
                since=since,
                progress=progress,
                on_new=on_new,
            )
            reports.append(report)
            if report.new:
                me = None
    for s in config.calendars:
        if only in (None, s.name):
            reports.append(sync_calendar(store, s, now, opener=openers.calendar, progress=progress))
    if store.has_unthreaded():
        # Only new mail changes identities and threads: a no-op sync stays a no-op.
        store.refresh_identity(sorted(me if me is not None else my_addresses(config, store)))
        store.assign_threads()
    return reports
