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
from datetime import datetime, timedelta
from typing import Any

from connectors import get_source_class
from connectors.errors import ConnectorError
from connectors.records import MailBatch
from followup.config import Config, SourceSettings
from followup.errors import UserError
from followup.store.load import HISTORY
from followup.store.privacy import load_screen
from followup.store.store import Store

logger = logging.getLogger(__name__)

# Calendar events are mirrored for this window around now: as far back as relationship
# history is read (mail's), so meetings count in strength and rhythm for all of it.
CALENDAR_PAST = HISTORY
CALENDAR_FUTURE = timedelta(days=14)

# How much of the first quoted line (the attribution) own_text keeps.
ATTRIBUTION_CHARS = 200

Progress = Callable[[str, int, int], None]  # (label, done, total or 0)


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


def own_text(excerpt: str) -> str:
    """The part of an excerpt its writer wrote: quoted history and forwarded blocks cut.

    Only the owner's own new text is kept at rest (a reply quotes other people's mail,
    often many times over). The signature stays: it names the writer. The first line of
    the cut (the "On ... wrote:" attribution or "Original Message" rule) is kept, cut
    short, because threading reads it as the sign of a reply.
    """
    from nlp.quoting import split_body  # regular expressions only; no spaCy

    if not excerpt:
        return excerpt
    parts = split_body(excerpt)
    kept = [p for p in (parts.body, parts.signature) if p]
    first_quoted = next((ln.strip() for ln in parts.quoted.splitlines() if ln.strip()), "")
    if first_quoted:
        kept.append(first_quoted[:ATTRIBUTION_CHARS])
    return "\n\n".join(kept)


def own_text_only(batch: MailBatch) -> MailBatch:
    """``batch`` with every record's excerpt reduced to :func:`own_text`."""
    records = tuple(dataclasses.replace(r, excerpt=own_text(r.excerpt)) for r in batch.records)
    return dataclasses.replace(batch, records=records)


def build_source(
    settings: SourceSettings, *, calendar: bool = False, overrides: dict[str, Any] | None = None
) -> Any:
    cls = get_source_class(settings.kind, calendar=calendar)
    options = dict(settings.options)
    options.update(overrides or {})
    return cls.from_config(settings.name, options)


@contextmanager
def _source_errors(report: SourceReport, settings: SourceSettings) -> Iterator[list[Any]]:
    """Run a source's work, turning its failure into the report's one-line error, closing
    the source however it ends, and recording the outcome on the source row.

    The caller appends the source it opened to the yielded list, so it gets closed.
    """
    opened: list[Any] = []
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
    since: Any = None,
    progress: Progress | None = None,
) -> SourceReport:
    """Sync one mailbox. Errors are caught and reported in the SourceReport."""
    report = SourceReport(settings.name, settings.kind)
    with _source_errors(report, settings) as opened:
        source = build_source(settings, overrides={"since": since} if since else None)
        opened.append(source)
        checkpoints = store.checkpoints(settings.name)
        screen = load_screen(store)  # forgotten and purged mail is not stored again
        for batch in source.sync(checkpoints):
            batch = screen.screen_batch(batch, me)
            fr = report.folders.setdefault(batch.folder, FolderReport(batch.folder, batch.role))
            result = store.write_batch(settings.name, own_text_only(batch), sorted(me))
            fr.seen += batch.seen or (len(batch.records) + len(batch.skipped))
            fr.new += result.new
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


def sync_calendar(store: Store, settings: SourceSettings, now: datetime) -> SourceReport:
    """Mirror one calendar's events around ``now`` into the store."""
    report = SourceReport(settings.name, settings.kind)
    with _source_errors(report, settings) as opened:
        source = build_source(settings, calendar=True)
        opened.append(source)
        start, end = now - CALENDAR_PAST, now + CALENDAR_FUTURE
        events = load_screen(store).screen_events(source.events_between(start, end))
        report.events = store.replace_events(settings.name, events, start, end)
        report.event_skips = dict(getattr(source, "skipped", None) or {})
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
) -> list[SourceReport]:
    """Sync every source (or only the named one); one source's failure never stops
    the others."""
    from followup.identity import my_addresses

    names = [s.name for s in (*config.mail, *config.calendars)]
    if only and only not in names:
        raise UserError(f"No source named {only!r}; configured: {', '.join(names) or 'none'}")
    me = frozenset(config.me.addresses)
    reports = []
    for s in config.mail:
        if only in (None, s.name):
            reports.append(sync_mail(store, s, me, since=since, progress=progress))
            me = my_addresses(config, store)
    for s in config.calendars:
        if only in (None, s.name):
            reports.append(sync_calendar(store, s, now))
    if store.has_unthreaded():
        # Only new mail changes identities and threads: a no-op sync stays a no-op.
        store.refresh_identity(sorted(my_addresses(config, store)))
        store.assign_threads()
    return reports
