"""Digests and replies in the store (tables ``digest``, ``digest_reply``).

The SQL of digest/ledger.py and digest/replies.py, which keep what the rows mean.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from followup.store.base import StoreBase
from followup.store.chunks import chunks
from followup.store.handles import D, M, R


@dataclass(frozen=True, slots=True)
class AppliedReply:
    """A reply to a digest as recorded: what each of its commands gave."""

    message_id: str
    results: str | None  # JSON: [{"line", "ok", "detail"}, ...]
    applied_at: datetime
    date: datetime | None  # the reply's own date; None when the message is gone


@dataclass(frozen=True, slots=True)
class ReplyCandidate:
    """A message that may be a reply to a digest (its references name one)."""

    message_id: str
    in_reply_to: str | None
    refs: str
    date: datetime
    excerpt: str


class DigestStore(StoreBase):
    """Digests sent and replies applied."""

    def digest_day(self, day: str, recipient: str) -> tuple[str, str] | None:
        """(status, bare Message-ID) of the digest row for ``day`` (ISO) and ``recipient``."""
        with self.begin() as conn:
            row = conn.execute(
                select(D.c.status, D.c.message_id).where(D.c.day == day, D.c.recipient == recipient)
            ).first()
        return (row.status, row.message_id) if row is not None else None

    def claim_digest_day(
        self, values: Mapping[str, Any], *, insert_if_free: bool, take_over: str
    ) -> bool:
        """Write the day's digest row ``values``: inserted if the day has no row and
        ``insert_if_free``, or over the row if its status is still ``take_over``. False
        when the day is not free for this attempt (another run took it)."""
        try:
            with self.begin() as conn:
                where = (D.c.day == values["day"], D.c.recipient == values["recipient"])
                status = conn.execute(select(D.c.status).where(*where)).scalar()
                if status is None and insert_if_free:
                    conn.execute(D.insert().values(**values))
                    return True
                if status is None or status != take_over:
                    return False
                done = conn.execute(update(D).where(*where, D.c.status == status).values(**values))
                return bool(done.rowcount == 1)
        except IntegrityError:  # a concurrent run inserted the same day first
            return False

    def set_digest_status(self, message_id: str, status: str, sent_at: datetime | None) -> None:
        values: dict[str, Any] = {"status": status}
        if sent_at is not None:
            values["sent_at"] = sent_at
        with self.begin() as conn:
            conn.execute(update(D).where(D.c.message_id == message_id).values(**values))

    def digest_ids_since(self, statuses: Sequence[str], since: datetime) -> dict[str, datetime]:
        """{Message-ID: created_at} of the digests with one of ``statuses`` created since."""
        with self.begin() as conn:
            rows = conn.execute(
                select(D.c.message_id, D.c.created_at).where(
                    D.c.status.in_(list(statuses)), D.c.created_at >= since
                )
            ).all()
        return {r.message_id: r.created_at for r in rows}

    def applied_replies(self, message_ids: Sequence[str]) -> set[str]:
        """Which of ``message_ids`` are replies already applied."""
        out: set[str] = set()
        with self.begin() as conn:
            for chunk in chunks(message_ids):
                out.update(
                    conn.execute(select(R.c.message_id).where(R.c.message_id.in_(chunk))).scalars()
                )
        return out

    def record_reply(
        self, message_id: str, digest_id: str, results: list[dict[str, Any]], now: datetime
    ) -> None:
        with self.begin() as conn:
            conn.execute(
                R.insert().values(
                    message_id=message_id,
                    digest_message_id=digest_id,
                    applied_at=now,
                    results=json.dumps(results),
                )
            )

    def replies_since_last_digest(self, statuses: Sequence[str], day: str) -> list[AppliedReply]:
        """The replies applied since the last digest (with one of ``statuses``) of a day
        before ``day`` (ISO), in the order applied; none if there was no such digest."""
        with self.begin() as conn:
            last = conn.execute(
                select(func.max(D.c.created_at)).where(
                    D.c.status.in_(list(statuses)), D.c.day < day
                )
            ).scalar()
            if last is None:
                return []
            rows = conn.execute(
                select(R.c.message_id, R.c.results, R.c.applied_at)
                .where(R.c.applied_at > last)
                .order_by(R.c.applied_at)
            ).all()
            dates: dict[str, datetime] = {}
            for chunk in chunks(r.message_id for r in rows):
                q = select(M.c.message_id, M.c.date).where(M.c.message_id.in_(chunk))
                dates.update((mid, when) for mid, when in conn.execute(q))
        return [
            AppliedReply(r.message_id, r.results, r.applied_at, dates.get(r.message_id))
            for r in rows
        ]

    def mail_replying_to(
        self, senders: Sequence[str], since: datetime, message_ids: Sequence[str]
    ) -> list[ReplyCandidate]:
        """Messages from ``senders`` since ``since`` whose In-Reply-To is one of
        ``message_ids`` or whose References contain one, oldest first: message_id,
        in_reply_to, refs, date, excerpt."""
        ids = list(message_ids)
        with self.begin() as conn:
            rows = conn.execute(
                select(M.c.message_id, M.c.in_reply_to, M.c.refs, M.c.date, M.c.excerpt)
                .where(
                    M.c.from_email.in_(sorted(senders)),
                    M.c.date >= since,
                    or_(M.c.in_reply_to.in_(ids), *(M.c.refs.contains(i) for i in ids)),
                )
                .order_by(M.c.date)
            ).all()
        return [ReplyCandidate(*r) for r in rows]
