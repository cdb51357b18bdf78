"""Make a MailRecord safe to store, whatever the sender put in the message.

Every source builds its records through ``mime.build_record``, which passes them here:
one place where the text fields lose NULs and lone surrogates (``charsets.clean_text``)
and the fields a stranger controls are capped in size, so that one message cannot make
the store's insert fail (lone surrogates, NUL on PostgreSQL) or bloat the database
(a 1 MB subject, 5,000 recipients, 10,000 References).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from typing import Any

from connectors.charsets import clean_text
from connectors.records import Address, MailRecord

MAX_SUBJECT_CHARS = 998
"""RFC 5322's line limit: longer subjects are cut."""
MAX_NAME_CHARS = 200
"""Display names (and anything else that names a thing: attachments, labels)."""
MAX_EMAIL_CHARS = 320
"""RFC 3696's longest address (64 + 1 + 255): a longer "address" is not one."""
MAX_ADDRESSES = 200
"""Addresses kept per message across To, Cc, Bcc and Reply-To, in that order."""
MAX_REFERENCES = 50
"""References kept: the first (the thread's root) and the most recent ones."""
MAX_MESSAGE_ID_CHARS = 250
"""A longer Message-ID is shortened to a stable form that ends in its hash."""
MAX_ATTACHMENTS = 50
MAX_LABELS = 50
MAX_REASON_CHARS = 200
"""The ``automated`` reason can quote a header value."""

# A Date header outside this range is not believed (year 9999, year 0): the source's
# fallback date (INTERNALDATE, the file's mtime, the mbox "From " line) is used instead.
EARLIEST_DATE = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(2200, 1, 1, tzinfo=UTC)


def plausible_date(value: datetime | None) -> datetime | None:
    """``value`` if it is an aware date in [EARLIEST_DATE, LATEST_DATE), else None."""
    if value is None or value.tzinfo is None:
        return value
    return value if EARLIEST_DATE <= value < LATEST_DATE else None


def clean_message_id(value: str) -> str:
    """A Message-ID without NUL/surrogates/whitespace, at most MAX_MESSAGE_ID_CHARS long.

    An over-long id keeps its start and gets its SHA-1 appended, so the same id read
    twice (or through another source) still gives the same result.
    """
    value = "".join(clean_text(value).split())
    if len(value) <= MAX_MESSAGE_ID_CHARS:
        return value
    digest = hashlib.sha1(value.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{value[: MAX_MESSAGE_ID_CHARS - len(digest) - 1]}-{digest}"


def _address(a: Address) -> Address | None:
    email = clean_text(a.email)
    if not email or len(email) > MAX_EMAIL_CHARS:
        return None
    return Address(clean_text(a.name, MAX_NAME_CHARS), email)


def _addresses(addrs: tuple[Address, ...], budget: list[int]) -> tuple[Address, ...]:
    out: list[Address] = []
    for a in addrs:
        if budget[0] <= 0:
            break
        clean = _address(a)
        if clean is not None:
            out.append(clean)
            budget[0] -= 1
    return tuple(out)


def _references(refs: tuple[str, ...]) -> tuple[str, ...]:
    ids = [r for r in (clean_message_id(x) for x in refs) if r]
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1) :]]
    return tuple(ids)


def _names(values: tuple[str, ...], limit: int) -> tuple[str, ...]:
    cleaned = (clean_text(v, MAX_NAME_CHARS) for v in values[:limit])
    return tuple(v for v in cleaned if v)


def sanitise_record(r: MailRecord) -> MailRecord:
    """``r`` with every text field cleaned and capped (see the module's constants).

    The keys (source, folder, uid, uidvalidity) are the source's own and are left
    alone: the sources make them text-safe where they come from file names. A record
    that needs no change is returned as it is (the usual case, and the store checks
    every record again: a copy per check is a tenth of a sync).
    """
    budget = [MAX_ADDRESSES]
    sender = _address(r.sender) if r.sender is not None else None
    in_reply_to = clean_message_id(r.in_reply_to) if r.in_reply_to else None
    clean = {
        "message_id": clean_message_id(r.message_id),
        "subject": clean_text(r.subject, MAX_SUBJECT_CHARS),
        "sender": sender,
        "to": _addresses(r.to, budget),
        "cc": _addresses(r.cc, budget),
        "bcc": _addresses(r.bcc, budget),
        "reply_to": _addresses(r.reply_to, budget),
        "in_reply_to": in_reply_to or None,
        "references": _references(r.references),
        "excerpt": clean_text(r.excerpt),
        "attachments": _names(r.attachments, MAX_ATTACHMENTS),
        "automated": clean_text(r.automated, MAX_REASON_CHARS) if r.automated else r.automated,
        "gmail_thread_id": clean_text(r.gmail_thread_id, MAX_NAME_CHARS)
        if r.gmail_thread_id
        else r.gmail_thread_id,
        "labels": _names(r.labels, MAX_LABELS),
        "web_link": _web_link(r.web_link),
    }
    # type() too: a list where a tuple belongs is replaced, as before.
    changed: dict[str, Any] = {
        key: value
        for key, value in clean.items()
        if type(value) is not type(old := getattr(r, key)) or value != old
    }
    return dataclasses.replace(r, **changed) if changed else r


MAX_LINK_CHARS = 2000


def _web_link(link: str | None) -> str | None:
    """An https link kept only whole and clean: anything else is no link at all."""
    if not link or len(link) > MAX_LINK_CHARS or not link.startswith("https://"):
        return None
    if any(c.isspace() or not c.isprintable() for c in link):
        return None
    return link
