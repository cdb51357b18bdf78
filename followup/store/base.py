"""What every part of the Store shares: the engine, transactions, the dialect's upsert."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class StoreBase:
    """The engine and what the per-aggregate parts of ``Store`` build on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def _insert(self, table: Any) -> Any:
        # Both dialects' inserts offer on_conflict_do_update/do_nothing.
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)

    @contextmanager
    def session_lock(self, key: int, *, timeout: float) -> Iterator[bool]:
        """PostgreSQL: hold the session-level advisory lock ``key``, trying for up to
        ``timeout`` seconds; yields whether it is held. The server releases it when the
        connection drops (a killed process included)."""
        # A connection of its own, in autocommit: the lock belongs to the session, and no
        # transaction stays open (idle in transaction) for the length of the cycle.
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            deadline = time.monotonic() + timeout
            while not conn.execute(select(func.pg_try_advisory_lock(key))).scalar_one():
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.2)
            try:
                yield True
            finally:
                try:
                    conn.execute(select(func.pg_advisory_unlock(key)))
                except SQLAlchemyError:  # the connection is gone: so is the lock
                    logger.debug("The lock's connection was lost before unlocking")
