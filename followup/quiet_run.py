"""The quiet run: a ``followup run`` that finds nothing changed, decided cheaply.

Most cron runs find no new mail. Such a run keeps the last plan (plan_reuse.py), and
what it costs is start-up: SQLAlchemy, SQLModel, the connectors' parsers and the NLP
modules, imported to find out that there is nothing to do. This module decides it
first, with the stdlib sqlite3 driver (store/glance.py) and the sources' own cheap
checks, and when everything holds it does what the normal path would have done in that
case (a sync that finds nothing records the sources as synced) and returns what the
command prints. It takes the cycle's lock file like the normal path.

Everything must hold, else ``None`` and the normal path runs (a doubt costs only the
time it would have cost anyway):

- a SQLite store, up to date (no migration to apply), in WAL mode, POSIX (flock);
- the plan kept (plan_reuse.reusable): nothing planning reads changed since it, the
  same settings and decisions, within the hour, the same local day;
- the run may not send the digest: ``--no-send``, or no way to send one configured
  (the deliver step then does nothing); a run that may send goes the normal way;
- every source a Maildir or mbox whose check says a sync would find nothing (network
  sources and calendars go the normal way);
- nothing to analyse: no recent mail pending, none analysed by another pipeline, no
  finding judged by other thresholds, no unthreaded mail; older history pending is
  left as the normal run leaves it without new mail (extract.py), and counted;
- no reply to a digest waiting to be applied.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from followup.config import Config
from followup.private_files import create_private_file, make_private_dir, sqlite_path

logger = logging.getLogger(__name__)

QUIET_KINDS = frozenset({"maildir", "mbox"})
# digest.replies.REPLY_WINDOW and digest.ledger.COUNTS_AS_SENT (a test checks both).
REPLY_WINDOW = timedelta(days=14)
COUNTS_AS_SENT = ("sending", "resending", "sent")


@dataclass(frozen=True, slots=True)
class QuietReport:
    """What the run command prints for a run that did nothing but look."""

    sources: tuple[tuple[str, str], ...]  # (name, kind), each synced with nothing new
    backlog: int  # older messages left for later runs
    open_nudges: int
    replies: bool  # the replies step ran (a recipient is set) and found none

    def source_dicts(self) -> list[dict[str, Any]]:
        """As sync.SourceReport.to_dict of a source that found nothing."""
        return [
            {
                "source": name,
                "kind": kind,
                "ok": True,
                "error": None,
                "retryable": False,
                "folders": [],
            }
            for name, kind in self.sources
        ]


def quiet_run(config: Config, now: datetime, *, deliver: bool) -> QuietReport | None:
    """The run's report if nothing changed (module docstring), else None: then nothing
    was written and the caller runs the normal path."""
    path = sqlite_path(config.database_url())
    if os.name != "posix" or path is None or not _may_be_quiet(config, deliver):
        return None
    try:
        if not path.is_file():
            return None
        with _cycle_lock_file(config.home) as held:
            if not held:
                return None  # the normal path says another run holds it
            # As Store.open does on every open.
            make_private_dir(path.parent)
            create_private_file(path)
            return _look(config, path, now)
    except Exception as e:  # any doubt: the normal path finds and reports it
        logger.debug("quiet run not taken: %s", e.__class__.__name__, exc_info=True)
        return None


def _may_be_quiet(config: Config, deliver: bool) -> bool:
    d = config.digest
    if deliver and (d.smtp is not None or d.imap_account is not None):
        return False
    if config.calendars:
        return False
    return all(m.kind in QUIET_KINDS for m in config.mail)


@contextmanager
def _cycle_lock_file(home: Path) -> Iterator[bool]:
    """followup.lock's run_lock without filelock's import: the same flock on the same
    file, one try. Yields whether it is held."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(home / "followup.lock", flags, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            os.ftruncate(fd, 0)
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _look(config: Config, path: Path, now: datetime) -> QuietReport | None:
    from followup.plan_reuse import fingerprint, reusable
    from followup.state import planning_window
    from followup.store.glance import glance

    since = now - planning_window(config.rules)
    with glance(path) as g:
        with g.read():
            if not (g.is_wal() and g.schema_current()):
                return None
            stamp = g.plan_stamp()
            if stamp is None:
                return None
            version, last = stamp
            if not reusable(last, version, fingerprint(config, g.stopped_pairs()), now, config):
                return None
            # The sources first: new mail, the usual reason a run is not quiet, shows in
            # a few stat calls, where the store's checks below take 0.15 s at 100k.
            for m in config.mail:
                if not _unchanged(m.kind, m.name, m.options, g.checkpoints(m.name)):
                    return None
            if g.has_unthreaded() or g.pending_analysis(since):
                return None
            what = _installed(config)
            if g.stale_analysis(what.identity, since):
                return None
            if g.any_unjudged(what.identity, what.thresholds_id):
                return None
            if config.digest.to and g.may_hold_replies(COUNTS_AS_SENT, now - REPLY_WINDOW):
                return None
            backlog = g.pending_analysis()
        sources = tuple((m.name, m.kind) for m in config.mail)
        g.touch_sources(sources, datetime.now(UTC))
        with g.read():
            open_nudges = g.open_nudges(now)
    logger.info("Quiet run: nothing changed since the last plan; %d open nudges", open_nudges)
    return QuietReport(sources, backlog, open_nudges, replies=bool(config.digest.to))


def _installed(config: Config) -> Any:
    """What analyses mail here, as extract.extract_pending reads it (the cached hash)."""
    from nlp.pipeline import installed

    return installed(config.nlp.pipeline, config.model_identity_cache())


def _unchanged(kind: str, name: str, options: Any, checkpoints: dict[str, str]) -> bool:
    """The source's own check that a sync from ``checkpoints`` would find nothing."""
    from connectors import mail_source_class

    source = mail_source_class(kind).from_config(name, dict(options))
    try:
        check = getattr(source, "unchanged", None)
        return bool(check(checkpoints)) if callable(check) else False
    finally:
        source.close()
