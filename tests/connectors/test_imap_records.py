"""A message read over IMAP gives the same record as the same bytes parsed whole.

The IMAP source fetches only header fields, BODYSTRUCTURE and the first KB of the text
part; Maildir/mbox parse whole messages with ``mime.parse_message``. Both must agree, or
the same mail seen through two sources would look different to the rules.
"""

from __future__ import annotations

import base64
import dataclasses
import quopri

import pytest
from imap_helpers import make_source, records, run_sync
from servers import Dovecot, MailUser

from connectors.mime import parse_message

pytestmark = pytest.mark.server

HEAD = (
    "From: Ana Example <ana@example.com>\r\n"
    "To: Penny Example <penny@example.com>\r\n"
    "Date: Tue, 05 Mar 2024 09:30:00 +0100\r\n"
    "MIME-Version: 1.0\r\n"
)


def _msg(n: int, rest: str | bytes, *, subject: str | None = None) -> bytes:
    head = HEAD + f"Message-ID: <r{n}@example.com>\r\n"
    head += f"Subject: {subject if subject is not None else f'Case {n}'}\r\n"
    body = rest if isinstance(rest, bytes) else rest.encode("utf-8")
    return head.encode() + body


def _b64(data: bytes) -> str:
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


PLAIN = "Could you send the signed contract by Thursday?\r\nThanks, Ana\r\n"
HTML = "<html><body><p>Could you <b>send</b> the contract?</p><p>Ana</p></body></html>"

CASES: list[bytes] = [
    # 1. 8-bit UTF-8 plain text.
    _msg(1, "Content-Type: text/plain; charset=utf-8\r\n\r\nGrüße aus Köln — see you soon.\r\n"),
    # 2. Quoted-printable Latin-1 with soft line breaks.
    _msg(
        2,
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring(("Caf\xe9 meeting " * 20).encode("latin-1")).replace(b"\n", b"\r\n"),
    ),
    # 3. Base64 HTML only.
    _msg(
        3,
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(HTML.encode()),
    ),
    # 4. mixed: alternative (plain, html) + a PDF attachment.
    _msg(
        4,
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\n'
        'Content-Type: multipart/alternative; boundary="a"\r\n\r\n'
        f"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{PLAIN}\r\n"
        f"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{HTML}\r\n--a--\r\n"
        '--m\r\nContent-Type: application/pdf; name="contract.pdf"\r\n'
        'Content-Disposition: attachment; filename="contract.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(b"%PDF-1.4" * 300) + "--m--\r\n",
    ),
    # 5. related: alternative + inline image (named).
    _msg(
        5,
        'Content-Type: multipart/related; boundary="r"\r\n\r\n--r\r\n'
        'Content-Type: multipart/alternative; boundary="a"\r\n\r\n'
        f"--a\r\nContent-Type: text/plain\r\n\r\n{PLAIN}\r\n"
        f"--a\r\nContent-Type: text/html\r\n\r\n{HTML}\r\n--a--\r\n"
        '--r\r\nContent-Type: image/png; name="logo.png"\r\nContent-ID: <logo>\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + _b64(b"\x89PNG" * 50) + "--r--\r\n",
    ),
    # 6. A forwarded message.
    _msg(
        6,
        'Content-Type: multipart/mixed; boundary="f"\r\n\r\n'
        "--f\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        "--f\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: Raj Sample <raj@example.org>\r\nSubject: inner\r\n\r\nInner body\r\n--f--\r\n",
    ),
    # 7. RFC 2231 and RFC 2047 attachment names.
    _msg(
        7,
        'Content-Type: multipart/mixed; boundary="n"\r\n\r\n'
        f"--n\r\nContent-Type: text/plain\r\n\r\n{PLAIN}\r\n"
        "--n\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename*=utf-8''na%C3%AFve%20plan.xlsx\r\n\r\n"
        "xx\r\n"
        '--n\r\nContent-Type: application/pdf; name="=?utf-8?q?R=C3=A9sum=C3=A9.pdf?="\r\n'
        "Content-Disposition: attachment\r\n\r\nyy\r\n--n--\r\n",
    ),
    # 8. HTML part before the plain one: plain is still preferred.
    _msg(
        8,
        'Content-Type: multipart/mixed; boundary="h"\r\n\r\n'
        f"--h\r\nContent-Type: text/html\r\n\r\n{HTML}\r\n"
        f"--h\r\nContent-Type: text/plain\r\n\r\n{PLAIN}\r\n--h--\r\n",
    ),
    # 9. A text/plain attachment is not the body.
    _msg(
        9,
        'Content-Type: multipart/mixed; boundary="t"\r\n\r\n'
        f"--t\r\nContent-Type: text/html\r\n\r\n{HTML}\r\n"
        '--t\r\nContent-Type: text/plain; name="notes.txt"\r\n'
        'Content-Disposition: attachment; filename="notes.txt"\r\n\r\nsecret notes\r\n--t--\r\n',
    ),
    # 10. Encoded words in the subject and sender name.
    _msg(
        10,
        "Content-Type: text/plain\r\n\r\nHi\r\n",
        subject="=?utf-8?b?UsOpdW5pb24gZGUgbHVuZGk=?=",
    ),
    # 11. No Content-Type at all.
    _msg(11, "\r\nPlain old text.\r\n"),
    # 12. A newsletter.
    _msg(
        12,
        "List-Id: <news.example.com>\r\nList-Unsubscribe: <mailto:u@example.com>\r\n"
        "Content-Type: text/plain\r\n\r\nThis week's news\r\n",
    ),
    # 13. Base64 plain text in Windows-1252 (smart quotes).
    _msg(
        13,
        "Content-Type: text/plain; charset=windows-1252\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + _b64("It\u2019s \u201cdone\u201d \u2013 finally.".encode("cp1252")),
    ),
]

COMPARED = (
    "message_id",
    "subject",
    "sender",
    "to",
    "cc",
    "date",
    "in_reply_to",
    "references",
    "excerpt",
    "attachments",
    "automated",
    "size",
    "role",
    "folder",
    "source",
)


def test_imap_records_match_whole_message_parsing(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    dovecot_server.append(mail_user, "INBOX", CASES)
    batches, _ = run_sync(make_source(dovecot_server, mail_user))
    got = records(batches, "INBOX")
    assert len(got) == len(CASES)
    for uid, (raw, record) in enumerate(zip(CASES, got, strict=True), 1):
        expected = parse_message(raw, source="work", folder="INBOX", role="inbox", uid=str(uid))
        assert not isinstance(expected, type(None))
        want = {k: getattr(expected, k) for k in COMPARED}
        have = {k: getattr(record, k) for k in COMPARED}
        assert have == want, f"case {uid}"
        assert record.uid == str(uid)
    # Spot-check that the cases exercise what they claim.
    by_id = {r.message_id: r for r in got}
    assert by_id["r4@example.com"].attachments == ("contract.pdf",)
    assert by_id["r4@example.com"].excerpt.startswith("Could you send the signed contract")
    assert by_id["r6@example.com"].attachments == ("forwarded message",)
    assert by_id["r7@example.com"].attachments == ("naïve plan.xlsx", "Résumé.pdf")
    assert by_id["r9@example.com"].attachments == ("notes.txt",)
    assert "secret" not in by_id["r9@example.com"].excerpt
    assert by_id["r10@example.com"].subject == "Réunion de lundi"
    assert by_id["r12@example.com"].automated == "List-Id"
    assert by_id["r13@example.com"].excerpt == "It\u2019s \u201cdone\u201d \u2013 finally."


def test_long_text_is_cut_to_the_excerpt_without_fetching_it_all(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    paragraph = "We agreed to revisit the budget once the numbers are in. " * 40 + "\r\n\r\n"
    raw = _msg(20, "Content-Type: text/plain\r\n\r\n" + paragraph * 30)  # ~70 KB
    dovecot_server.append(mail_user, "INBOX", [raw])
    source = make_source(dovecot_server, mail_user)
    batches, _ = run_sync(source)
    (record,) = records(batches)
    whole = parse_message(raw, source="work", folder="INBOX", role="inbox", uid="1")
    assert len(record.excerpt) <= source.excerpt_chars
    assert len(record.excerpt) > source.excerpt_chars * 0.9
    assert whole.excerpt.startswith(record.excerpt)  # type: ignore[union-attr]
    assert record.size == len(raw)
    assert dataclasses.replace(record, excerpt="") == dataclasses.replace(
        whole,  # type: ignore[arg-type]
        excerpt="",
        uid=record.uid,
        uidvalidity=record.uidvalidity,
    )
