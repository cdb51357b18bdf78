"""The hostile mail corpus (tests/data/hostile/mail) and what must become of each message.

Shared by the connector, store and CLI tests: every message is either stored (its text
sanitised and capped) or skipped with the reason given here, whichever source reads it.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from connectors.records import MailRecord
from connectors.sanitise import (
    MAX_ADDRESSES,
    MAX_ATTACHMENTS,
    MAX_MESSAGE_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_REFERENCES,
    MAX_SUBJECT_CHARS,
)

CORPUS = Path(__file__).resolve().parent / "data" / "hostile" / "mail"
NO_HEADERS = "not an email message (no headers)"
# Messages that are not mail: skipped, with this reason. Every other one is stored.
SKIPPED = {"binary": NO_HEADERS, "empty": NO_HEADERS, "no-headers": NO_HEADERS}
# A Maildir file whose name is not UTF-8 (an ordinary message inside).
LATIN1_NAME = b"1700000000.caf\xe9-cr\xe8me.host:2,S"
MBOX_FROM = b"From mallory@hostile.example Mon Mar  9 09:15:00 2026\n"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def corpus() -> dict[str, bytes]:
    """name -> raw bytes of every message in the corpus, by file name without .eml."""
    return {p.stem: p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))}


def ordinary(n: int, subject: str, ask: str, when: datetime, to: str) -> bytes:
    """An ordinary, well-formed ask to the user."""
    stamp = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        f"From: Colleague {n} <colleague{n}@partner.example>\n"
        f"To: Penny Example <{to}>\n"
        f"Subject: {subject}\n"
        f"Date: {stamp}\n"
        f"Message-ID: <ask{n}@partner.example>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        f"Hi Penny,\n\n{ask}\n\nThanks,\nColleague {n}\n"
    ).encode()


def write_maildir(root: Path, messages: dict[str, bytes]) -> Path:
    """A Maildir with one file per message in cur/, named after the message."""
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, (name, raw) in enumerate(messages.items()):
        (root / "cur" / f"17000{i:05d}.{name}.host:2,S").write_bytes(raw)
    return root


def add_latin1_named_file(maildir: Path, raw: bytes) -> None:
    """Put ``raw`` in ``maildir``/cur under a file name that is not UTF-8."""
    os.makedirs(os.fsencode(maildir / "cur"), exist_ok=True)
    with open(os.fsencode(maildir / "cur") + b"/" + LATIN1_NAME, "wb") as f:
        f.write(raw)


def mbox_bytes(messages: dict[str, bytes]) -> bytes:
    """The messages as one mbox (mboxrd quoting of "From " lines)."""
    out = []
    for raw in messages.values():
        body = re.sub(rb"(?m)^(>*From )", rb">\1", raw)
        out.append(MBOX_FROM + body + (b"" if body.endswith(b"\n") else b"\n") + b"\n")
    return b"".join(out)


def assert_clean(r: MailRecord) -> None:
    """Every text field of ``r`` storable and within its cap."""
    texts = [r.message_id, r.subject, r.excerpt, r.in_reply_to or "", *r.references]
    texts += [*r.attachments, *r.labels, r.automated or ""]
    people = [a for a in (r.sender, *r.to, *r.cc, *r.bcc, *r.reply_to) if a is not None]
    texts += [t for a in people for t in (a.name, a.email)]
    for t in texts:
        assert "\x00" not in t and not _SURROGATE.search(t), (r.uid, t[:80])
        t.encode("utf-8")
    assert len(r.subject) <= MAX_SUBJECT_CHARS
    assert len(r.message_id) <= MAX_MESSAGE_ID_CHARS
    assert len(r.to) + len(r.cc) + len(r.bcc) + len(r.reply_to) <= MAX_ADDRESSES
    assert len(r.references) <= MAX_REFERENCES
    assert len(r.attachments) <= MAX_ATTACHMENTS
    assert all(len(a.name) <= MAX_NAME_CHARS for a in people)
    assert r.date.tzinfo is not None and datetime(1970, 1, 1, tzinfo=UTC) <= r.date
