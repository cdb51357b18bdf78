"""Read the store into a PlanningState for the rules."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, String, case, func, select, type_coerce

from followup.people import clean_name
from followup.rules.restraint import (
    BROADCAST_RECIPIENTS,
    asks_removal,
    expects_answer,
    list_address,
    put_away,
)
from followup.state import Contact, Meeting, MeetingAttendee, Msg, PlanningState, Thread
from followup.store.chunks import chunks
from followup.store.handles import AT, EV, F, M, P
from followup.store.store import Store
from nlp.findings import Finding

# How far back relationships are read: a year of rhythm, plus the longest silence a
# reconnect nudge considers (rules.reconnect.MAX_SILENCE).
HISTORY = timedelta(days=730)
# A meeting with more people than this (besides me) is no relationship signal.
MEETING_SIGNAL_MAX = 15

# Where a message says whom it addresses: "Hi Penny," or "Penny - can you...".
OPENING_CHARS = 160
OWN_CHARS = 1000
TENTATIVE_SCORE = 0.5


def _stored_dates(conn: Connection) -> tuple[Any, Callable[[Any], datetime]]:
    """The message date column as stored, and its reading as aware UTC: on SQLite the
    text itself, read by datetime.fromisoformat (the column type's reading was a tenth
    of planning at 100k messages); elsewhere the column as it is."""
    if conn.dialect.name != "sqlite":
        return M.c.date, lambda d: d
    return type_coerce(M.c.date, String()), _utc_text


def _utc_text(stored: str) -> datetime:
    """UTCDateTime's reading of its SQLite text ("YYYY-MM-DD HH:MM:SS.ffffff", UTC)."""
    d = datetime.fromisoformat(stored)
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def load_state(
    store: Store,
    *,
    me: frozenset[str],
    domains: frozenset[str],
    now: datetime,
    window: timedelta,
    mute: frozenset[str] = frozenset(),
    important: frozenset[str] = frozenset(),
    my_name: str = "",
    history: History | None = None,
    threads_read: ThreadMail | None = None,
) -> PlanningState:
    """Threads active in the last ``window`` (whole threads), every contact's history,
    and meetings around ``now``. Nothing after ``now`` is loaded, so planning at a past
    ``now`` sees the store as it was then. ``history`` and ``threads_read``:
    ``load_history``'s and ``read_thread_mail``'s, read earlier in this run with the same
    ``me``, ``now``, ``window`` and ``my_name`` (else they are read here)."""
    flags = store.person_flags()
    names_raw = store.address_names()
    names = {e: clean_name(n, e) for e, n in names_raw.items()}
    with store.begin() as conn:
        mail = _thread_mail(conn, now, window, my_name) if threads_read is None else threads_read
        findings: dict[int, list[Finding]] = defaultdict(list)
        tentative: set[int] = set()
        for chunk in chunks([r.id for r in mail.rows]):
            # A tentative ask in my own mail still says I wait for an answer.
            tentative.update(
                pk
                for (pk,) in conn.execute(
                    select(F.c.message_pk).where(
                        F.c.message_pk.in_(chunk),
                        F.c.firm.is_(False),
                        F.c.kind.in_(["request", "commitment"]),
                        F.c.score >= TENTATIVE_SCORE,
                    )
                )
            )
            # Firm findings only: the others are kept for judging again, not for nudges.
            firm = select(F).where(F.c.message_pk.in_(chunk), F.c.firm.is_(True))
            for f in conn.execute(firm.order_by(F.c.id)):
                findings[f.message_pk].append(
                    Finding(
                        kind=f.kind,
                        text=f.text,
                        action=f.action,
                        owner=f.owner,
                        due=f.due,
                        due_text=f.due_text,
                        score=f.score,
                    )
                )

        by_thread: dict[int, dict[str, Msg]] = defaultdict(dict)
        by_content: dict[tuple[str, datetime, str, str], tuple[int, str]] = {}
        for r in mail.rows:
            names_me, asks_answer, removal = mail.reading[r.id]
            msg = Msg(
                pk=r.id,
                message_id=r.message_id,
                thread_id=r.thread_id,
                date=r.date,
                sender=r.from_email,
                sender_name=clean_name(r.from_name, r.from_email),
                from_me=bool(r.from_me),
                subject=r.subject,
                to=tuple(mail.recipients[r.id]["to"]),
                cc=tuple(mail.recipients[r.id]["cc"]),
                folder=r.folder,
                automated=r.automated,
                findings=tuple(findings.get(r.id, ())),
                gmail_thread_id=r.gmail_thread_id,
                web_link=r.web_link,
                names_me=names_me,
                expects_answer=bool(r.from_me) and (r.id in tentative or asks_answer),
                asks_removal=removal,
            )
            # The same message in two folders counts once, under different Message-IDs
            # too (sender, date, subject, opening); it counts as put away only when
            # every copy is, and the copy with findings speaks for it.
            content = (r.from_email, r.date, r.norm_subject, (r.opening or "")[:OPENING_CHARS])
            canonical = by_content.setdefault(content, (r.thread_id, msg.message_id))
            seen = by_thread[canonical[0]]
            prev = seen.get(canonical[1])
            if prev is None:
                seen[canonical[1]] = msg
                continue
            best = prev if prev.findings or not msg.findings else msg
            folder = prev.folder if not put_away(prev.folder) else msg.folder
            seen[canonical[1]] = replace(best, message_id=prev.message_id, folder=folder)
        threads = tuple(
            Thread(id=tid, messages=tuple(sorted(ms.values(), key=lambda m: (m.date, m.pk))))
            for tid, ms in sorted(by_thread.items())
        )

        if history is None:
            history = _history(conn, me, now)
        received, sent, last_subject = history.received, history.sent, history.last_subject

        meetings: list[Meeting] = []
        met: dict[str, set[datetime]] = defaultdict(set)
        one_on_one: dict[str, set[datetime]] = defaultdict(set)
        ev_rows = conn.execute(
            select(EV)
            .where(EV.c.start <= now + timedelta(days=8), EV.c.start >= now - HISTORY)
            .order_by(EV.c.start, EV.c.uid)
        ).all()
        att_rows = conn.execute(
            select(AT)
            .where(AT.c.event_pk.in_([e.id for e in ev_rows]))
            .order_by(AT.c.event_pk, AT.c.email)
        ).all()
    atts: dict[int, list[MeetingAttendee]] = defaultdict(list)
    for row in att_rows:
        atts[row.event_pk].append(
            MeetingAttendee(row.email, clean_name(row.name, row.email), row.status)
        )
    for e in ev_rows:
        attendees = tuple(atts.get(e.id, ()))
        others = [a for a in attendees if a.email not in me and a.status != "declined"]
        # An all-day event (a holiday, a deadline) or a large one (a town hall) says
        # nothing about a relationship; a 1:1 says the most.
        signal = not e.all_day and len(others) <= MEETING_SIGNAL_MAX
        if e.end <= now and e.status != "cancelled" and signal:
            for a in others:
                met[a.email].add(e.end)
                if len(others) == 1:
                    one_on_one[a.email].add(e.end)
        if e.end >= now - timedelta(days=14):
            meetings.append(
                Meeting(
                    uid=e.uid,
                    summary=e.summary,
                    start=e.start,
                    end=e.end,
                    status=e.status,
                    attendees=attendees,
                    organizer=e.organizer_email,
                )
            )

    contacts: dict[str, Contact] = {}
    for email in sorted(set(received) | set(sent) | set(met) | set(flags) | mute | important):
        if email in me:
            continue
        muted, imp = flags.get(email, (False, False))
        contacts[email] = Contact(
            email=email,
            name=names.get(email, ""),
            received=tuple(sorted(received.get(email, ()))),
            sent=tuple(sorted(sent.get(email, ()))),
            met=tuple(sorted(met.get(email, ()))),
            met_alone=len(one_on_one.get(email, ())),
            last_subject=last_subject.get(email, (datetime.min.replace(tzinfo=UTC), ""))[1],
            muted=muted or email in mute,
            important=imp or email in important,
        )
    return PlanningState(
        me=me,
        domains=domains,
        threads=threads,
        contacts=contacts,
        meetings=tuple(meetings),
        names=names,
    )


@dataclass(frozen=True, slots=True)
class ThreadMail:
    """The mail of the threads active in a planning window (``read_thread_mail``): its
    rows, their To and Cc, and what their openings say (named me, waits for an answer,
    asks to be removed). Not their findings: the analysis may still be writing them."""

    rows: Sequence[Any]
    recipients: dict[int, dict[str, list[str]]]
    reading: dict[int, tuple[bool, bool, bool]]


def read_thread_mail(store: Store, *, now: datetime, window: timedelta, my_name: str) -> ThreadMail:
    """What ``load_state`` reads of the active threads' mail, on its own: it depends on
    the mail, its participants and my name, not on findings, so a run can read it while
    it analyses."""
    with store.begin() as conn:
        return _thread_mail(conn, now, window, my_name)


def _thread_mail(conn: Connection, now: datetime, window: timedelta, my_name: str) -> ThreadMail:
    since = now - window
    active = (
        select(M.c.thread_id)
        .where(M.c.date >= since, M.c.date <= now, M.c.thread_id.is_not(None))
        .distinct()
    )
    rows = conn.execute(
        select(
            M.c.id,
            M.c.message_id,
            M.c.thread_id,
            M.c.date,
            M.c.from_email,
            M.c.from_name,
            M.c.from_me,
            M.c.subject,
            M.c.norm_subject,
            M.c.folder,
            M.c.automated,
            M.c.gmail_thread_id,
            M.c.web_link,
            # My own mail: enough of its text to tell an ask from a thank-you.
            func.substr(
                M.c.excerpt, 1, case((M.c.from_me.is_(True), OWN_CHARS), else_=OPENING_CHARS)
            ).label("opening"),
        )
        .where(M.c.thread_id.in_(active), M.c.date <= now)
        .order_by(M.c.date, M.c.id)
    ).all()
    recips: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"to": [], "cc": []})
    for chunk in chunks([r.id for r in rows]):
        for pk, email, role in conn.execute(
            select(P.c.message_pk, P.c.email, P.c.role)
            .where(P.c.message_pk.in_(chunk), P.c.role.in_(["to", "cc"]))
            .order_by(P.c.message_pk, P.c.role, P.c.email)
        ):
            recips[pk][role].append(email)
    first = my_name.split()[0] if my_name.split() else ""
    greeting = re.compile(rf"\b{re.escape(first)}\b", re.IGNORECASE) if first else None
    reading: dict[int, tuple[bool, bool, bool]] = {}
    for r in rows:
        opening = r.opening or ""
        mine = bool(r.from_me)
        reading[r.id] = (
            bool(greeting and greeting.search(opening[:OPENING_CHARS])),
            mine and expects_answer(opening),
            mine and asks_removal(opening),
        )
    return ThreadMail(rows, recips, reading)


@dataclass(frozen=True, slots=True)
class History:
    """Every contact's mail history (``load_history``): the dates of the mail they
    received from me and sent me, and the subject of the latest."""

    received: dict[str, set[datetime]]
    sent: dict[str, set[datetime]]
    last_subject: dict[str, tuple[datetime, str]]


def load_history(store: Store, *, me: frozenset[str], now: datetime) -> History:
    """The contacts' history ``load_state`` reads, on its own: it depends on the mail and
    its participants only, not on findings, so a run can read it while it analyses."""
    with store.begin() as conn:
        return _history(conn, me, now)


def _history(conn: Connection, me: frozenset[str], now: datetime) -> History:
    # Contact history: the non-automated mail where I was a direct party (I wrote
    # it, or I am in its To), by distinct Message-ID. Broadcasts (many recipients,
    # lists, role addresses) build no relationship: someone else answers them.
    received: dict[str, set[datetime]] = defaultdict(set)
    sent: dict[str, set[datetime]] = defaultdict(set)
    last_subject: dict[str, tuple[datetime, str]] = {}
    seen_ids: set[tuple[str, str, str]] = set()
    in_range = (M.c.automated.is_(None), M.c.date <= now, M.c.date >= now - HISTORY)
    raw_date, as_date = _stored_dates(conn)
    # The work is done by the database where it can be (this reads every message of
    # two years): recipient counts, "I am in To", and lists among the addresses.
    # Broadcasts as a short list of message pks (NOT IN), not a count per message
    # joined to every row: the same rows, a fifth less time at 100k messages.
    broadcasts = (
        select(P.c.message_pk)
        .where(P.c.role.in_(["to", "cc"]))
        .group_by(P.c.message_pk)
        .having(func.count() > BROADCAST_RECIPIENTS)
    )
    lists = sorted(e for (e,) in conn.execute(select(P.c.email).distinct()) if list_address(e))
    to_list: set[int] = set()
    for i in range(0, len(lists), 900):
        to_list.update(
            pk
            for (pk,) in conn.execute(
                select(P.c.message_pk).where(P.c.role == "to", P.c.email.in_(lists[i : i + 900]))
            )
        )
    # Two queries, not one with an OR: my mail to them, and theirs to me read from
    # the To rows that name me (an index lookup), not from every message's row.
    cols = (M.c.id, M.c.message_id, raw_date, M.c.from_me, M.c.subject, P.c.email, P.c.role)
    mine = (
        select(*cols)
        .select_from(M.join(P, P.c.message_pk == M.c.id))
        .where(*in_range, M.c.id.not_in(broadcasts), M.c.from_me.is_(True))
        .where(P.c.role.in_(["to", "cc"]))
    )
    addressed = P.alias("addressed")
    theirs = (
        select(*cols)
        .select_from(
            addressed.join(M, M.c.id == addressed.c.message_pk).join(P, P.c.message_pk == M.c.id)
        )
        .where(addressed.c.role == "to", addressed.c.email.in_(sorted(me)))
        .where(*in_range, M.c.id.not_in(broadcasts), M.c.from_me.is_(False))
        .where(P.c.role == "from")
    )
    hist = [*conn.execute(mine), *conn.execute(theirs)]
    listed = frozenset(lists)
    for pk, mid, stored, from_me, subject, email, role in hist:
        if email in me or pk in to_list or email in listed:
            continue
        if (mid, email, role) in seen_ids:
            continue
        seen_ids.add((mid, email, role))
        date = as_date(stored)
        (sent if from_me else received)[email].add(date)
        if email not in last_subject or last_subject[email][0] < date:
            last_subject[email] = (date, subject)
    return History(received, sent, last_subject)
