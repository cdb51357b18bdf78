"""What every part of the Store shares: the engine, transactions, the dialect's upsert."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine


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
