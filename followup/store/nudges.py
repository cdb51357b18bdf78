"""Nudge lifecycle in the store: plans upserted by key, user decisions kept.

- A planned nudge that is new gets the next short number (stable for its life).
- done / dismissed survive reruns; snoozed returns to open when its time has come.
- An open nudge the rules no longer produce is closed (the thread was answered, the
  meeting got its follow-up...), and reopens if the rules produce it again. A snoozed
  one closed that way keeps its date: back before it, it is snoozed until then.

Several processes may write nudges at once (``digest`` while ``run`` plans, ``done``
during a cycle, two machines on one PostgreSQL). Every write to the table runs in a
transaction that first takes the store's nudge lock (SQLite: BEGIN IMMEDIATE, the one
writer; PostgreSQL: a transaction-level advisory lock), so numbers are allocated from
what is committed, and a plan never overwrites a decision made while it was computed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from followup.errors import StoreError, UserError
from followup.lock import BUSY_WAIT_S, busy_error, is_busy
from followup.nudges import (
    KIND_ORDER,
    Nudge,
    OpenNudge,
    facts_to_dict,
    nudge_from_dict,
    nudge_to_dict,
)
from followup.store.chunks import chunks
from followup.store.handles import N
from followup.store.plan_inputs import PlanStamp, record_stamp
from followup.store.store import Store

logger = logging.getLogger(__name__)

# The PostgreSQL advisory lock of the nudge table (any constant, the same everywhere).
NUDGE_LOCK_KEY = 0x4E75646765  # "Nudge"
ATTEMPTS = 3


@contextmanager
def nudge_transaction(store: Store) -> Iterator[Connection]:
    """A transaction holding the nudge lock from its first statement: its reads see every
    committed write and no other nudge writer runs until it commits."""
    with store.begin() as conn:
        try:
            if store.dialect == "sqlite":
                # pysqlite would begin only at the first write, after the reads: take
                # the write lock first (waits up to busy_timeout for another writer).
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif store.dialect == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{BUSY_WAIT_S}s'")
                conn.execute(select(func.pg_advisory_xact_lock(NUDGE_LOCK_KEY)))
        except OperationalError as e:
            if is_busy(e):
                raise busy_error(BUSY_WAIT_S) from None
            raise
        yield conn


@dataclass(frozen=True, slots=True)
class PlanResult:
    new: int
    updated: int
    closed: int
    reopened: int  # closed nudges planned again (open again, or snoozed to their date)


def apply_plan(
    store: Store, nudges: Sequence[Nudge], now: datetime, stamp: PlanStamp | None = None
) -> PlanResult:
    """Upsert the planned nudges and close those no longer planned, in one transaction,
    with the plan's ``stamp`` (none: no later run may reuse this plan; plan_inputs.py).

    Under the nudge lock a conflict cannot happen between followup processes of this
    version; should one come anyway (an older version writing the same database), the
    whole transaction is rolled back and run again on what is committed by then."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _apply_plan_once(store, nudges, now, stamp)
        except IntegrityError:
            # The exception's text carries the SQL parameters (mail text): not shown.
            logger.warning("Recording the plan conflicted with another writer (try %d)", attempt)
    raise StoreError(
        f"Could not record the nudges: another process kept writing them ({ATTEMPTS} tries)"
    )


def _apply_plan_once(
    store: Store, nudges: Sequence[Nudge], now: datetime, stamp: PlanStamp | None
) -> PlanResult:
    planned = {n.key: n for n in nudges}
    new = updated = closed = reopened = 0
    with nudge_transaction(store) as conn:
        rows = {r.key: r for r in conn.execute(select(N.c.key, N.c.state, N.c.snoozed_until))}
        next_no = int(conn.execute(select(func.coalesce(func.max(N.c.number), 0))).scalar_one()) + 1
        inserts: list[dict[str, object]] = []
        plain: list[dict[str, object]] = []  # the words and last_seen only: most rows
        for key, n in planned.items():
            payload = json.dumps(nudge_to_dict(n), sort_keys=True)
            facts = json.dumps(facts_to_dict(n.facts), sort_keys=True)
            row = rows.get(key)
            if row is None:
                inserts.append(
                    {
                        "key": key,
                        "number": next_no,
                        "kind": n.kind,
                        "person_email": n.person.email if n.person else None,
                        "payload": payload,
                        "facts": facts,
                        "state": "open",
                        "first_seen": now,
                        "last_seen": now,
                    }
                )
                next_no += 1
                new += 1
                continue
            updated += 1
            values: dict[str, object] = {"payload": payload, "facts": facts, "last_seen": now}
            if row.state == "closed":
                # Closed while snoozed (the row keeps the date): the snooze still holds.
                snoozed = row.snoozed_until is not None and row.snoozed_until > now
                values.update(
                    state="snoozed" if snoozed else "open",
                    closed_at=None,
                    snoozed_until=row.snoozed_until if snoozed else None,
                )
                reopened += 1
            elif row.state == "snoozed" and row.snoozed_until and row.snoozed_until <= now:
                values.update(state="open", snoozed_until=None)
            else:
                plain.append({"b_key": key, "b_payload": payload, "b_facts": facts})
                continue
            conn.execute(update(N).where(N.c.key == key).values(**values))
        # One statement each for the new rows and the plain updates (executemany): a
        # statement per nudge was a quarter of a plan at 2,500 nudges.
        if inserts:
            conn.execute(N.insert(), inserts)
        if plain:
            stmt = (
                update(N)
                .where(N.c.key == bindparam("b_key"))
                .values(payload=bindparam("b_payload"), facts=bindparam("b_facts"), last_seen=now)
            )
            conn.execute(stmt, plain)
        stale = [k for k, r in rows.items() if k not in planned and r.state in ("open", "snoozed")]
        for chunk in chunks(stale):
            conn.execute(update(N).where(N.c.key.in_(chunk)).values(state="closed", closed_at=now))
        closed = len(stale)
        record_stamp(conn, stamp)
    return PlanResult(new=new, updated=updated, closed=closed, reopened=reopened)


def _nudge(payload: str, facts: str | None) -> Nudge:
    """The stored nudge; unreadable facts fall back to the payload's words (if any)."""
    try:
        parsed = json.loads(facts) if facts else None
    except ValueError:
        parsed = None
    return nudge_from_dict(json.loads(payload), parsed)


def list_nudges(
    store: Store,
    now: datetime,
    *,
    states: Sequence[str] = ("open",),
    include_due_snoozed: bool = True,
) -> list[OpenNudge]:
    """Nudges in the given states, most urgent first. A snooze whose time has come shows
    as open even before the next plan."""
    with store.begin() as conn:
        rows = conn.execute(select(N)).all()
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    out = []
    for r in rows:
        state = r.state
        if (
            state == "snoozed"
            and include_due_snoozed
            and r.snoozed_until
            and r.snoozed_until <= now
        ):
            state = "open"
        if state not in states:
            continue
        out.append(
            OpenNudge(
                number=r.number,
                nudge=_nudge(r.payload, r.facts),
                state=state,
                first_seen=r.first_seen,
                snoozed_until=r.snoozed_until,
            )
        )
    out.sort(key=lambda o: (order.get(o.nudge.kind, 99), -o.nudge.score, o.nudge.key))
    return out


def count_open(store: Store, now: datetime) -> int:
    """``len(list_nudges(store, now))`` without reading the nudges: open, and snoozed
    until ``now`` or before (a run's summary line; 2,500 nudges read took 80 ms)."""
    due = (N.c.state == "snoozed") & N.c.snoozed_until.is_not(None) & (N.c.snoozed_until <= now)
    with store.begin() as conn:
        q = select(func.count()).select_from(N).where((N.c.state == "open") | due)
        return int(conn.execute(q).scalar_one())


def planned_at(store: Store, when: datetime) -> list[Nudge]:
    """The nudges the plan at ``when`` recorded (their last_seen), closed ones aside."""
    with store.begin() as conn:
        rows = conn.execute(
            select(N.c.payload, N.c.facts).where(N.c.last_seen == when, N.c.state != "closed")
        ).all()
    return [_nudge(r.payload, r.facts) for r in rows]


def set_state(store: Store, ref: str, state: str, *, until: datetime | None = None) -> OpenNudge:
    """Mark nudge ``ref`` (its number or key) done / dismissed / snoozed / open."""
    with nudge_transaction(store) as conn:
        q = select(N)
        q = q.where(N.c.number == int(ref)) if ref.isdigit() else q.where(N.c.key == ref)
        row = conn.execute(q).first()
        if row is None:
            raise UserError(f"No nudge {ref}: 'followup digest' lists them with their numbers")
        conn.execute(update(N).where(N.c.key == row.key).values(state=state, snoozed_until=until))
    return OpenNudge(
        number=row.number,
        nudge=_nudge(row.payload, row.facts),
        state=state,  # type: ignore[arg-type]
        first_seen=row.first_seen,
        snoozed_until=until,
    )
