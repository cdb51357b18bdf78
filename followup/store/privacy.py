"""Forget a person, purge old history, and keep what was removed from coming back.

Removing rows is not enough: sources read mail again. Maildir re-reads files whose
ctime moved (a flag change), an mbox rewritten by a mail client is read from the start,
and an IMAP folder whose UIDVALIDITY changed is read again. So the store keeps a *screen*
beside the checkpoints (which stay as they were), and sync passes every batch through
it: mail dated before the purge date, and mail dated before a forget that was sent by
the forgotten person or exchanged only with them, is skipped with a counted reason;
other mail dated before the forget loses the forgotten address from its recipients.
Mail that arrives later (dated after the forget) is stored as usual.

The screen is one row of the checkpoint table (source "", which no configured source
can be named; folder "privacy"), so the schema is unchanged. Forgotten addresses are
kept as SHA-256 digests, not in clear.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select

from connectors.records import Address, EventRecord, MailBatch, MailRecord, Skipped
from followup.store.chunks import chunks
from followup.store.handles import AT, CP, EV, PE, A, F, M, N, P
from followup.store.store import Store, delete_messages

logger = logging.getLogger(__name__)

SCREEN_SOURCE = ""  # config requires a non-empty source name: this row is never a source's
SCREEN_FOLDER = "privacy"

SKIP_PURGED = "purged: dated before the purge date"
SKIP_FORGOTTEN = "forgotten: sent by or only to a forgotten person"


def address_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


@dataclass
class Screen:
    """What sync must not store again."""

    purged_before: datetime | None = None
    forgotten: dict[str, datetime] = field(default_factory=dict)  # digest -> forgotten at

    def dumps(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "purged_before": self.purged_before.isoformat() if self.purged_before else None,
                "forgotten": {k: v.isoformat() for k, v in sorted(self.forgotten.items())},
            },
            sort_keys=True,
        )

    @classmethod
    def loads(cls, value: str | None) -> Screen:
        if not value:
            return cls()
        try:
            data = json.loads(value)
            before = data.get("purged_before")
            return cls(
                purged_before=datetime.fromisoformat(before) if before else None,
                forgotten={k: datetime.fromisoformat(v) for k, v in data["forgotten"].items()},
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            # Edited by hand: sync must go on; say so rather than fail every run.
            logger.warning("The privacy screen in the store is unreadable; it is ignored")
            return cls()

    @property
    def empty(self) -> bool:
        return self.purged_before is None and not self.forgotten

    def _forgotten_for(self, email: str, date: datetime) -> bool:
        at = self.forgotten.get(address_digest(email)) if email else None
        return at is not None and date < at

    def screen_record(self, r: MailRecord, me: frozenset[str]) -> MailRecord | str:
        """The record to store (recipients forgotten for it removed), or the skip reason."""
        if self.purged_before is not None and r.date < self.purged_before:
            return SKIP_PURGED
        if not self.forgotten:
            return r
        sender = r.sender.email if r.sender else ""
        from_me = r.role == "sent" or sender in me
        if not from_me and self._forgotten_for(sender, r.date):
            return SKIP_FORGOTTEN
        lists = {"to": r.to, "cc": r.cc, "bcc": r.bcc, "reply_to": r.reply_to}
        parties = {a.email for v in lists.values() for a in v if a.email}
        if sender:
            parties.add(sender)
        others = parties - me
        gone = {e for e in others if self._forgotten_for(e, r.date)}
        if not gone:
            return r
        if others <= gone:
            return SKIP_FORGOTTEN
        kept = {k: tuple(a for a in v if a.email not in gone) for k, v in lists.items()}
        return dataclasses.replace(r, **kept)  # type: ignore[arg-type]

    def screen_batch(self, batch: MailBatch, me: frozenset[str]) -> MailBatch:
        """``batch`` with screened records moved to ``skipped``; the checkpoint unchanged."""
        if self.empty or not batch.records:
            return batch
        records: list[MailRecord] = []
        skipped = list(batch.skipped)
        for r in batch.records:
            out = self.screen_record(r, me)
            if isinstance(out, str):
                skipped.append(Skipped(r.folder, r.uid, out))
            else:
                records.append(out)
        return dataclasses.replace(batch, records=tuple(records), skipped=tuple(skipped))

    def screen_events(self, events: Iterable[EventRecord]) -> list[EventRecord]:
        """Events that start before the purge date dropped; forgotten attendees removed."""
        out = []
        for e in events:
            if self.purged_before is not None and e.start < self.purged_before:
                continue
            attendees = tuple(
                a for a in e.attendees if not self._forgotten_for(a.address.email, e.start)
            )
            organizer: Address | None = e.organizer
            if organizer is not None and self._forgotten_for(organizer.email, e.start):
                organizer = None
            if attendees != e.attendees or organizer is not e.organizer:
                e = dataclasses.replace(e, attendees=attendees, organizer=organizer)
            out.append(e)
        return out


def load_screen(store: Store) -> Screen:
    with store.begin() as conn:
        return _read_screen(conn)


def _read_screen(conn: Connection) -> Screen:
    value = conn.execute(
        select(CP.c.state).where(CP.c.source == SCREEN_SOURCE, CP.c.folder == SCREEN_FOLDER)
    ).scalar_one_or_none()
    return Screen.loads(value)


def _write_screen(conn: Connection, screen: Screen, now: datetime) -> None:
    where = (CP.c.source == SCREEN_SOURCE) & (CP.c.folder == SCREEN_FOLDER)
    conn.execute(delete(CP).where(where))
    conn.execute(
        CP.insert().values(
            source=SCREEN_SOURCE, folder=SCREEN_FOLDER, state=screen.dumps(), updated_at=now
        )
    )


@dataclass(frozen=True, slots=True)
class Removed:
    """What a forget or a purge removed (or, in a preview, would remove)."""

    messages: int = 0
    findings: int = 0
    nudges: int = 0
    participants: int = 0
    events: int = 0
    flags: int = 0

    def summary(self) -> str:
        def n(count: int, noun: str) -> str:
            return f"{count} {noun}{'' if count == 1 else 's'}"

        parts = [n(self.messages, "message"), n(self.findings, "finding"), n(self.nudges, "nudge")]
        if self.events:
            parts.append(n(self.events, "event"))
        return ", ".join(parts)


def _count_in(conn: Connection, column: Any, pks: Sequence[int]) -> int:
    total = 0
    for chunk in chunks(list(pks)):
        total += int(
            conn.execute(
                select(func.count()).select_from(column.table).where(column.in_(chunk))
            ).scalar_one()
        )
    return total


def _orphaned_nudges(conn: Connection, message_ids: set[str]) -> list[str]:
    """Keys of nudges whose evidence is one of ``message_ids`` and no message left has it
    (the same message can sit in several folders: a copy left keeps the nudge)."""
    if not message_ids:
        return []
    still: set[str] = set()
    for chunk in chunks(sorted(message_ids)):
        still.update(
            mid for (mid,) in conn.execute(select(M.c.message_id).where(M.c.message_id.in_(chunk)))
        )
    gone = message_ids - still
    keys = []
    for key, payload in conn.execute(select(N.c.key, N.c.payload)):
        evidence = (json.loads(payload).get("evidence") or {}).get("message_id")
        if evidence and evidence in gone:
            keys.append(key)
    return keys


def _delete_nudges(conn: Connection, keys: Iterable[str]) -> None:
    for chunk in chunks(sorted(set(keys))):
        conn.execute(delete(N).where(N.c.key.in_(chunk)))


def _forget_targets(
    conn: Connection, email: str, me: frozenset[str]
) -> tuple[list[int], set[str], list[str]]:
    """(message pks, their Message-IDs, nudge keys) that forgetting ``email`` removes."""
    involved = {
        pk for (pk,) in conn.execute(select(P.c.message_pk).where(P.c.email == email).distinct())
    }
    involved.update(pk for (pk,) in conn.execute(select(M.c.id).where(M.c.from_email == email)))
    parties: dict[int, set[str]] = {pk: set() for pk in involved}
    for chunk in chunks(sorted(involved)):
        for pk, who in conn.execute(
            select(P.c.message_pk, P.c.email).where(P.c.message_pk.in_(chunk))
        ):
            parties[pk].add(who)
    pks, mids = [], set()
    for chunk in chunks(sorted(involved)):
        for pk, mid, sender, from_me in conn.execute(
            select(M.c.id, M.c.message_id, M.c.from_email, M.c.from_me).where(M.c.id.in_(chunk))
        ):
            others = (parties[pk] | ({sender} if sender else set())) - me - {email}
            if (sender == email and not from_me) or not others:
                pks.append(pk)
                mids.add(mid)
    keys = []
    for key, person, payload in conn.execute(select(N.c.key, N.c.person_email, N.c.payload)):
        people = {p["email"] for p in json.loads(payload).get("people") or []}
        # A nudge about them alone goes; a meeting with others keeps its row (and the
        # user's decision on it): the calendar still lists them, and followup mirrors it.
        if person == email and people <= {email}:
            keys.append(key)
    return pks, mids, keys


def forget_address(
    store: Store, email: str, me: frozenset[str], now: datetime, *, preview: bool = False
) -> Removed:
    """Remove a person's messages (sent by them, or exchanged only with them), their
    findings, the nudges about them alone, their participant, attendee and address rows
    and their flags; remember the forget so sync does not store that mail again.

    With ``preview``, only count. Other people's messages, nudges and decisions stay.
    """
    email = email.strip().lower()
    with store.begin() as conn:
        pks, mids, keys = _forget_targets(conn, email, me)
        findings = _count_in(conn, F.c.message_pk, pks)
        person_ids = [
            pid
            for (pid,) in conn.execute(select(A.c.person_id).where(A.c.email == email))
            if pid is not None
        ]
        if preview:
            nudges = set(keys) | set(_orphaned_nudges_preview(conn, mids, pks))
            return Removed(messages=len(pks), findings=findings, nudges=len(nudges))
        delete_messages(conn, pks)
        keys += _orphaned_nudges(conn, mids)
        _delete_nudges(conn, keys)
        participants = conn.execute(delete(P).where(P.c.email == email)).rowcount
        conn.execute(delete(AT).where(AT.c.email == email))
        conn.execute(delete(A).where(A.c.email == email))
        flags = 0
        for pid in person_ids:
            # The person goes with their last address (their mute/important flags too).
            if conn.execute(select(A.c.email).where(A.c.person_id == pid).limit(1)).first():
                continue
            flags += conn.execute(delete(PE).where(PE.c.id == pid)).rowcount
        screen = _read_screen(conn)
        digest = address_digest(email)
        screen.forgotten[digest] = max(now, screen.forgotten.get(digest, now))
        _write_screen(conn, screen, now)
    return Removed(
        messages=len(pks),
        findings=findings,
        nudges=len(set(keys)),
        participants=participants,
        flags=flags,
    )


def _orphaned_nudges_preview(conn: Connection, mids: set[str], pks: Sequence[int]) -> list[str]:
    """As ``_orphaned_nudges`` after deleting ``pks``, without deleting them."""
    if not mids:
        return []
    doomed = set(pks)
    left: set[str] = set()
    for chunk in chunks(sorted(mids)):
        for pk, mid in conn.execute(
            select(M.c.id, M.c.message_id).where(M.c.message_id.in_(chunk))
        ):
            if pk not in doomed:
                left.add(mid)
    gone = mids - left
    return [
        key
        for key, payload in conn.execute(select(N.c.key, N.c.payload))
        if (json.loads(payload).get("evidence") or {}).get("message_id") in gone
    ]


def purge_before(
    store: Store, cutoff: datetime, now: datetime, *, preview: bool = False
) -> Removed:
    """Remove messages dated before ``cutoff`` with their findings and participants, the
    nudges only they support, and calendar events that started before it; remember the
    cutoff so sync does not store that mail again. Checkpoints are kept."""
    cutoff = cutoff.astimezone(UTC)
    with store.begin() as conn:
        rows = conn.execute(select(M.c.id, M.c.message_id).where(M.c.date < cutoff)).all()
        pks = [pk for pk, _ in rows]
        mids = {mid for _, mid in rows}
        findings = _count_in(conn, F.c.message_pk, pks)
        participants = _count_in(conn, P.c.message_pk, pks)
        events = [pk for (pk,) in conn.execute(select(EV.c.id).where(EV.c.start < cutoff))]
        if preview:
            keys = _orphaned_nudges_preview(conn, mids, pks)
            return Removed(len(pks), findings, len(keys), participants, len(events))
        delete_messages(conn, pks)
        keys = _orphaned_nudges(conn, mids)
        _delete_nudges(conn, keys)
        for chunk in chunks(events):
            conn.execute(delete(AT).where(AT.c.event_pk.in_(chunk)))
            conn.execute(delete(EV).where(EV.c.id.in_(chunk)))
        screen = _read_screen(conn)
        if screen.purged_before is None or screen.purged_before < cutoff:
            screen.purged_before = cutoff
        _write_screen(conn, screen, now)
    return Removed(len(pks), findings, len(keys), participants, len(events))
