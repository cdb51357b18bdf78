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

from followup.errors import FollowupError
from followup.store.store import Store

COUNTS_AS_SENT = ("sending", "resending", "sent")


class AlreadySentError(FollowupError):
    """Another run recorded this day's digest first."""


def bare_id(message_id: str) -> str:
    return "".join(message_id.split()).strip("<>")


def digest_sent_on(store: Store, day: date, to: str) -> bool:
    """True if the digest for ``day`` (the user's local day) went, or may have gone, to ``to``."""
    row = day_row(store, day, to)
    return row is not None and row.status in COUNTS_AS_SENT


@dataclass(frozen=True, slots=True)
class DayRow:
    """The day's digest row: its status and its Message-ID (bare)."""

    status: str
    message_id: str


def day_row(store: Store, day: date, to: str) -> DayRow | None:
    """The digest row for ``day`` (the user's local day) and ``to``, if any."""
    row = store.digest_day(day.isoformat(), to.lower())
    return DayRow(*row) if row is not None else None


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
    if not store.claim_digest_day(
        values, insert_if_free=replacing is None, take_over=replacing or "failed"
    ):
        raise AlreadySentError(f"The digest for {day} to {to} was already sent")


def mark_digest(store: Store, message_id: str, status: str, now: datetime) -> None:
    """Set the digest's status to ``sent`` or ``failed``."""
    store.set_digest_status(bare_id(message_id), status, now if status == "sent" else None)


def recent_digest_ids(store: Store, now: datetime, within: timedelta) -> dict[str, datetime]:
    """{Message-ID: created_at} of the digests sent in the last ``within``."""
    return store.digest_ids_since(COUNTS_AS_SENT, now - within)


def applied_replies(store: Store, message_ids: Sequence[str]) -> set[str]:
    return store.applied_replies(message_ids)


def record_reply(
    store: Store, message_id: str, digest_id: str, results: list[dict[str, Any]], now: datetime
) -> None:
    store.record_reply(bare_id(message_id), bare_id(digest_id), results, now)
