"""Calendar sync in the store: a calendar's events and its checkpoint in one transaction.

A source yields ``EventBatch``es (``connectors.records``): a complete listing of a
window (``window`` set: what the store has of that calendar starting inside it and not
listed is gone) or incremental changes (upserts and removed occurrence uids). Either
way the batch's checkpoint is written in the same transaction, so a crash leaves the
calendar as it was at its last committed checkpoint, and the next sync goes on from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from connectors.records import INVITATIONS_CALENDAR as INVITATIONS
from connectors.records import EventBatch, EventRecord
from followup.store.chunks import chunks
from followup.store.handles import AT, CCP, EV, A
from followup.store.store import Store


@dataclass(frozen=True, slots=True)
class EventBatchResult:
    written: int  # occurrences inserted or updated
    removed: int  # occurrences deleted (listed as removed, or missing from a listing)


def calendar_checkpoints(store: Store, source: str) -> dict[str, str]:
    """``{calendar: checkpoint}`` of a calendar source, as its ``sync`` takes them."""
    with store.begin() as conn:
        rows = conn.execute(select(CCP.c.calendar, CCP.c.state).where(CCP.c.source == source))
        return dict(rows.all())


def write_event_batch(
    store: Store, source: str, batch: EventBatch, *, screened: Sequence[str] = ()
) -> EventBatchResult:
    """Apply one batch and write its checkpoint, in one transaction.

    ``screened`` are occurrence uids the privacy screen dropped from ``batch.events``:
    whatever the store holds of them goes too (an update that now names a forgotten
    person, an event now before the purge date).
    """
    with store.begin() as conn:
        removed = 0
        kept = {e.uid for e in batch.events}
        if batch.window is not None:
            start, end = batch.window
            stale = conn.execute(
                select(EV.c.id, EV.c.uid).where(
                    EV.c.source == source,
                    EV.c.calendar == batch.calendar,
                    EV.c.start >= start,
                    EV.c.start < end,
                )
            ).all()
            removed += _delete(conn, [pk for pk, uid in stale if uid not in kept])
        gone = [*batch.removed, *screened]
        for chunk in chunks(gone):
            pks = conn.execute(
                select(EV.c.id).where(
                    EV.c.source == source,
                    EV.c.calendar == batch.calendar,
                    EV.c.uid.in_(chunk),
                )
            ).scalars()
            removed += _delete(conn, list(pks))
        for e in batch.events:
            _upsert(conn, source, e)
        _write_checkpoint(conn, source, batch.calendar, batch.checkpoint)
    return EventBatchResult(len(batch.events), removed)


def drop_orphans(store: Store, source: str, start: datetime, end: datetime) -> int:
    """After a complete sync: delete the source's events in [start, end) of calendars
    that have no checkpoint (the source no longer has them). Only a store from before
    calendar checkpoints (0006) holds such events: its first sync lists what is there."""
    with store.begin() as conn:
        known = select(CCP.c.calendar).where(CCP.c.source == source)
        pks = conn.execute(
            select(EV.c.id).where(
                EV.c.source == source,
                EV.c.start >= start,
                EV.c.start < end,
                EV.c.calendar.not_in(known),
                # A mail source of the same name keeps the invitations it brought.
                EV.c.calendar != INVITATIONS,
            )
        ).scalars()
        return _delete(conn, list(pks))


def count_events(store: Store, source: str, start: datetime, end: datetime) -> int:
    """How many occurrences of ``source`` start in [start, end)."""
    with store.begin() as conn:
        n = conn.execute(
            select(func.count())
            .select_from(EV)
            .where(
                EV.c.source == source,
                EV.c.calendar != INVITATIONS,
                EV.c.start >= start,
                EV.c.start < end,
            )
        ).scalar_one()
    return int(n)


def _delete(conn: Connection, pks: list[int]) -> int:
    for chunk in chunks(pks):
        conn.execute(delete(AT).where(AT.c.event_pk.in_(chunk)))
        conn.execute(delete(EV).where(EV.c.id.in_(chunk)))
    return len(pks)


def _insert(conn: Connection, table: Any) -> Any:
    # Both dialects' inserts offer on_conflict_do_update/do_nothing.
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def _upsert(conn: Connection, source: str, e: EventRecord) -> None:
    """Insert or update one occurrence (every column: an incremental change may move
    it, rename it or change its organizer) and replace its attendees."""
    values = {
        "summary": e.summary,
        "start": e.start.astimezone(UTC),
        "end": e.end.astimezone(UTC),
        "status": e.status,
        "organizer_email": e.organizer.email if e.organizer else None,
        "all_day": e.all_day,
        "location": e.location,
    }
    pk = conn.execute(
        _insert(conn, EV)
        .values(source=source, calendar=e.calendar, uid=e.uid, **values)
        .on_conflict_do_update(index_elements=["source", "calendar", "uid"], set_=values)
        .returning(EV.c.id)
    ).scalar_one()
    conn.execute(delete(AT).where(AT.c.event_pk == pk))
    people = _attendees(pk, e)
    if people:
        conn.execute(AT.insert(), people)
        conn.execute(
            _insert(conn, A).on_conflict_do_nothing(index_elements=["email"]),
            [{"email": p["email"], "name": p["name"]} for p in people],
        )


def _attendees(pk: int, e: EventRecord) -> list[dict[str, Any]]:
    """One row per address; the organizer counts as an accepted attendee."""
    rows = {
        a.address.email: {
            "event_pk": pk,
            "email": a.address.email,
            "name": a.address.name,
            "status": a.status,
            "organizer": a.organizer,
        }
        for a in e.attendees
        if a.address.email
    }
    if e.organizer and e.organizer.email and e.organizer.email not in rows:
        rows[e.organizer.email] = {
            "event_pk": pk,
            "email": e.organizer.email,
            "name": e.organizer.name,
            "status": "accepted",
            "organizer": True,
        }
    return list(rows.values())


def _write_checkpoint(conn: Connection, source: str, calendar: str, state: str) -> None:
    """Upsert the calendar's checkpoint; an empty one (the calendar is gone) is deleted."""
    where = (CCP.c.source == source) & (CCP.c.calendar == calendar)
    if not state:
        conn.execute(delete(CCP).where(where))
        return
    stmt = _insert(conn, CCP).values(
        source=source, calendar=calendar, state=state, updated_at=datetime.now(UTC)
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source", "calendar"],
            set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
        )
    )


def screened_out(before: Iterable[EventRecord], after: Iterable[EventRecord]) -> list[str]:
    """The uids in ``before`` that the screen dropped (not in ``after``)."""
    kept = {e.uid for e in after}
    return [e.uid for e in before if e.uid not in kept]
