"""One Gmail mailbox read over IMAP and over the Gmail API gives the same thread id.

IMAP's X-GM-THRID is Gmail's 64-bit thread id in decimal; the API's ``threadId`` and the
web client's links write it in hex. Both sources now store hex. Rows stored in decimal
before stay as they are (no migration): threading reads either form.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gmail_fake import FakeGmail, write_token
from mailgen import ME, PEOPLE, make_message

from connectors.gmail import GmailSource
from connectors.gmail_ids import stored_forms, thread_hex, thread_key
from connectors.gmail_settings import settings_from_options
from connectors.imap import FolderPlan, ImapMailSource
from connectors.imap_fetch import Fetched
from connectors.imap_parts import analyse
from connectors.imap_response import parse_fetch
from connectors.mime import parse_headers
from connectors.records import MailRecord
from followup.threads import ThreadInput, assign_threads

HEX = "18e3f0a1b2c3d4e5"  # a thread id as the API and the web client write it
DECIMAL = "1793541653903168741"  # the same thread as X-GM-THRID gives it


def test_the_two_forms_of_one_id() -> None:
    assert int(HEX, 16) == int(DECIMAL)
    assert thread_hex(int(DECIMAL)) == thread_hex(DECIMAL.encode().decode()) == HEX
    assert thread_hex("not a number") is None and thread_hex(0) is None
    assert thread_key(DECIMAL) == thread_key(HEX) == thread_key(HEX.upper()) == HEX
    # A hex id made only of digits is at most 16 characters: never taken for decimal.
    assert thread_key("1234567890123456") == "1234567890123456"
    assert stored_forms(HEX) == (HEX, DECIMAL)


def imap_record(raw: bytes, thrid: int) -> MailRecord:
    """What the IMAP source makes of a FETCH response from Gmail (X-GM-EXT-1)."""
    header = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    chunks = [
        (
            f"1 (UID 7 RFC822.SIZE {len(raw)} X-GM-THRID {thrid} "
            f'X-GM-LABELS ("\\\\Inbox") BODY[HEADER] {{{len(header)}}}'.encode(),
            header,
        ),
        b")",
    ]
    (data,) = parse_fetch(chunks, False).values()
    assert data[b"X-GM-THRID"] == thrid  # imapclient's parser gives an int
    source = ImapMailSource.from_config(
        "imap", {"host": "imap.gmail.com", "username": ME[1], "password_env": "UNUSED"}
    )
    fetched = Fetched(7, data, header, analyse(None), b"")
    result = source._record(
        FolderPlan("INBOX", "inbox"), 1, fetched, parse_headers(header), datetime.now(UTC)
    )
    assert isinstance(result, MailRecord)
    return result


def api_record(raw: bytes, tmp_path: Path) -> MailRecord:
    fake = FakeGmail()
    mid = fake.add(["INBOX"], raw)
    fake.messages[mid].thread_id = HEX  # the thread Gmail put it in
    token = tmp_path / "token.json"
    write_token(token, scopes=fake.scopes)
    source = GmailSource(
        "api",
        settings_from_options("api", {"oauth_token_file": str(token), "labels": ["INBOX"]}),
        http_factory=lambda _t: fake,
        sleep=lambda _s: None,
    )
    (record,) = [r for b in source.sync({}) for r in b.records]
    return record


def test_one_message_read_both_ways_has_one_thread_id(tmp_path: Path) -> None:
    raw = make_message(3, sender=PEOPLE[0], to=ME)
    over_imap = imap_record(raw, int(DECIMAL))
    over_api = api_record(raw, tmp_path)
    assert over_imap.gmail_thread_id == over_api.gmail_thread_id == HEX
    assert over_imap.web_link == f"https://mail.google.com/mail/#all/{HEX}"


def test_an_old_decimal_row_and_a_new_hex_row_thread_together() -> None:
    def row(pk: int, thread: str, subject: str) -> ThreadInput:
        when = datetime(2024, 3, pk, tzinfo=UTC)
        return ThreadInput(pk, f"m{pk}@example.com", (), subject, False, when, frozenset(),
                           gmail_thread_id=thread)  # fmt: skip

    # Different subjects and no References: only Gmail's thread id can join them.
    threads = assign_threads(
        [row(1, DECIMAL, "budget"), row(2, HEX, "numbers"), row(3, "18e3f0a1b2c3d4e6", "x")]
    )
    assert threads[1] == threads[2] != threads[3]


def test_the_store_threads_new_hex_mail_into_an_old_decimal_thread(tmp_path: Path) -> None:
    from connectors.records import Address, MailBatch
    from followup.store.store import Store

    def record(n: int, thread: str, subject: str) -> MailRecord:
        return MailRecord(
            source="gmail", folder="INBOX", role="inbox", uid=str(n),
            message_id=f"m{n}@example.com", subject=subject,
            sender=Address("", "ana@example.com"), to=(Address("", ME[1]),),
            date=datetime(2024, 3, n, 9, tzinfo=UTC), gmail_thread_id=thread,
        )  # fmt: skip

    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        # Synced before: stored with the decimal id, threaded, among other threads (so
        # the next threading is incremental: only the new row and what it may join).
        old = (record(1, DECIMAL, "a"), *(record(n, f"{n:x}" * 16, f"t{n}") for n in range(3, 9)))
        store.write_batch("gmail", MailBatch("INBOX", "inbox", old), [ME[1]])
        store.assign_threads()
        # Synced now: the same Gmail thread in hex, another subject, no References.
        store.write_batch("gmail", MailBatch("INBOX", "inbox", (record(2, HEX, "b"),)), [ME[1]])
        assert store.assign_threads() < 7  # incremental, not the whole mailbox
        with store.begin() as conn:
            from sqlalchemy import select

            from followup.store import tables

            rows = dict(
                conn.execute(select(tables.Message.message_id, tables.Message.thread_id)).all()
            )
        assert rows["m1@example.com"] == rows["m2@example.com"] is not None
    finally:
        store.close()
