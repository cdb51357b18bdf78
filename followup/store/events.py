"""The calendar in the store: events with their attendees."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select

from connectors.records import EventRecord
from followup.store.base import StoreBase
from followup.store.handles import AT, EV, A


class CalendarStore(StoreBase):
    """Calendar events."""

    # -- calendar ------------------------------------------------------------------

    def replace_events(
        self, source: str, events: Iterable[EventRecord], start: datetime, end: datetime
    ) -> int:
        """Replace the source's events in [start, end) with ``events`` (one transaction)."""
        evs = list(events)
        with self.begin() as conn:
            old = select(EV.c.id).where(
                EV.c.source == source, EV.c.start >= start, EV.c.start < end
            )
            conn.execute(delete(AT).where(AT.c.event_pk.in_(old)))
            conn.execute(
                delete(EV).where(EV.c.source == source, EV.c.start >= start, EV.c.start < end)
            )
            for e in evs:
                pk = conn.execute(
                    self._insert(EV)
                    .values(
                        source=source,
                        calendar=e.calendar,
                        uid=e.uid,
                        summary=e.summary,
                        start=e.start,
                        end=e.end,
                        status=e.status,
                        organizer_email=e.organizer.email if e.organizer else None,
                        all_day=e.all_day,
                        location=e.location,
                    )
                    .on_conflict_do_update(
                        index_elements=["source", "calendar", "uid"],
                        set_={
                            "summary": e.summary,
                            "start": e.start,
                            "end": e.end,
                            "status": e.status,
                        },
                    )
                    .returning(EV.c.id)
                ).scalar_one()
                conn.execute(delete(AT).where(AT.c.event_pk == pk))
                att = {
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
                if e.organizer and e.organizer.email and e.organizer.email not in att:
                    att[e.organizer.email] = {
                        "event_pk": pk,
                        "email": e.organizer.email,
                        "name": e.organizer.name,
                        "status": "accepted",
                        "organizer": True,
                    }
                if att:
                    conn.execute(AT.insert(), list(att.values()))
                names = [(a["email"], a["name"]) for a in att.values()]
                if names:
                    conn.execute(
                        self._insert(A).on_conflict_do_nothing(index_elements=["email"]),
                        [{"email": em, "name": nm} for em, nm in names],
                    )
        return len(evs)
