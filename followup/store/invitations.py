"""Invitations that came by mail, written as events of the mail source.

A request (re)writes the meeting's occurrences, keeping the answers already known; a
cancel marks them cancelled; a reply records the attendee's answer (and, arriving before
the request it answers, stands in for the meeting until that comes). Written in the
transaction of the mail batch that carried them, so a crash loses neither.
Within a batch, invitations are applied in SEQUENCE order, then by the mail's date.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from connectors.records import INVITATIONS_CALENDAR as CALENDAR
from connectors.records import EventRecord, Invitation, MailRecord
from followup.store.handles import AT, EV, A

if TYPE_CHECKING:
    from followup.store.base import StoreBase


def write_invitations(
    store: StoreBase, conn: Connection, source: str, records: Sequence[MailRecord]
) -> int:
    """Apply the batch's invitations in the caller's transaction; returns how many."""
    found = [(r.invitation, r.date) for r in records if r.invitation is not None]
    if not found:
        return 0
    found.sort(key=lambda pair: (pair[0].sequence, pair[1]))
    from followup.store.privacy import _read_screen  # privacy imports the store

    screen = _read_screen(conn)
    for inv, date in found:
        if not screen.empty:  # forgotten people and purged dates, as for calendars
            inv = dataclasses.replace(
                inv,
                events=tuple(screen.screen_events(inv.events)),
                responses=tuple(
                    a for a in inv.responses if not screen._forgotten_for(a.address.email, date)
                ),
            )
        if inv.method == "request":
            _request(store, conn, source, inv)
        elif inv.method == "cancel":
            _cancel(conn, source, inv)
        else:
            _reply(store, conn, source, inv)
    return len(found)


def _stored(conn: Connection, source: str, inv: Invitation) -> dict[str, int]:
    """{occurrence uid: event pk} of the stored occurrences ``inv`` is about."""
    q = select(EV.c.uid, EV.c.id).where(
        EV.c.source == source,
        EV.c.calendar == CALENDAR,
        EV.c.uid.startswith(inv.uid + "@", autoescape=True),
    )
    rows: dict[str, int] = {str(u): int(pk) for u, pk in conn.execute(q)}
    if inv.whole_series:
        return rows
    wanted = {e.uid for e in inv.events}
    return {uid: pk for uid, pk in rows.items() if uid in wanted}


def _request(store: StoreBase, conn: Connection, source: str, inv: Invitation) -> None:
    stored = _stored(conn, source, inv)
    known: dict[str, str] = {}  # answers already given survive an updated request
    if stored:
        pks = list(stored.values())
        for email, status in conn.execute(
            select(AT.c.email, AT.c.status).where(
                AT.c.event_pk.in_(pks), AT.c.status != "needs-action"
            )
        ):
            known[email] = status
        conn.execute(delete(AT).where(AT.c.event_pk.in_(pks)))
        conn.execute(delete(EV).where(EV.c.id.in_(pks)))
    for e in inv.events:
        _insert_event(store, conn, source, e, known)


def _cancel(conn: Connection, source: str, inv: Invitation) -> None:
    pks = list(_stored(conn, source, inv).values())
    if pks:
        conn.execute(update(EV).where(EV.c.id.in_(pks)).values(status="cancelled"))


def _reply(store: StoreBase, conn: Connection, source: str, inv: Invitation) -> None:
    stored = _stored(conn, source, inv)
    if not stored:
        # The answer came before the invitation (another folder synced first).
        answers = {a.address.email: a.status for a in inv.responses}
        for e in inv.events:
            _insert_event(store, conn, source, e, answers)
        return
    for a in inv.responses:
        for pk in stored.values():
            row = {
                "event_pk": pk,
                "email": a.address.email,
                "name": a.address.name,
                "status": a.status,
                "organizer": False,
            }
            stmt = store._insert(AT).values(**row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["event_pk", "email"], set_={"status": a.status}
                )
            )


def _insert_event(
    store: StoreBase, conn: Connection, source: str, e: EventRecord, known: dict[str, str]
) -> None:
    values = {
        "source": source,
        "calendar": CALENDAR,
        "uid": e.uid,
        "summary": e.summary,
        "start": e.start,
        "end": e.end,
        "status": e.status,
        "organizer_email": e.organizer.email if e.organizer else None,
        "all_day": e.all_day,
        "location": e.location,
    }
    stmt = store._insert(EV).values(**values)
    pk = conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["source", "calendar", "uid"],
            set_={k: v for k, v in values.items() if k not in ("source", "calendar", "uid")},
        ).returning(EV.c.id)
    ).scalar_one()
    conn.execute(delete(AT).where(AT.c.event_pk == pk))
    rows = _attendee_rows(pk, e, known)
    if rows:
        conn.execute(AT.insert(), rows)
        conn.execute(
            store._insert(A).on_conflict_do_nothing(index_elements=["email"]),
            [{"email": r["email"], "name": r["name"]} for r in rows],
        )


def _attendee_rows(pk: int, e: EventRecord, known: dict[str, str]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    people: Iterable[tuple[str, str, str, bool]] = (
        (a.address.email, a.address.name, a.status, a.organizer) for a in e.attendees
    )
    for email, name, status, organizer in people:
        if not email:
            continue
        if status == "needs-action":
            status = known.get(email, status)
        rows[email] = {
            "event_pk": pk,
            "email": email,
            "name": name,
            "status": status,
            "organizer": organizer,
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
