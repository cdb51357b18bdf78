"""Small read-only questions about the store's contents."""

from __future__ import annotations

from sqlalchemy import select

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
