"""Small read-only questions about the store's contents."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from followup.store import tables as t
from followup.store.store import Store

M = t.Message.__table__  # type: ignore[attr-defined]
EV = t.Event.__table__  # type: ignore[attr-defined]


def has_synced(store: Store) -> bool:
    """True once any message or event has been synced."""
    with store.begin() as conn:
        if conn.execute(select(M.c.id).limit(1)).first() is not None:
            return True
        return conn.execute(select(EV.c.id).limit(1)).first() is not None


def mail_span(store: Store) -> tuple[datetime, datetime] | None:
    """The dates of the oldest and the newest mail (automated included), or None."""
    with store.begin() as conn:
        first, last = conn.execute(select(func.min(M.c.date), func.max(M.c.date))).one()
    if first is None or last is None:
        return None
    return _utc(first), _utc(last)


def _utc(d: datetime) -> datetime:
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)
