"""The digests sent and the replies applied, in the store (tables ``digest``, ``digest_reply``).

One row per (local day, recipient), enforced by a unique constraint: two runs racing to
send the same day's digest cannot both record it, and the loser drops its SMTP
transaction before the final "." (see ``send.send_smtp``'s ``before_commit``).
Status: ``sending`` (recorded, SMTP not yet confirmed), ``resending`` (a ``sending`` row
left by a run that is gone, sent once more with the same Message-ID), ``sent``, or
``failed`` (the server refused: may retry). Every attempt for one day reuses the day's
Message-ID, so a copy that did arrive twice is folded by the mail client (and found by
the IMAP search before an APPEND). Message-IDs are kept without angle brackets, as the
message table keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from followup.errors import FollowupError
from followup.store.store import Store
from followup.store.tables import DigestReply, DigestRow

D: Any = DigestRow.__table__  # type: ignore[attr-defined]
R: Any = DigestReply.__table__  # type: ignore[attr-defined]

COUNTS_AS_SENT = ("sending", "resending", "sent")


class AlreadySentError(FollowupError):
    """Another run recorded this day's digest first."""


def bare_id(message_id: str) -> str:
    return "".join(message_id.split()).strip("<>")


def digest_sent_on(store: Store, day: date, to: str) -> bool:
    """True if the digest for ``day`` (the user's local day) went, or may have gone, to ``to``."""
    with store.begin() as conn:
        status = conn.execute(
            select(D.c.status).where(D.c.day == day.isoformat(), D.c.recipient == to.lower())
        ).scalar()
    return status in COUNTS_AS_SENT


@dataclass(frozen=True, slots=True)
class DayRow:
    """The day's digest row: its status and its Message-ID (bare)."""

    status: str
    message_id: str


def day_row(store: Store, day: date, to: str) -> DayRow | None:
    """The digest row for ``day`` (the user's local day) and ``to``, if any."""
    with store.begin() as conn:
        row = conn.execute(
            select(D.c.status, D.c.message_id).where(
                D.c.day == day.isoformat(), D.c.recipient == to.lower()
            )
        ).first()
    return DayRow(row.status, row.message_id) if row is not None else None


def record_digest(
    store: Store,
    day: date,
    to: str,
    message_id: str,
    nudge_keys: Sequence[str],
    now: datetime,
    *,
    replacing: str | None = None,
) -> None:
    """Record an attempt at the day's digest; ``AlreadySentError`` if the day is taken.

    Without ``replacing`` the day must be free, or ``failed`` (the server refused that
    attempt): the row becomes ``sending``. With ``replacing`` (the status the caller
    read, with the day's Message-ID), the row is taken over only if it still has that
    status: a ``sending`` row left by a dead run becomes ``resending``, any other
    becomes ``sending``. So two runs can never both take one attempt.
    """
    values = {
        "day": day.isoformat(),
        "recipient": to.lower(),
        "message_id": bare_id(message_id),
        "status": "resending" if replacing == "sending" else "sending",
        "nudge_keys": json.dumps(list(nudge_keys)),
        "created_at": now,
        "sent_at": None,
    }
    taken = AlreadySentError(f"The digest for {day} to {to} was already sent")
    try:
        with store.begin() as conn:
            where = (D.c.day == values["day"], D.c.recipient == values["recipient"])
            status = conn.execute(select(D.c.status).where(*where)).scalar()
            if status is None and replacing is None:
                conn.execute(D.insert().values(**values))
            elif status == (replacing or "failed"):
                done = conn.execute(update(D).where(*where, D.c.status == status).values(**values))
                if done.rowcount != 1:
                    raise taken
            else:
                raise taken
    except IntegrityError as e:  # a concurrent run inserted the same day first
        raise taken from e


def mark_digest(store: Store, message_id: str, status: str, now: datetime) -> None:
    """Set the digest's status to ``sent`` or ``failed``."""
    values: dict[str, Any] = {"status": status}
    if status == "sent":
        values["sent_at"] = now
    with store.begin() as conn:
        conn.execute(update(D).where(D.c.message_id == bare_id(message_id)).values(**values))


def recent_digest_ids(store: Store, now: datetime, within: timedelta) -> dict[str, datetime]:
    """{Message-ID: created_at} of the digests sent in the last ``within``."""
    with store.begin() as conn:
        rows = conn.execute(
            select(D.c.message_id, D.c.created_at).where(
                D.c.status.in_(COUNTS_AS_SENT), D.c.created_at >= now - within
            )
        ).all()
    return {r.message_id: r.created_at for r in rows}


def applied_replies(store: Store, message_ids: Sequence[str]) -> set[str]:
    if not message_ids:
        return set()
    with store.begin() as conn:
        rows = conn.execute(select(R.c.message_id).where(R.c.message_id.in_(list(message_ids))))
        return {r.message_id for r in rows}


def record_reply(
    store: Store, message_id: str, digest_id: str, results: list[dict[str, Any]], now: datetime
) -> None:
    with store.begin() as conn:
        conn.execute(
            R.insert().values(
                message_id=bare_id(message_id),
                digest_message_id=bare_id(digest_id),
                applied_at=now,
                results=json.dumps(results),
            )
        )
