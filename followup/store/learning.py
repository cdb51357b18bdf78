"""Learning from the user: the same kind dismissed twice for one person stops that pair.

Derived from the user's own decisions in the nudge table (no state of its own): a pair
(kind, person) with ``STOP_AFTER`` dismissed nudges makes no more nudges of that kind
about that person. ``allow`` undoes it: the pair's dismissals are withdrawn (closed, so
what is still due comes back at the next plan) and the pair nudges again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from followup.store.glance import STOP_AFTER
from followup.store.handles import N
from followup.store.nudges import nudge_transaction
from followup.store.store import Store


def stopped_pairs(store: Store, email: str | None = None) -> dict[tuple[str, str], int]:
    """{(kind, person's address): dismissals} for every stopped pair (of ``email``)."""
    q = (
        select(N.c.kind, N.c.person_email, func.count())
        .where(N.c.state == "dismissed", N.c.person_email.is_not(None))
        .group_by(N.c.kind, N.c.person_email)
        .having(func.count() >= STOP_AFTER)
    )
    if email is not None:
        q = q.where(N.c.person_email == email)
    with store.begin() as conn:
        return {(kind, who): int(n) for kind, who, n in conn.execute(q)}


def allow(store: Store, email: str, kind: str | None, now: datetime) -> int:
    """Withdraw the dismissals that stopped ``email``'s pairs (one ``kind`` or all);
    returns how many dismissals were withdrawn."""
    stopped = [k for (k, who) in stopped_pairs(store, email) if kind in (None, k)]
    if not stopped:
        return 0
    with nudge_transaction(store) as conn:
        result = conn.execute(
            update(N)
            .where(N.c.state == "dismissed", N.c.person_email == email, N.c.kind.in_(stopped))
            .values(state="closed", closed_at=now)
        )
        return int(result.rowcount or 0)
