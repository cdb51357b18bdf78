"""A look at a SQLite store through the stdlib driver, before SQLAlchemy is imported.

The quiet run (followup/quiet_run.py) reads from here whether a ``run`` has anything to
do: importing SQLAlchemy and SQLModel costs more than everything else such a run does.
Each query mirrors a Store method, named beside it, with the same SQL meaning (the
datetimes as SQLAlchemy's SQLite dialect writes them); tests/store/test_glance.py
checks that both answer alike on stores in many states. Anything unexpected (a table
missing, a locked file) raises ``sqlite3.Error``, and the caller takes the normal path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Every schema step this followup knows (migrations.STEPS's names; a test checks).
STEP_NAMES = (
    "0001_initial",
    "0002_digest_replies",
    "0003_drop_unused_message_indexes",
    "0004_reanalysis",
    "0005_nudge_facts",
    "0006_calendar_checkpoints_and_web_links",
    "0007_plan_inputs",
    "0008_message_lookup_indexes",
)
# The tables whose changes the plan_inputs counter sees (history.V0007_PLANNED_TABLES).
PLANNED_TABLES = ("message", "participant", "finding", "event", "attendee", "person", "address")
TRIGGERS = frozenset(
    f"plan_inputs_{table}_{op}"
    for table in (*PLANNED_TABLES, "nudge")
    for op in ("insert", "update", "delete")
)
# Dismissals of one kind for one person that stop the pair (store.learning).
STOP_AFTER = 2
# What SQLite's busy handler waits for another writer, as store.py's busy_timeout.
BUSY_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class PlanStamp:
    version: int  # the counter read before the plan loaded the state
    fingerprint: str  # its settings and decisions (followup.plan_reuse.fingerprint)
    planned_at: datetime  # the plan's ``now``


def sql_time(dt: datetime) -> str:
    """An aware datetime as the store keeps it in SQLite: naive UTC text (tables.py's
    UTCDateTime through SQLAlchemy's SQLite DateTime, which always writes microseconds)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class Glance:
    """Reads over one connection; ``read()`` holds one snapshot for all of them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[object, ...] | None:
        row: tuple[object, ...] | None = self.conn.execute(sql, params).fetchone()
        return row

    def _count(self, sql: str, params: Sequence[object] = ()) -> int:
        row = self._one(sql, params)
        return int(row[0]) if row is not None else 0  # type: ignore[call-overload]

    @contextmanager
    def read(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    def is_wal(self) -> bool:
        row = self._one("PRAGMA journal_mode")
        return row is not None and str(row[0]).lower() == "wal"

    def schema_current(self) -> bool:
        """Every known step applied and none unknown (Store.open migrates nothing)."""
        if not self._count("SELECT count(*) FROM sqlite_master WHERE name = 'migration'"):
            return False
        names = {str(n) for (n,) in self.conn.execute("SELECT name FROM migration")}
        return names == set(STEP_NAMES)

    def plan_stamp(self) -> tuple[int, PlanStamp] | None:
        """The counter now and the last plan's stamp, where both are kept and the nudges
        are as that plan left them (plan_inputs.last_stamp); else None."""
        names = {str(n) for (n,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )}  # fmt: skip
        if not names >= TRIGGERS:
            return None
        row = self._one(
            "SELECT version, planned_version, fingerprint, planned_at, nudges_version, "
            "planned_nudges_version FROM plan_inputs WHERE id = 1"
        )
        if row is None:
            return None
        version, planned, fp, at, nudges, planned_nudges = row
        if planned is None or fp is None or at is None or planned_nudges != nudges:
            return None
        stamp = PlanStamp(int(planned), str(fp), parse_time(str(at)))  # type: ignore[call-overload]
        return int(version), stamp  # type: ignore[call-overload]

    def stopped_pairs(self) -> frozenset[tuple[str, str]]:
        """learning.stopped_pairs: (kind, person) pairs dismissed STOP_AFTER times."""
        rows = self.conn.execute(
            "SELECT kind, person_email FROM nudge WHERE state = 'dismissed' "
            "AND person_email IS NOT NULL GROUP BY kind, person_email HAVING count(*) >= ?",
            (STOP_AFTER,),
        )
        return frozenset((str(k), str(p)) for k, p in rows)

    def has_unthreaded(self) -> bool:
        """ThreadStore.has_unthreaded."""
        return self._one("SELECT id FROM message WHERE thread_id IS NULL LIMIT 1") is not None

    def pending_analysis(self, since: datetime | None = None) -> int:
        """AnalysisStore.count_pending_analysis."""
        sql = "SELECT count(*) FROM message WHERE analysed IS 0 AND automated IS NULL"
        if since is None:
            return self._count(sql)
        return self._count(sql + " AND date >= ?", (sql_time(since),))

    def stale_analysis(self, analysed_by: str, since: datetime) -> int:
        """AnalysisStore.count_stale_analysis."""
        return self._count(
            "SELECT count(*) FROM message WHERE analysed IS 1 AND automated IS NULL "
            "AND date >= ? AND (analysed_by IS NULL OR analysed_by != ?)",
            (sql_time(since), analysed_by),
        )

    def any_unjudged(self, analysed_by: str, judged_by: str) -> bool:
        """Whether AnalysisStore.unjudged has any message to give."""
        return (
            self._one(
                "SELECT id FROM message WHERE analysed_by = ? "
                "AND (judged_by IS NULL OR judged_by != ?) LIMIT 1",
                (analysed_by, judged_by),
            )
            is not None
        )

    def checkpoints(self, source: str) -> dict[str, str]:
        """MailStore.checkpoints."""
        rows = self.conn.execute("SELECT folder, state FROM checkpoint WHERE source = ?", (source,))
        return {str(f): str(s) for f, s in rows}

    def may_hold_replies(self, statuses: Sequence[str], since: datetime) -> bool:
        """Whether any stored message may be a reply to a digest created since ``since``
        that is not applied yet: a superset of what digest.replies.find_replies finds
        (any sender; the same LIKE on References), so False means it finds none."""
        marks = ", ".join("?" * len(statuses))
        digests = {
            str(m): str(c)
            for m, c in self.conn.execute(
                f"SELECT message_id, created_at FROM digest WHERE status IN ({marks}) "
                "AND created_at >= ?",
                (*statuses, sql_time(since)),
            )
        }
        if not digests:
            return False
        ids = sorted(digests)
        in_ids = ", ".join("?" * len(ids))
        refs = " OR ".join("refs LIKE '%' || ? || '%'" for _ in ids)
        rows = self.conn.execute(
            f"SELECT message_id FROM message WHERE date >= ? "
            f"AND (in_reply_to IN ({in_ids}) OR {refs})",
            (min(digests.values()), *ids, *ids),
        )
        found = {str(m) for (m,) in rows} - set(digests)
        if not found:
            return False
        applied = {str(m) for (m,) in self.conn.execute("SELECT message_id FROM digest_reply")}
        return bool(found - applied)

    def open_nudges(self, now: datetime) -> int:
        """len(nudges.list_nudges(store, now)): open, and snoozed until ``now`` or before."""
        return self._count(
            "SELECT count(*) FROM nudge WHERE state = 'open' OR (state = 'snoozed' "
            "AND snoozed_until IS NOT NULL AND snoozed_until <= ?)",
            (sql_time(now),),
        )

    def touch_sources(self, sources: Sequence[tuple[str, str]], now: datetime) -> None:
        """MailStore.touch_source for each (name, kind): synced at ``now``, no error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany(
                "INSERT INTO source (name, kind, last_sync, last_error) VALUES (?, ?, ?, NULL) "
                "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, "
                "last_sync = excluded.last_sync, last_error = NULL",
                [(name, kind, sql_time(now)) for name, kind in sources],
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")


@contextmanager
def glance(path: Path) -> Iterator[Glance]:
    """The store at ``path`` (which must exist), with store.py's pragmas."""
    uri = f"{path.resolve().as_uri()}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        yield Glance(conn)
    finally:
        conn.close()
