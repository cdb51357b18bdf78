"""The Store: one repository over the database. Opens, migrates, and writes.

Bulk writes go through SQLAlchemy Core upserts (FACTS.md: the ORM's bulk path splits
batches and runs ~10x slower); reads that the rules need are in state.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from connectors.records import EventRecord, FolderListing, MailBatch, MailRecord, Skipped
from connectors.sanitise import sanitise_record
from followup.errors import StoreError
from followup.private_files import create_private_file, make_private_dir, sqlite_path
from followup.store import migrations
from followup.store import tables as t
from followup.threads import ThreadInput, assign_threads, looks_like_reply, normalise_subject
from nlp.findings import Finding

logger = logging.getLogger(__name__)

M = t.Message.__table__  # type: ignore[attr-defined]
P = t.Participant.__table__  # type: ignore[attr-defined]
A = t.Address.__table__  # type: ignore[attr-defined]
PE = t.Person.__table__  # type: ignore[attr-defined]
CP = t.Checkpoint.__table__  # type: ignore[attr-defined]
SRC = t.Source.__table__  # type: ignore[attr-defined]
EV = t.Event.__table__  # type: ignore[attr-defined]
AT = t.Attendee.__table__  # type: ignore[attr-defined]
F = t.FindingRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class BatchResult:
    new: int
    existing: int
    gone: int = 0  # messages deleted because the batch's listing no longer has them
    # Messages the database refused (each with its reason); the rest were stored.
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredScores:
    """A stored finding's scores and cues (``finding`` None: a message without any)."""

    message_pk: int
    finding: int | None
    kind: str
    cues: str | None
    p_request: float
    p_commitment: float
    p_task: float


@dataclass(frozen=True, slots=True)
class PendingText:
    pk: int
    excerpt: str
    date: datetime
    from_me: bool
    from_name: str
    from_email: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The database. ``Store.open(url)`` creates and migrates it as needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Open the database at ``url``, applying pending schema steps unless
        ``migrate`` is false (``followup doctor`` only reports them)."""
        db_file = sqlite_path(url)
        if db_file is not None:
            # Private from the start: 0700 dir, 0600 file (SQLite gives -wal/-shm its mode).
            make_private_dir(db_file.parent)
            create_private_file(db_file)
        try:
            # hide_parameters: an error's text must never carry mail (other messages'
            # excerpts in cron mail); see _store_error for the rest of it.
            engine = create_engine(url, hide_parameters=True)
        except ImportError as e:
            raise StoreError(
                f"No driver for the database in [storage] url ({e.name}): "
                "for PostgreSQL, pip install 'followup[postgres]'"
            ) from e
        except (SQLAlchemyError, ValueError) as e:
            raise StoreError(
                f"Cannot use the database URL in [storage] url: {db_error_text(e)}"
            ) from e
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if not migrate:
            return store
        where = engine.url.render_as_string(hide_password=True)
        try:
            migrations.migrate(engine)
            with engine.connect() as conn:
                newer = migrations.unknown_steps(conn)
        except SQLAlchemyError as e:
            raise _store_error(f"Cannot open the database {where}", e) from None
        if newer:
            raise StoreError(
                f"The database {where} was upgraded by a newer followup (schema steps "
                f"{', '.join(newer)}): install that version to use it"
            )
        return store

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def _insert(self, table: Any) -> Any:
        # Both dialects' inserts offer on_conflict_do_update/do_nothing.
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)

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

    # -- mail ----------------------------------------------------------------------

    def write_batch(self, source: str, batch: MailBatch, me: Sequence[str]) -> BatchResult:
        """Upsert a batch's messages, participants and addresses, and its checkpoint,
        in one transaction: after a crash, either all of it is there or none.

        Records are sanitised again here (the last line of defence behind the
        connectors'). If the database still refuses the batch for a data reason, it is
        written message by message: the messages it refuses are skipped with a reason
        (``BatchResult.skipped``) and the rest, with the checkpoint, are committed, so
        the same message never blocks a later run. Any other database failure raises a
        StoreError whose text carries no SQL parameters and no mail text.
        """
        me_set = set(me)
        records = tuple(sanitise_record(r) for r in batch.records)
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
        for chunk in _chunks(uids):
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

    # -- threads -------------------------------------------------------------------

    def has_unthreaded(self) -> bool:
        """True when some message has no thread yet (new since the last threading)."""
        with self.begin() as conn:
            return (
                conn.execute(select(M.c.id).where(M.c.thread_id.is_(None)).limit(1)).first()
                is not None
            )

    def assign_threads(self, *, full: bool = False) -> int:
        """Give new messages (no thread yet) their thread; returns the messages rethreaded.

        Only the threads new mail can touch are recomputed: the new messages plus every
        message of the threads they link to (by Message-ID either way, Gmail thread, or
        subject). That gives the same result as recomputing the whole mailbox (a test
        checks it) at a cost that follows the new mail, not the mailbox. When most of the
        store is new (a first sync), or with ``full``, everything is recomputed.
        """
        with self.begin() as conn:
            new = [r.id for r in conn.execute(select(M.c.id).where(M.c.thread_id.is_(None)))]
            if not new and not full:
                return 0
            total = int(conn.execute(select(func.count()).select_from(M)).scalar_one())
            scope = None if full or len(new) * 3 > total else self._thread_scope(conn, new)
            return self._rethread(conn, scope)

    def _thread_scope(self, conn: Connection, new: list[int]) -> list[int]:
        """The new messages and every message of a thread they may join."""
        rows: list[Any] = []
        for chunk in _chunks(new):
            rows += conn.execute(
                select(
                    M.c.message_id, M.c.in_reply_to, M.c.refs, M.c.norm_subject,
                    M.c.gmail_thread_id, M.c.date,
                ).where(M.c.id.in_(chunk))
            ).all()  # fmt: skip
        ids = {r.message_id for r in rows}
        linked = set(ids)
        for r in rows:
            linked.update(x for x in (r.refs or "").split() if x)
            if r.in_reply_to:
                linked.add(r.in_reply_to)
        subjects = {r.norm_subject for r in rows if r.norm_subject}
        gmail = {r.gmail_thread_id for r in rows if r.gmail_thread_id}
        threads: set[int] = set()

        def collect(condition: Any) -> None:
            q = select(M.c.thread_id).where(condition, M.c.thread_id.is_not(None)).distinct()
            threads.update(t for (t,) in conn.execute(q))

        for chunk in _chunks(sorted(linked)):
            collect(M.c.message_id.in_(chunk))
        for chunk in _chunks(sorted(subjects)):
            collect(M.c.norm_subject.in_(chunk))
        for chunk in _chunks(sorted(gmail)):
            collect(M.c.gmail_thread_id.in_(chunk))
        # Mail synced before its parent: children are never older than the parent.
        since = min(r.date for r in rows)
        for mid in sorted(ids):
            collect(
                (M.c.date >= since)
                & ((M.c.in_reply_to == mid) | M.c.refs.contains(mid, autoescape=True))
            )
        scope = set(new)
        for chunk in _chunks(sorted(threads)):
            scope.update(
                pk for (pk,) in conn.execute(select(M.c.id).where(M.c.thread_id.in_(chunk)))
            )
        return sorted(scope)

    def _rethread(self, conn: Connection, scope: list[int] | None) -> int:
        """Run the threading over ``scope`` (None: every message) and store the result."""
        cols = (
            M.c.id,
            M.c.message_id,
            M.c.in_reply_to,
            M.c.refs,
            M.c.norm_subject,
            M.c.subject,
            M.c.date,
            M.c.gmail_thread_id,
            M.c.thread_id,
        )
        if scope is None:
            msgs = conn.execute(select(*cols)).all()
        else:
            msgs = []
            for chunk in _chunks(scope):
                msgs += conn.execute(select(*cols).where(M.c.id.in_(chunk))).all()
        pks = [row.id for row in msgs]
        unreferenced = (M.c.refs == "") & M.c.in_reply_to.is_(None)
        heads: dict[int, str] = {}
        people: dict[int, set[str]] = {}
        parts: list[list[int] | None] = [None] if scope is None else list(_chunks(pks))
        for part in parts:
            where = unreferenced if part is None else unreferenced & M.c.id.in_(part)
            # The body is read only where headers can't thread the message (Outlook).
            heads.update(
                conn.execute(select(M.c.id, func.substr(M.c.excerpt, 1, 3000)).where(where)).all()
            )
            pq = select(P.c.message_pk, P.c.email)
            if part is not None:
                pq = pq.where(P.c.message_pk.in_(part))
            for pk, email in conn.execute(pq):
                people.setdefault(pk, set()).add(email)
        inputs = []
        current = {}
        for row in msgs:
            refs = tuple(x for x in (row.refs or "").split() if x)
            if row.in_reply_to and row.in_reply_to not in refs:
                refs = (*refs, row.in_reply_to)
            inputs.append(
                ThreadInput(
                    pk=row.id,
                    message_id=row.message_id,
                    refs=refs,
                    norm_subject=row.norm_subject,
                    is_reply=not refs and looks_like_reply(row.subject, heads.get(row.id, "")),
                    date=row.date,
                    people=frozenset(people.get(row.id, ())),
                    gmail_thread_id=row.gmail_thread_id,
                )
            )
            current[row.id] = row.thread_id
        threads = assign_threads(inputs)
        changed = [{"pk": pk, "tid": tid} for pk, tid in threads.items() if current.get(pk) != tid]
        if changed:
            conn.execute(
                update(M).where(M.c.id == bindparam("pk")).values(thread_id=bindparam("tid")),
                changed,
            )
        return len(changed)

    # -- NLP -----------------------------------------------------------------------

    def pending_analysis(
        self, limit: int, *, since: datetime | None = None, newest_first: bool = False
    ) -> list[PendingText]:
        """Messages not yet analysed (dated ``since`` or later, if given), oldest first
        or newest first, automated mail excluded."""
        where = [M.c.analysed.is_(False), M.c.automated.is_(None)]
        if since is not None:
            where.append(M.c.date >= since)
        order = (M.c.date.desc(), M.c.id.desc()) if newest_first else (M.c.id,)
        with self.begin() as conn:
            rows = conn.execute(
                select(M.c.id, M.c.excerpt, M.c.date, M.c.from_me, M.c.from_name, M.c.from_email)
                .where(*where)
                .order_by(*order)
                .limit(limit)
            )
            return [
                PendingText(r.id, r.excerpt, r.date, r.from_me, r.from_name, r.from_email)
                for r in rows
            ]

    def save_findings(
        self,
        results: Sequence[tuple[int, Sequence[Finding]]],
        names: Mapping[str, str] | None = None,
        *,
        analysed_by: str | None = None,
        judged_by: str | None = None,
    ) -> int:
        """Replace the messages' findings and mark them analysed (by ``analysed_by``,
        judged by ``judged_by``), in one transaction; returns the firm findings saved.

        Every finding is kept, firm or not, with its scores and cues (re-judging).
        ``names`` (address -> name read in the mail, e.g. its signature) fills in the
        name of addresses the headers left without one; a header name is never replaced.
        """
        rows = [
            {
                "message_pk": pk,
                "kind": f.kind,
                "owner": f.owner,
                "text": f.text,
                "action": f.action,
                "due": f.due.astimezone(UTC) if f.due else None,
                "due_text": f.due_text,
                "score": f.score,
                "firm": f.firm,
                "p_request": f.p_request,
                "p_commitment": f.p_commitment,
                "p_task": f.p_task,
                "cues": ",".join(f.cues) if f.cues is not None else None,
            }
            for pk, findings in results
            for f in findings
        ]
        pks = [pk for pk, _ in results]
        with self.begin() as conn:
            for chunk in _chunks(pks):
                conn.execute(delete(F).where(F.c.message_pk.in_(chunk)))
                conn.execute(
                    update(M)
                    .where(M.c.id.in_(chunk))
                    .values(analysed=True, analysed_by=analysed_by, judged_by=judged_by)
                )
            if rows:
                conn.execute(F.insert(), rows)
            for email, name in sorted((names or {}).items()):
                conn.execute(update(A).where(A.c.email == email, A.c.name == "").values(name=name))
        return sum(1 for r in rows if r["firm"])

    def count_pending_analysis(self, since: datetime | None = None) -> int:
        where = [M.c.analysed.is_(False), M.c.automated.is_(None)]
        if since is not None:
            where.append(M.c.date >= since)
        with self.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(M).where(*where)).scalar_one())

    def analysed_back_to(self) -> datetime | None:
        """The date of the newest message not yet analysed (automated mail aside), or
        None when every message is: analysis goes newest first, so the mail after it is
        analysed and from it back not (yet)."""
        with self.begin() as conn:
            return conn.execute(  # type: ignore[no-any-return]
                select(func.max(M.c.date)).where(M.c.analysed.is_(False), M.c.automated.is_(None))
            ).scalar_one()

    def _stale(self, analysed_by: str, since: datetime) -> Any:
        """Analysed mail since ``since`` that another pipeline analysed."""
        return (
            M.c.analysed.is_(True),
            M.c.automated.is_(None),
            M.c.date >= since,
            or_(M.c.analysed_by.is_(None), M.c.analysed_by != analysed_by),
        )

    def stale_analysis(self, analysed_by: str, since: datetime, limit: int) -> list[PendingText]:
        """Messages since ``since`` analysed by a pipeline other than ``analysed_by``,
        newest first (the mail closest to making a nudge first), automated mail excluded."""
        with self.begin() as conn:
            rows = conn.execute(
                select(M.c.id, M.c.excerpt, M.c.date, M.c.from_me, M.c.from_name, M.c.from_email)
                .where(*self._stale(analysed_by, since))
                .order_by(M.c.date.desc(), M.c.id.desc())
                .limit(limit)
            )
            return [
                PendingText(r.id, r.excerpt, r.date, r.from_me, r.from_name, r.from_email)
                for r in rows
            ]

    def count_stale_analysis(self, analysed_by: str, since: datetime) -> int:
        with self.begin() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(M).where(*self._stale(analysed_by, since))
                ).scalar_one()
            )

    def unjudged(self, analysed_by: str, judged_by: str, limit: int) -> list[StoredScores]:
        """The findings of up to ``limit`` messages that ``analysed_by`` analysed and
        other thresholds than ``judged_by`` judged (messages without findings too: a
        pk with no scores)."""
        with self.begin() as conn:
            pks = list(
                conn.execute(
                    select(M.c.id)
                    .where(
                        M.c.analysed_by == analysed_by,
                        or_(M.c.judged_by.is_(None), M.c.judged_by != judged_by),
                    )
                    .order_by(M.c.id)
                    .limit(limit)
                ).scalars()
            )
            out = [StoredScores(pk, None, "", None, 0.0, 0.0, 0.0) for pk in pks]
            for chunk in _chunks(pks):
                rows = conn.execute(
                    select(
                        F.c.message_pk, F.c.id, F.c.kind, F.c.cues,
                        F.c.p_request, F.c.p_commitment, F.c.p_task,
                    ).where(
                        F.c.message_pk.in_(chunk),
                        F.c.cues.is_not(None),
                        F.c.p_request.is_not(None),
                        F.c.p_commitment.is_not(None),
                        F.c.p_task.is_not(None),
                    )
                )  # fmt: skip
                out += [StoredScores(*r) for r in rows]
            return out

    def save_judgements(self, pks: Sequence[int], firm: Mapping[int, bool], judged_by: str) -> int:
        """Set findings' firm decision (by finding id) and the messages' judged mark, in
        one transaction; returns the findings whose decision changed."""
        changed = 0
        with self.begin() as conn:
            for value in (True, False):
                ids = sorted(i for i, f in firm.items() if f is value)
                for chunk in _chunks(ids):
                    changed += conn.execute(
                        update(F)
                        .where(F.c.id.in_(chunk), F.c.firm.is_not(value))
                        .values(firm=value)
                    ).rowcount
            for chunk in _chunks(list(pks)):
                conn.execute(update(M).where(M.c.id.in_(chunk)).values(judged_by=judged_by))
        return int(changed)

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

    # -- people --------------------------------------------------------------------

    def set_person_flag(
        self, email: str, *, muted: bool | None = None, important: bool | None = None
    ) -> None:
        """Mute/unmute or mark important: stored on the person behind the address."""
        email = email.strip().lower()
        with self.begin() as conn:
            row = conn.execute(select(A.c.person_id, A.c.name).where(A.c.email == email)).first()
            if row is None:
                conn.execute(A.insert().values(email=email, name=""))
                person_id = None
            else:
                person_id = row.person_id
            if person_id is None:
                inserted = conn.execute(
                    PE.insert().values(name=row.name if row else "", muted=False, important=False)
                ).inserted_primary_key
                assert inserted is not None
                person_id = inserted[0]
                conn.execute(update(A).where(A.c.email == email).values(person_id=person_id))
            values: dict[str, bool] = {}
            if muted is not None:
                values["muted"] = muted
            if important is not None:
                values["important"] = important
            if values:
                conn.execute(update(PE).where(PE.c.id == person_id).values(**values))

    def person_flags(self) -> dict[str, tuple[bool, bool]]:
        """{email: (muted, important)} for addresses with a person record."""
        with self.begin() as conn:
            rows = conn.execute(
                select(A.c.email, PE.c.muted, PE.c.important).join(PE, PE.c.id == A.c.person_id)
            )
            return {e: (bool(m), bool(i)) for e, m, i in rows}

    def address_names(self) -> dict[str, str]:
        with self.begin() as conn:
            return dict(conn.execute(select(A.c.email, A.c.name)).all())


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
        "from_me": r.role == "sent" or sender in me,
        "thread_id": None,
        "analysed": False,
    }


# What a database write can raise besides bugs: SQLAlchemy's errors, and the driver's
# own encoding or value errors (sqlite3 raises UnicodeEncodeError unwrapped).
_DB_FAILURES = (SQLAlchemyError, UnicodeError, ValueError)


def _is_data_error(e: BaseException) -> bool:
    """True when the database refused the data (a value, a constraint), not the work:
    worth retrying message by message. A lost connection, a full disk or a lock is not."""
    if isinstance(e, IntegrityError | DataError):
        return True
    if isinstance(e, DBAPIError):
        return False
    # A bind parameter refused before the database saw it, or by the driver's encoder.
    return isinstance(e, StatementError | UnicodeError | ValueError)


_MAX_ERROR_CHARS = 200


def db_error_text(e: BaseException) -> str:
    """One line about a database error, safe for a terminal, a log or cron mail.

    The error class and the first line of the database's (or the driver's) own message:
    no SQL, no parameters, and none of PostgreSQL's DETAIL lines, which echo row values
    ("Failing row contains (...)"). Cut to a couple of hundred characters.
    """
    orig = getattr(e, "orig", None)
    inner = orig if isinstance(orig, BaseException) else e
    message = str(inner)
    if isinstance(e, StatementError) and inner is e:
        message = ""  # its text is the statement and its parameters
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = "".join(ch if ch.isprintable() else " " for ch in first)[:_MAX_ERROR_CHARS]
    name = type(inner).__name__
    return f"{name}: {first}" if first else name


def _store_error(what: str, e: BaseException) -> StoreError:
    """The StoreError for ``e``; raised ``from None`` by callers, because a traceback of
    the original (the daemon logs one) shows the database's DETAIL lines, which can echo
    mail. The original is logged at debug level only."""
    logger.debug("%s", what, exc_info=e)
    return StoreError(f"{what}: {db_error_text(e)}")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # First: a second process waits up to 10 s for a writer's commit (switching to WAL on
    # a new file needs the lock too) instead of failing at once with "database is locked".
    # followup.lock.BUSY_WAIT_S says the same in the message shown when that runs out.
    cur.execute("PRAGMA busy_timeout=10000")
    # WAL + NORMAL: a commit per batch stays cheap, a crash loses at most the
    # transaction in flight (FACTS.md), and readers never wait for the writer.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def delete_messages(conn: Connection, pks: Sequence[int]) -> None:
    """Delete messages with what hangs off them (findings, participants), in the
    caller's transaction. Their nudges close on the next plan, which no longer makes them."""
    for chunk in _chunks(list(pks)):
        conn.execute(delete(F).where(F.c.message_pk.in_(chunk)))
        conn.execute(delete(P).where(P.c.message_pk.in_(chunk)))
        conn.execute(delete(M).where(M.c.id.in_(chunk)))


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    """Lists of at most ``size``: bound the parameters of one IN (...)."""
    return [items[i : i + size] for i in range(0, len(items), size)]
