"""Schema migrations: named functions applied in order, each recorded once.

A fresh database and an old one end in the same schema. Add new steps at the end;
never edit one that has shipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Connection, inspect, select
from sqlmodel import SQLModel

from followup.store import tables

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2


def _initial(conn: Connection) -> None:
    """Release 0.1: every table of tables.py as first shipped."""
    SQLModel.metadata.create_all(conn)


def _digest_replies(conn: Connection) -> None:
    """Replies to the digest whose commands were applied (reply commands)."""
    tables.DigestReply.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial", _initial),
    ("0002_digest_replies", _digest_replies),
]


def apply_migrations(conn: Connection) -> list[str]:
    """Apply pending migrations inside the caller's transaction; returns their names."""
    tables.Migration.__table__.create(conn, checkfirst=True)  # type: ignore[attr-defined]
    done = set(conn.execute(select(tables.Migration.__table__.c.name)).scalars())  # type: ignore[attr-defined]
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        logger.info("Applying database migration %s", name)
        step(conn)
        conn.execute(
            tables.Migration.__table__.insert().values(name=name, applied_at=datetime.now(UTC))  # type: ignore[attr-defined]
        )
        applied.append(name)
    return applied


def schema_version(conn: Connection) -> int:
    if not inspect(conn).has_table("migration"):
        return 0
    names = set(conn.execute(select(tables.Migration.__table__.c.name)).scalars())  # type: ignore[attr-defined]
    return sum(1 for name, _ in MIGRATIONS if name in names)
