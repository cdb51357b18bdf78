"""The Store: one repository over the database. Opens, migrates, and writes.

Bulk writes go through SQLAlchemy Core upserts (FACTS.md: the ORM's bulk path splits
batches and runs ~10x slower); the planning state the rules read is loaded in load.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from followup.errors import StoreError
from followup.private_files import create_private_file, make_private_dir, sqlite_path
from followup.store import migrations
from followup.store.analysis import AnalysisStore, PendingText, StoredScores
from followup.store.base import _now
from followup.store.chunks import chunks as _chunks
from followup.store.db_errors import _DB_FAILURES, _is_data_error, _store_error, db_error_text
from followup.store.digests import DigestStore
from followup.store.handles import AT, CP, EV, PE, SRC, A, F, M, P
from followup.store.mail import BatchResult, MailStore, delete_messages
from followup.store.people import PeopleStore
from followup.store.threads import ThreadStore

# Besides Store, what other modules imported from here before the store was split by
# aggregate (helpers and table handles included), kept so that code still works. New
# code imports them from the aggregate modules, handles.py and chunks.py.
__all__ = [
    "AT",
    "CP",
    "EV",
    "PE",
    "SRC",
    "_DB_FAILURES",
    "A",
    "BatchResult",
    "F",
    "M",
    "P",
    "PendingText",
    "Store",
    "StoredScores",
    "_chunks",
    "_is_data_error",
    "_now",
    "_store_error",
    "db_error_text",
    "delete_messages",
]


class Store(MailStore, ThreadStore, AnalysisStore, PeopleStore, DigestStore):
    """The database. ``Store.open(url)`` creates and migrates it as needed.

    One class over the aggregates, each in its module (mail and checkpoints, threads,
    analysis, calendar, people, digests); nudges and the planning state read by the
    rules have functions of their own (nudges.py, load.py).
    """

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open the database at ``url``, applying pending schema steps unless
        ``migrate`` is false (``followup doctor`` only reports them)."""
        db_file = sqlite_path(url)
        if db_file is not None:
            # Private from the start: 0700 dir, 0600 file (SQLite gives -wal/-shm its mode).
            make_private_dir(db_file.parent)
            create_private_file(db_file)
        try:
            # hide_parameters: an error's text must never carry mail (other messages'
            # excerpts in cron mail); see _store_error for the rest of it.
            engine = create_engine(url, hide_parameters=True)
        except ImportError as e:
            raise StoreError(
                f"No driver for the database in [storage] url ({e.name}): "
                "for PostgreSQL, pip install 'followup[postgres]'"
            ) from e
        except (SQLAlchemyError, ValueError) as e:
            raise StoreError(
                f"Cannot use the database URL in [storage] url: {db_error_text(e)}"
            ) from e
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if not migrate:
            return store
        where = engine.url.render_as_string(hide_password=True)
        try:
            migrations.migrate(engine)
            with engine.connect() as conn:
                newer = migrations.unknown_steps(conn)
        except SQLAlchemyError as e:
            raise _store_error(f"Cannot open the database {where}", e) from None
        if newer:
            raise StoreError(
                f"The database {where} was upgraded by a newer followup (schema steps "
                f"{', '.join(newer)}): install that version to use it"
            )
        return store

    def schema_report(self) -> dict[str, Any]:
        """The schema version, the latest this followup knows, the steps pending and
        those it does not know, and how many messages: read, nothing applied."""
        try:
            with self.begin() as conn:
                out: dict[str, Any] = {
                    "schema_version": migrations.schema_version(conn),
                    "schema_latest": migrations.SCHEMA_VERSION,
                    "migrations_pending": migrations.pending_steps(conn),
                    "migrations_unknown": migrations.unknown_steps(conn),
                }
            # A store never opened has no tables yet: it holds no messages.
            out["messages"] = self.count_messages() if out["schema_version"] else 0
            current = out["schema_version"] and not out["migrations_pending"]
            back_to = self.analysed_back_to() if current else None
            out["analysed_back_to"] = back_to.strftime("%Y-%m") if back_to else None
        except SQLAlchemyError as e:
            where = self.engine.url.render_as_string(hide_password=True)
            raise StoreError(
                f"Cannot open the database {where}: {e.args[0] if e.args else e}"
            ) from e
        return out


def _wal(cur: Any) -> None:
    """Switch to WAL. Two processes opening a new file at once can get "database is
    locked" here without the busy handler being asked (SQLite does not wait on every
    lock the switch takes), so the switch is retried for as long as busy_timeout."""
    import sqlite3
    import time

    for attempt in range(100):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == 99:
                raise
            time.sleep(0.1)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # First: a second process waits up to 10 s for a writer's commit (switching to WAL on
    # a new file needs the lock too) instead of failing at once with "database is locked".
    # followup.lock.BUSY_WAIT_S says the same in the message shown when that runs out.
    cur.execute("PRAGMA busy_timeout=10000")
    # WAL + NORMAL: a commit per batch stays cheap, a crash loses at most the
    # transaction in flight (FACTS.md), and readers never wait for the writer.
    _wal(cur)
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
