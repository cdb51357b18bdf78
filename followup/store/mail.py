"""Mail and checkpoints: batches of messages with their participants and addresses,
their folder's checkpoint, deletions mirrored, UIDVALIDITY changes, the user's own mail."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from connectors.records import FolderListing, MailBatch, MailRecord, Skipped
from connectors.sanitise import sanitise_record
from followup.store.base import StoreBase, _now
from followup.store.chunks import chunks
from followup.store.db_errors import _DB_FAILURES, _is_data_error, _store_error
from followup.store.handles import CP, SRC, A, F, M, P
from followup.store.invitations import write_invitations
from followup.threads import normalise_subject

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatchResult:
    new: int
    existing: int
    gone: int = 0  # messages deleted because the batch's listing no longer has them
    # Messages the database refused (each with its reason); the rest were stored.
    skipped: tuple[Skipped, ...] = ()


class MailStore(StoreBase):
    """Mail and checkpoints."""

    # -- sources and checkpoints ---------------------------------------------------

    def checkpoints(self, source: str) -> dict[str, str]:
        with self.begin() as conn:
            rows = conn.execute(select(CP.c.folder, CP.c.state).where(CP.c.source == source))
            return dict(rows.all())

    def touch_source(self, name: str, kind: str, *, error: str | None = None) -> None:
        stmt = self._insert(SRC).values(name=name, kind=kind, last_sync=_now(), last_error=error)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"kind": kind, "last_sync": stmt.excluded.last_sync, "last_error": error},
        )
        with self.begin() as conn:
            conn.execute(stmt)

    def sources_needing_reconnect(self) -> list[str]:
        """The sources whose last sync failed because their login must be renewed
        (a revoked or expired OAuth grant: the source's AuthError says "needs reconnect")."""
        with self.begin() as conn:
            rows = conn.execute(
                select(SRC.c.name)
                .where(SRC.c.last_error.like("%needs reconnect%"))
                .order_by(SRC.c.name)
            )
            return [str(name) for name in rows.scalars()]

    # -- mail ----------------------------------------------------------------------

    def write_batch(
        self, source: str, batch: MailBatch, me: Sequence[str], *, sanitised: bool = False
    ) -> BatchResult:
        """Upsert a batch's messages, participants and addresses, and its checkpoint,
        in one transaction: after a crash, either all of it is there or none.

        Records are sanitised again here (the last line of defence behind the
        connectors'), unless ``sanitised`` says the caller knows they were (a batch from
        the mail reader process: every record made by ``mime.build_record``). If the
        database still refuses the batch for a data reason, it is written message by
        message: the messages it refuses are skipped with a reason
        (``BatchResult.skipped``) and the rest, with the checkpoint, are committed, so
        the same message never blocks a later run. Any other database failure raises a
        StoreError whose text carries no SQL parameters and no mail text.
        """
        me_set = set(me)
        records = batch.records if sanitised else tuple(sanitise_record(r) for r in batch.records)
        for r in records:  # a bug in a connector, not a bad message: fail loudly
            if r.date.tzinfo is None:
                raise ValueError(f"naive date on message {r.uid}: connectors must give aware UTC")
        try:
            with self.begin() as conn:
                if records and self._has_other_uidvalidity(conn, source, batch.folder, records[0]):
                    self._rebase_uidvalidity(conn, source, batch.folder, records)
                new = self._write_records(conn, source, batch.folder, records, me_set)
                gone = self._finish_batch(conn, source, batch)
            return BatchResult(new=new, existing=len(records) - new, gone=gone)
        except _DB_FAILURES as e:
            if not _is_data_error(e):
                raise _store_error(f"Cannot write mail from {source}", e) from None
            logger.warning(
                "%s/%s: the database refused a batch (%s); writing it message by message",
                source,
                batch.folder,
                type(e).__name__,
            )
        return self._write_one_by_one(source, batch, records, me_set)

    def _write_one_by_one(
        self, source: str, batch: MailBatch, records: Sequence[MailRecord], me: set[str]
    ) -> BatchResult:
        """The slow path of write_batch: a transaction per message, then the checkpoint.

        Upserts make a crash half-way harmless: the next run reads the batch again.
        """
        new = 0
        skipped: list[Skipped] = []
        try:
            with self.begin() as conn:
                if records and self._has_other_uidvalidity(conn, source, batch.folder, records[0]):
                    self._rebase_uidvalidity(conn, source, batch.folder, records)
        except _DB_FAILURES as e:
            if not _is_data_error(e):
                raise _store_error(f"Cannot write mail from {source}", e) from None
            logger.warning("%s/%s: UIDVALIDITY rebase refused (%s)", source, batch.folder,
                           type(e).__name__)  # fmt: skip
        for r in records:
            try:
                with self.begin() as conn:
                    new += self._write_records(conn, source, batch.folder, (r,), me)
            except _DB_FAILURES as e:
                if not _is_data_error(e):
                    raise _store_error(f"Cannot write mail from {source}", e) from None
                reason = f"refused by the database: {type(e).__name__}"
                logger.warning("%s/%s: message %s %s", source, batch.folder, r.uid, reason)
                skipped.append(Skipped(batch.folder, r.uid, reason))
        try:
            with self.begin() as conn:
                gone = self._finish_batch(conn, source, batch)
        except _DB_FAILURES as e:
            raise _store_error(f"Cannot write mail from {source}", e) from None
        return BatchResult(
            new=new, existing=len(records) - new - len(skipped), skipped=tuple(skipped), gone=gone
        )

    def _write_records(
        self,
        conn: Connection,
        source: str,
        folder: str,
        records: Sequence[MailRecord],
        me_set: set[str],
    ) -> int:
        """Insert messages, participants and addresses; returns how many were new."""
        if not records:
            return 0
        rows = [_message_row(source, r, me_set) for r in records]
        stmt = self._insert(M).on_conflict_do_nothing(
            index_elements=["source", "folder", "uidvalidity", "uid"]
        )
        if self.dialect == "sqlite":
            # sqlite3 sums executemany's rowcount; skipped conflicts count 0.
            new = int(conn.execute(stmt, rows).rowcount)
        else:  # psycopg reports no total for executemany: count beforehand
            before = self._ids_for(conn, source, folder, records)
            conn.execute(stmt, rows)
            new = sum(1 for r in records if (r.uidvalidity, r.uid) not in before)
        ids = self._ids_for(conn, source, folder, records)
        part_rows: list[dict[str, Any]] = []
        names: dict[str, str] = {}
        for r in records:
            pk = ids.get((r.uidvalidity, r.uid))
            if pk is None:
                continue
            for role, addrs in _roles(r):
                for a in addrs:
                    if not a.email:
                        continue
                    part_rows.append(
                        {"message_pk": pk, "email": a.email, "role": role, "name": a.name}
                    )
                    if a.name and a.email not in me_set:
                        names.setdefault(a.email, a.name)
                    else:
                        names.setdefault(a.email, "")
        if part_rows:
            uniq = {(p["message_pk"], p["email"], p["role"]): p for p in part_rows}
            conn.execute(
                self._insert(P).on_conflict_do_nothing(
                    index_elements=["message_pk", "email", "role"]
                ),
                list(uniq.values()),
            )
        if names:
            # New addresses are added; a name fills in one first seen empty.
            upsert = self._insert(A)
            upsert = upsert.on_conflict_do_update(
                index_elements=["email"],
                set_={"name": upsert.excluded.name},
                where=(A.c.name == "") & (upsert.excluded.name != ""),
            )
            conn.execute(upsert, [{"email": e, "name": n} for e, n in sorted(names.items())])
        write_invitations(self, conn, source, records)  # meetings that came by mail
        return new

    def _finish_batch(self, conn: Connection, source: str, batch: MailBatch) -> int:
        """Mirror the batch's listing (deletions) and write its checkpoint, in the
        caller's transaction; returns how many messages went."""
        gone = 0
        if batch.listing is not None:
            gone = self.delete_unlisted(conn, source, batch.folder, batch.listing)
        cp = self._insert(CP).values(
            source=source, folder=batch.folder, state=batch.checkpoint, updated_at=_now()
        )
        conn.execute(
            cp.on_conflict_do_update(
                index_elements=["source", "folder"],
                set_={"state": cp.excluded.state, "updated_at": cp.excluded.updated_at},
            )
        )
        return gone

    def delete_unlisted(
        self, conn: Connection, source: str, folder: str, listing: FolderListing
    ) -> int:
        """Mirror deletions: remove the folder's messages the source no longer lists.

        Only messages at the listing's UIDVALIDITY are considered, so rows still waiting
        for ``_rebase_uidvalidity`` after a UIDVALIDITY change are left to it. Runs in the
        caller's transaction (the batch's, with its checkpoint). Returns how many went.
        """
        q = select(M.c.id, M.c.uid).where(
            M.c.source == source, M.c.folder == folder, M.c.uidvalidity == listing.uidvalidity
        )
        if listing.since is not None:
            q = q.where(M.c.date >= listing.since)
        gone = [pk for pk, uid in conn.execute(q) if uid not in listing.uids]
        if gone:
            delete_messages(conn, gone)
            logger.info("%s/%s: %d message(s) gone from the source", source, folder, len(gone))
        return len(gone)

    def count_messages(self, source: str | None = None) -> int:
        q = select(func.count()).select_from(M)
        if source:
            q = q.where(M.c.source == source)
        with self.begin() as conn:
            return int(conn.execute(q).scalar_one())

    def _ids_for(
        self, conn: Connection, source: str, folder: str, records: Sequence[MailRecord]
    ) -> dict[tuple[str, str], int]:
        uids = [r.uid for r in records]
        out: dict[tuple[str, str], int] = {}
        for chunk in chunks(uids):
            rows = conn.execute(
                select(M.c.uidvalidity, M.c.uid, M.c.id).where(
                    M.c.source == source, M.c.folder == folder, M.c.uid.in_(chunk)
                )
            )
            for uv, uid, pk in rows:
                out[(uv, uid)] = pk
        return out

    def _has_other_uidvalidity(
        self, conn: Connection, source: str, folder: str, rec: MailRecord
    ) -> bool:
        row = conn.execute(
            select(M.c.id)
            .where(M.c.source == source, M.c.folder == folder, M.c.uidvalidity != rec.uidvalidity)
            .limit(1)
        ).first()
        return row is not None

    def _rebase_uidvalidity(
        self, conn: Connection, source: str, folder: str, records: Sequence[MailRecord]
    ) -> None:
        """UIDVALIDITY changed: move known messages to their new UIDs instead of
        inserting copies (matched by Message-ID within the folder)."""
        for r in records:
            conn.execute(
                update(M)
                .where(
                    M.c.source == source,
                    M.c.folder == folder,
                    M.c.message_id == r.message_id,
                    M.c.uidvalidity != r.uidvalidity,
                )
                .values(uidvalidity=r.uidvalidity, uid=r.uid)
            )

    def refresh_identity(self, me: Sequence[str]) -> None:
        """Mark the user's own messages: sent-folder mail and mail from their addresses."""
        with self.begin() as conn:
            conn.execute(
                update(M)
                .where((M.c.role == "sent") | M.c.from_email.in_(list(me)))
                .where(M.c.from_me.is_(False))
                .values(from_me=True)
            )

    def sent_folder_senders(self) -> list[tuple[str, int]]:
        with self.begin() as conn:
            rows = conn.execute(
                select(M.c.from_email, func.count())
                .where(M.c.role == "sent", M.c.from_email != "")
                .group_by(M.c.from_email)
                .order_by(func.count().desc())
            )
            return [(e, int(n)) for e, n in rows]


def _roles(r: MailRecord) -> list[tuple[str, Sequence[Any]]]:
    return [
        ("from", [r.sender] if r.sender else []),
        ("to", r.to),
        ("cc", r.cc),
        ("bcc", r.bcc),
        ("reply_to", r.reply_to),
    ]


def _message_row(source: str, r: MailRecord, me: set[str]) -> dict[str, Any]:
    refs = " ".join(r.references)
    sender = r.sender.email if r.sender else ""
    return {
        "source": source,
        "folder": r.folder,
        "role": r.role,
        "uidvalidity": r.uidvalidity,
        "uid": r.uid,
        "message_id": r.message_id,
        "subject": r.subject,
        "norm_subject": normalise_subject(r.subject),
        "from_email": sender,
        "from_name": r.sender.name if r.sender else "",
        "date": r.date.astimezone(UTC),
        "in_reply_to": r.in_reply_to,
        "refs": refs,
        "excerpt": r.excerpt,
        "attachments": json.dumps(list(r.attachments)) if r.attachments else "",
        "automated": r.automated,
        "size": r.size,
        "gmail_thread_id": r.gmail_thread_id,
        "web_link": r.web_link,
        "from_me": r.role == "sent" or sender in me,
        "thread_id": None,
        "analysed": False,
    }


def delete_messages(conn: Connection, pks: Sequence[int]) -> None:
    """Delete messages with what hangs off them (findings, participants), in the
    caller's transaction. Their nudges close on the next plan, which no longer makes them."""
    for chunk in chunks(list(pks)):
        conn.execute(delete(F).where(F.c.message_pk.in_(chunk)))
        conn.execute(delete(P).where(P.c.message_pk.in_(chunk)))
        conn.execute(delete(M).where(M.c.id.in_(chunk)))
