"""What the last plan was made from, and whether what planning reads changed since.

Step 0007 keeps a counter (``plan_inputs.version``) that SQLite triggers bump on every
insert, update and delete in the tables planning reads (history.V0007_PLANNED_TABLES),
whoever writes: sync, analysis, threading, ``mute``, ``forget``, another process. The
plan records the counter it read before loading the state, in the transaction that
records its nudges, so a stamp never claims a change the stored nudges did not see;
it records the nudge table's own counter after writing them, so anything that changes
the nudges since (a decision, a delete by hand) makes the stamp stale too.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text, update

from followup.store.glance import TRIGGERS, PlanStamp
from followup.store.handles import PI
from followup.store.store import Store

__all__ = ["TRIGGERS", "PlanStamp", "inputs_version", "last_stamp", "record_stamp"]


def inputs_version(store: Store) -> int | None:
    """The change counter of what planning reads; None where none is kept (PostgreSQL,
    or a SQLite store missing any of the triggers): then every run plans."""
    if store.dialect != "sqlite":
        return None
    with store.begin() as conn:
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        if not {n for (n,) in names} >= TRIGGERS:
            return None
        row = conn.execute(select(PI.c.version).where(PI.c.id == 1)).first()
    return None if row is None else int(row[0])


def last_stamp(store: Store) -> tuple[int | None, PlanStamp | None]:
    """The counter now and the last plan's stamp (None if it recorded none)."""
    version = inputs_version(store)
    if version is None:
        return None, None
    with store.begin() as conn:
        row = conn.execute(
            select(
                PI.c.planned_version,
                PI.c.fingerprint,
                PI.c.planned_at,
                PI.c.nudges_version,
                PI.c.planned_nudges_version,
            ).where(PI.c.id == 1)
        ).first()
    if row is None or row.planned_version is None or row.fingerprint is None:
        return version, None
    if row.planned_at is None or row.planned_nudges_version != row.nudges_version:
        return version, None
    return version, PlanStamp(int(row.planned_version), row.fingerprint, row.planned_at)


def record_stamp(conn: Connection, stamp: PlanStamp | None) -> None:
    """Inside the transaction recording a plan: its stamp, or none (the plan's inputs
    are not tracked, so no later run may reuse it)."""
    conn.execute(
        update(PI)
        .where(PI.c.id == 1)
        .values(
            planned_version=stamp.version if stamp else None,
            fingerprint=stamp.fingerprint if stamp else None,
            planned_at=stamp.planned_at if stamp else None,
            # After the plan's own writes to the nudge table, in its transaction.
            planned_nudges_version=PI.c.nudges_version if stamp else None,
        )
    )
