"""Schema migrations: named steps applied in order, each in its own locked transaction.

A fresh database runs every step from 0001; an old one runs the steps it has not
recorded in the ``migration`` table. Both end in the schema tables.py declares
(tests/store/test_migrations.py compares them with SQLAlchemy's inspector, on SQLite
and PostgreSQL, and fails when tables.py changes without a step).

Concurrency: two processes opening one fresh database must not both migrate. Each
step's transaction first takes a database-wide lock, then re-reads what is applied:
``pg_advisory_xact_lock`` on PostgreSQL (released at commit), ``BEGIN IMMEDIATE`` on
SQLite (the write lock, waited for under a busy timeout). A store already up to date
is checked with one read and no lock, so everyday commands never queue behind a sync.

Adding a step (a schema change):

1. Change the table in tables.py.
2. Write the step below as a function of the open ``Connection`` doing only that
   change, in plain DDL or Core on its own ``MetaData`` (never the live tables.py
   classes: they change later, a step must not). A NOT NULL column needs a server
   default, or old rows cannot take it. For example::

       def _0004_message_pipeline(conn: Connection) -> None:
           \"\"\"Which pipeline analysed each message (re-analysis when it changes).\"\"\"
           conn.execute(text(
               "ALTER TABLE message ADD COLUMN pipeline VARCHAR NOT NULL DEFAULT ''"
           ))

   and in tables.py ``pipeline: str = Field(default="", sa_column_kwargs=
   {"server_default": ""})``. SQLite can ADD and DROP COLUMN and RENAME; anything
   else (a type, a constraint) is its table rebuild: create ``new_x``, copy, drop,
   rename, with ``PRAGMA defer_foreign_keys = ON`` (``foreign_keys`` cannot change
   inside a transaction).
3. Append ``Step("0004_message_pipeline", _0004_message_pipeline)`` to STEPS. The
   schema version is the number of steps; never edit, reorder or remove a step that
   has shipped.
4. Run tests/store/test_migrations.py: it builds every earlier schema with rows in it,
   upgrades it and compares it with a fresh database and with tables.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, inspect, select, text

from followup.store import history

logger = logging.getLogger(__name__)

# "followup" in ASCII: the advisory lock that serialises migrations on PostgreSQL
# (advisory locks are per database, so other databases of the cluster are unaffected).
PG_LOCK_KEY = 0x666F6C6C6F777570
# How long a second SQLite process waits for the first one's migration (ms).
SQLITE_LOCK_WAIT_MS = 120_000


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    apply: Callable[[Connection], None]


def _0001_initial(conn: Connection) -> None:
    """followup 0.1.0: every table as first shipped.

    ``checkfirst``: 0.1.0's own migration ran its DDL outside a transaction on SQLite,
    so a store killed there can hold some of these tables without the step recorded.
    """
    history.V0001.create_all(conn, checkfirst=True)


def _0002_digest_replies(conn: Connection) -> None:
    """Replies to the digest whose commands were applied (reply commands)."""
    history.V0002.create_all(conn, checkfirst=True)


def _0003_drop_unused_message_indexes(conn: Connection) -> None:
    """Three message indexes no query used (each cost every insert); gone from tables.py
    since 0.1.0 without a step, so stores made since then never had them."""
    for name in history.V0003_DROPPED_INDEXES:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))


def _0004_reanalysis(conn: Connection) -> None:
    """Which pipeline analysed each message and which thresholds judged its findings;
    every finding kept with its scores, firm or not (re-analysis, re-judging)."""
    for column in history.V0004_MESSAGE_COLUMNS:
        conn.execute(text(f"ALTER TABLE message ADD COLUMN {column}"))
    conn.execute(
        text("UPDATE message SET analysed_by = :unknown WHERE analysed = :yes"),
        {"unknown": history.V0004_UNKNOWN_PIPELINE, "yes": True},
    )
    # Every finding stored before was a firm one.
    default = "1" if conn.dialect.name == "sqlite" else "true"
    conn.execute(text(f"ALTER TABLE finding ADD COLUMN firm BOOLEAN NOT NULL DEFAULT {default}"))
    for column in history.V0004_FINDING_COLUMNS:
        conn.execute(text(f"ALTER TABLE finding ADD COLUMN {column}"))


def _0005_nudge_facts(conn: Connection) -> None:
    """Nudges keep facts, worded when shown; the words each nudge was stored with so
    far become its facts, so it still reads as it did (the payload is left as it was)."""
    conn.execute(text(f"ALTER TABLE nudge ADD COLUMN {history.V0005_NUDGE_COLUMN}"))
    rows = conn.execute(text("SELECT key, payload FROM nudge")).all()
    for key, payload in rows:
        try:
            old = json.loads(payload)
        except ValueError:
            old = {}
        if not isinstance(old, dict):
            old = {}
        facts = {
            "kind": history.V0005_WORDS_KIND,
            "title": str(old.get("title") or ""),
            "reason": str(old.get("reason") or ""),
        }
        conn.execute(
            text("UPDATE nudge SET facts = :facts WHERE key = :key"),
            {"facts": json.dumps(facts, sort_keys=True), "key": key},
        )


def _0006_calendar_checkpoints_and_web_links(conn: Connection) -> None:
    """Calendars sync incrementally with a checkpoint each; a message keeps the web link
    its source gave (the Gmail links the rules built before, for mail already stored)."""
    history.V0006.create_all(conn, checkfirst=True)
    for column in history.V0006_MESSAGE_COLUMNS:
        conn.execute(text(f"ALTER TABLE message ADD COLUMN {column}"))
    conn.execute(
        text(
            "UPDATE message SET web_link = :prefix || gmail_thread_id "
            "WHERE gmail_thread_id IS NOT NULL AND gmail_thread_id <> ''"
        ),
        {"prefix": history.V0006_GMAIL_LINK},
    )


def _0007_plan_inputs(conn: Connection) -> None:
    """A counter of changes to what planning reads, kept by triggers on SQLite (one
    process, the store on the user's machine); a run whose inputs did not change reuses
    the last plan (followup.plan_reuse). PostgreSQL keeps no counter: one row bumped by
    every writer of a shared store would serialise them all."""
    history.V0007.create_all(conn, checkfirst=True)
    conn.execute(text("INSERT INTO plan_inputs (id, version) VALUES (1, 0)"))
    if conn.dialect.name != "sqlite":
        return
    counted = [(t, "version") for t in history.V0007_PLANNED_TABLES]
    for table, counter in [*counted, ("nudge", "nudges_version")]:
        for op in ("insert", "update", "delete"):
            conn.execute(
                text(
                    f"CREATE TRIGGER plan_inputs_{table}_{op} AFTER {op.upper()} ON {table} "
                    f"BEGIN UPDATE plan_inputs SET {counter} = {counter} + 1 WHERE id = 1; END"
                )
            )


def _0008_message_lookup_indexes(conn: Connection) -> None:
    """Indexes for what every run asks of the whole mailbox; without them each question
    read every message row, its excerpt too (50 ms a question at 100k messages)."""
    for name, columns in history.V0008_MESSAGE_INDEXES:
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON message ({', '.join(columns)})"))


STEPS: tuple[Step, ...] = (
    Step("0001_initial", _0001_initial),
    Step("0002_digest_replies", _0002_digest_replies),
    Step("0003_drop_unused_message_indexes", _0003_drop_unused_message_indexes),
    Step("0004_reanalysis", _0004_reanalysis),
    Step("0005_nudge_facts", _0005_nudge_facts),
    Step("0006_calendar_checkpoints_and_web_links", _0006_calendar_checkpoints_and_web_links),
    Step("0007_plan_inputs", _0007_plan_inputs),
    Step("0008_message_lookup_indexes", _0008_message_lookup_indexes),
)

SCHEMA_VERSION = len(STEPS)


def recorded_steps(conn: Connection) -> set[str]:
    """The names in the ``migration`` table (none when there is no table yet)."""
    if not inspect(conn).has_table(history.MIGRATION.name):
        return set()
    return set(conn.execute(select(history.MIGRATION.c.name)).scalars())


def pending_steps(conn: Connection) -> list[str]:
    """Known steps not yet applied, in the order they will run."""
    done = recorded_steps(conn)
    return [s.name for s in STEPS if s.name not in done]


def unknown_steps(conn: Connection) -> list[str]:
    """Steps recorded that this followup does not know: a newer one upgraded the store."""
    known = {s.name for s in STEPS}
    return sorted(recorded_steps(conn) - known)


def schema_version(conn: Connection) -> int:
    """How many of the known steps the database has (SCHEMA_VERSION when up to date)."""
    done = recorded_steps(conn)
    return sum(1 for s in STEPS if s.name in done)


def migrate(engine: Engine) -> list[str]:
    """Apply the pending steps, each in its own transaction under the database-wide
    lock; returns the names this process applied (another process may apply some)."""
    with engine.connect() as conn:
        if not pending_steps(conn):
            return []
    applied: list[str] = []
    while True:
        with locked_transaction(engine) as conn:
            history.MIGRATION.create(conn, checkfirst=True)
            pending = pending_steps(conn)
            if not pending:
                return applied
            step = next(s for s in STEPS if s.name == pending[0])
            logger.info("Applying database migration %s", step.name)
            step.apply(conn)
            conn.execute(history.MIGRATION.insert().values(name=step.name, applied_at=_now()))
        applied.append(step.name)


@contextmanager
def locked_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the database-wide migration lock from its start."""
    if engine.dialect.name == "sqlite":
        with _sqlite_immediate(engine) as conn:
            yield conn
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        yield conn


@contextmanager
def _sqlite_immediate(engine: Engine) -> Iterator[Connection]:
    """BEGIN IMMEDIATE, by hand: pysqlite's own transaction handling would start the
    transaction late (at the first INSERT, after the DDL has run outside it) and as
    DEFERRED (no write lock). So the driver is put in autocommit for this connection
    (SQLAlchemy restores it when the connection goes back to the pool) and the
    transaction is ours."""
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        dbapi = conn.connection.driver_connection
        assert dbapi is not None
        (before,) = dbapi.execute("PRAGMA busy_timeout").fetchone()
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_LOCK_WAIT_MS}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if dbapi.in_transaction:
                    conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(before)}")


def _now() -> datetime:
    return datetime.now(UTC)
