"""Threading in the store: new messages get their thread, recomputing only the threads
new mail can touch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select, update

from connectors.gmail_ids import stored_forms, thread_key
from followup.store.base import StoreBase
from followup.store.chunks import chunks
from followup.store.handles import M, P
from followup.threads import (
    BLANK_WINDOW,
    SUBJECT_WINDOW,
    ThreadInput,
    assign_threads,
    looks_like_reply,
    normalise_subject,
    quoted_header,
)


class ThreadStore(StoreBase):
    """Threads."""

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
        for chunk in chunks(new):
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
        # A reply with no References joins by the subject its quoted original names too.
        for chunk in chunks(new):
            heads = conn.execute(select(_HEAD).where(M.c.id.in_(chunk) & _UNREFERENCED))
            for head in heads.scalars():
                quoted = quoted_header(head or "")
                subjects.add(normalise_subject(quoted.subject) if quoted else "")
        subjects.discard("")
        gmail = {
            form
            for r in rows
            if r.gmail_thread_id
            for form in stored_forms(thread_key(r.gmail_thread_id))
        }
        threads: set[int] = set()

        def collect(condition: Any) -> None:
            q = select(M.c.thread_id).where(condition, M.c.thread_id.is_not(None)).distinct()
            threads.update(t for (t,) in conn.execute(q))

        for chunk in chunks(sorted(linked)):
            collect(M.c.message_id.in_(chunk))
        # A message joins the newest earlier one of its subject within SUBJECT_WINDOW,
        # so only threads with mail of the subject from that long before the new mail
        # can change (a subject a list reuses every week, for years, stays cheap).
        since = min(r.date for r in rows)
        for chunk in chunks(sorted(subjects)):
            collect(M.c.norm_subject.in_(chunk) & (M.c.date >= since - SUBJECT_WINDOW))
        for ids_chunk in chunks(sorted(gmail)):
            collect(M.c.gmail_thread_id.in_(ids_chunk))
        blank = [r.date for r in rows if not r.norm_subject]
        if blank:
            # A reply with no subject joins blank-subject mail of the days before it.
            collect(
                (M.c.norm_subject == "")
                & (M.c.date >= min(blank) - BLANK_WINDOW)
                & (M.c.date <= max(blank) + BLANK_WINDOW)
            )
        # Mail synced before its parent: children are never older than the parent. A few
        # ids per query: each query reads the mail since then once, whatever it looks for.
        for part in chunks(sorted(ids), _CHILD_IDS):
            refs = [M.c.refs.contains(mid, autoescape=True) for mid in part]
            collect((M.c.date >= since) & or_(M.c.in_reply_to.in_(part), *refs))
        scope = set(new)
        for chunk in chunks(sorted(threads)):
            scope.update(
                pk for (pk,) in conn.execute(select(M.c.id).where(M.c.thread_id.in_(chunk)))
            )
        return sorted(scope)

    def _rethread(self, conn: Connection, scope: list[int] | None) -> int:
        """Run the threading over ``scope`` (None: every message) and store the result."""
        current: dict[int, int | None] = {}
        inputs: list[ThreadInput] = []
        # One str per address, name and subject, not one per row: they repeat.
        words: dict[str, str] = {}
        if scope is None:
            ids = list(conn.execute(select(M.c.id).order_by(M.c.id)).scalars())
            # Id ranges: no parameter list, and a slice's bodies are dropped once read,
            # so a first sync of 100k messages never holds every excerpt at once.
            for part in chunks(ids, _FULL_SLICE):
                where = M.c.id.between(part[0], part[-1])
                pwhere = P.c.message_pk.between(part[0], part[-1])
                inputs += self._inputs(conn, where, pwhere, current, words)
        else:
            for part in chunks(scope):
                where, pwhere = M.c.id.in_(part), P.c.message_pk.in_(part)
                inputs += self._inputs(conn, where, pwhere, current, words)
        threads = assign_threads(inputs)
        del inputs
        changed = [pk for pk, tid in threads.items() if current.get(pk) != tid]
        stmt = update(M).where(M.c.id == bindparam("pk")).values(thread_id=bindparam("tid"))
        for part in chunks(changed, _FULL_SLICE):  # a row's dict per change, a slice at once
            conn.execute(stmt, [{"pk": pk, "tid": threads[pk]} for pk in part])
        return len(changed)

    def _inputs(
        self,
        conn: Connection,
        where: Any,
        pwhere: Any,
        current: dict[int, int | None],
        words: dict[str, str],
    ) -> list[ThreadInput]:
        """The threading's inputs for the messages ``where`` picks (``pwhere``: the same
        ones' participants); their present thread ids go into ``current``; ``words``
        keeps one copy of each repeated string."""
        one = words.setdefault
        msgs = conn.execute(select(*_THREAD_COLUMNS).where(where)).all()
        # The body is read only where headers can't thread the message (Outlook).
        heads: dict[int, str] = dict(
            conn.execute(select(M.c.id, _HEAD).where(where & _UNREFERENCED)).all()
        )
        people: dict[int, set[str]] = {}
        for pk, email in conn.execute(select(P.c.message_pk, P.c.email).where(pwhere)):
            people.setdefault(pk, set()).add(one(email, email))
        inputs = []
        for row in msgs:
            refs = tuple(x for x in (row.refs or "").split() if x)
            if row.in_reply_to and row.in_reply_to not in refs:
                refs = (*refs, row.in_reply_to)
            head = heads.get(row.id, "")
            inputs.append(
                ThreadInput(
                    pk=row.id,
                    message_id=row.message_id,
                    refs=refs,
                    norm_subject=one(row.norm_subject, row.norm_subject),
                    is_reply=not refs and looks_like_reply(row.subject, head),
                    date=row.date,
                    people=frozenset(people.get(row.id, ())),
                    gmail_thread_id=row.gmail_thread_id,
                    sender=one(row.from_email, row.from_email),
                    sender_name=one(row.from_name, row.from_name),
                    quoted=quoted_header(head) if not refs else None,
                )
            )
            current[row.id] = row.thread_id
        return inputs


# Messages read at once when every message is threaded again.
_FULL_SLICE = 2000
# Message-IDs looked for in the References of later mail per query (one LIKE each).
_CHILD_IDS = 64
# Mail no header threads (Outlook), and the start of its text: where a quoted original
# ("-----Original Message-----", its From and Subject) shows.
_UNREFERENCED = (M.c.refs == "") & M.c.in_reply_to.is_(None)
_HEAD = func.substr(M.c.excerpt, 1, 3000)
_THREAD_COLUMNS = (
    M.c.id,
    M.c.message_id,
    M.c.in_reply_to,
    M.c.refs,
    M.c.norm_subject,
    M.c.subject,
    M.c.date,
    M.c.gmail_thread_id,
    M.c.thread_id,
    M.c.from_email,
    M.c.from_name,
)
