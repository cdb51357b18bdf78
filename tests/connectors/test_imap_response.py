"""imap_response.parse_fetch gives exactly what imapclient's parse_fetch_response gives.

Same keys, same values and the same types (int vs bytes, BodyData, None), on crafted
responses with every token kind, on responses imapclient rejects (the same exception),
and on what a real Dovecot sends for the hostile samples and the records test's cases.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from imapclient.response_parser import parse_fetch_response
from mailgen import corpus
from servers import Dovecot, MailUser

from connectors.imap_fetch import BASE_ITEMS, HEADER_ITEM
from connectors.imap_parts import analyse
from connectors.imap_response import _parse, parse_fetch

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"


def strict(value: Any) -> Any:
    """A value with its types spelled out, so 1 != b"1" and BodyData != tuple."""
    if isinstance(value, dict):
        return {strict(k): strict(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [strict(v) for v in value])
    return (type(value).__name__, value)


def expected(chunks: list[Any]) -> Any:
    return dict(parse_fetch_response(list(chunks), False, True))


def assert_same(chunks: list[Any]) -> None:
    """Equal results, and from the fast path (not from falling back to imapclient)."""
    assert strict(_parse(chunks, False)) == strict(expected(chunks))
    assert strict(parse_fetch(chunks, False)) == strict(expected(chunks))


CRAFTED: list[list[Any]] = [
    [b"1 (UID 7 RFC822.SIZE 1234 FLAGS (\\Seen $Label))"],
    [b'2 (UID 8 X-GM-LABELS ("\\\\Inbox" "a\\"b" "c\\d" "") X-GM-THRID 1234567890123)'],
    [b"3 (UID 9 MODSEQ (12) FLAGS ())"],
    # A literal header and a literal text part, as imaplib splits them.
    [
        (b"4 (UID 10 BODY[HEADER.FIELDS (FROM SUBJECT)] {23}", b"Subject: hi (there)\r\n\r\n"),
        (b" BODY[1]<0> {3}", b'a"b'),
        b")",
    ],
    [(b"5 (UID 11 BODY[1]<0> {5}", b"ab\r\nc"), b")"],
    # Leading zeros stay bytes; NIL is None but "NIL" is bytes; quoted digits stay bytes.
    [b'6 (UID 12 X-A 007 X-B NIL X-C "NIL" X-D "42" X-E 0)'],
    # Single-part and multipart BODYSTRUCTUREs (BodyData nests the parts in a list).
    [
        b'7 (UID 13 BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 1'
        b" NIL NIL NIL NIL))"
    ],
    [
        b'8 (UID 14 BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1'
        b' NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "quoted-printable" 20'
        b' 1 NIL NIL NIL NIL) "alternative" ("boundary" "a") NIL NIL NIL)("application" "pdf"'
        b' ("name" "x.pdf") NIL NIL "base64" 300 NIL ("attachment" ("filename" "x.pdf"))'
        b' NIL NIL) "mixed" ("boundary" "m") NIL NIL NIL))'
    ],
    # Two responses for one message are merged; a second message follows.
    [b"9 (UID 15 FLAGS (\\Seen))", b"9 (UID 15 RFC822.SIZE 5)", b"10 (UID 16 RFC822.SIZE 6)"],
    # Lower-case item names are upper-cased; tabs are whitespace.
    [b"11 (uid 17\trfc822.size 8)"],
    [b'12 (UID 18 INTERNALDATE "05-Mar-2024 09:30:00 +0100")'],
    [b'13 (UID 19 INTERNALDATE "garbage")'],
    # Brackets are taken whole, spaces and parentheses inside included.
    [b"14 (UID 20 BODY[HEADER.FIELDS (A B)]<0> NIL)"],
]

# Responses imapclient rejects or reads oddly: parse_fetch must do exactly the same.
ODD: list[list[Any]] = [
    [b'1 (UID 7 X-A abc"def")'],  # a quote inside a word
    [b"1 (UID 7 X-A %)"],
    [b"1 (UID 7 X-A \x01)"],
    [b'1 (UID 7 X-A "unterminated)'],
    [b"1 (UID 7 BODY[1 NIL)"],
    [b"1 (UID 7 X-A (1 2)"],  # tuple never closed
    [b"1 (UID 7 X-A 1))"],  # one parenthesis too many
    [b"1 (UID 7 X-A)"],  # odd number of items
    [b"1 (UID x)"],
    [b"x (UID 7)"],
    [b"1 UID 7"],
    [(b"1 (UID 7 BODY[] {9}", b"short"), b")"],  # literal of the wrong size
    [b"1 (UID 7 BODY[] {3})"],  # a literal marker without a literal
    [b"1 (UID 7 BODYSTRUCTURE NIL)"],
    [b"1 (UID 7 BODYSTRUCTURE ())"],
    [b"1 (UID 7 ENVELOPE NIL)"],
    [None],
    [],
]


@pytest.mark.parametrize("chunks", CRAFTED, ids=range(len(CRAFTED)))
def test_crafted_responses_parse_as_imapclient_parses_them(chunks: list[Any]) -> None:
    assert_same(chunks)


@pytest.mark.parametrize("chunks", ODD, ids=range(len(ODD)))
def test_odd_responses_get_imapclient_behaviour_errors_included(chunks: list[Any]) -> None:
    try:
        want = expected(chunks)
    except Exception as e:  # imapclient raises: so must parse_fetch, the same way
        with pytest.raises(type(e)):
            parse_fetch(chunks, False)
    else:
        assert strict(parse_fetch(chunks, False)) == strict(want)


def test_random_byte_mutations_never_diverge_from_imapclient() -> None:
    base = CRAFTED[7][0] + b" " + CRAFTED[1][0]
    rng = random.Random(5)
    fast = 0
    for _ in range(400):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.choice(b' ()"\\[]%{}NIL0123\t\x00a')
        chunks = [bytes(data)]
        try:
            want = strict(expected(chunks))
        except Exception as e:
            with pytest.raises(type(e)):
                parse_fetch(chunks, False)
            continue
        assert strict(parse_fetch(chunks, False)) == want, chunks
        try:
            fast += strict(_parse(chunks, False)) == want
        except Exception:  # this one falls back to imapclient
            continue
    assert fast > 100  # the mutations exercise the fast path too, not only the fallback


@pytest.mark.server
def test_real_dovecot_responses_parse_as_imapclient_parses_them(
    dovecot_server: Dovecot, mail_user: MailUser
) -> None:
    from test_imap_records import CASES

    hostile = [path.read_bytes() for path in sorted(MAIL.glob("*.eml"))]
    generated = [raw for _, raw in itertools.islice(corpus(60, seed=3), 60)]
    dovecot_server.deliver(mail_user, "INBOX", [*hostile, *CASES, *generated])
    with dovecot_server.client(mail_user) as client:
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search("ALL"))
        imap = client._imap
        _, chunks = imap.uid("FETCH", ",".join(map(str, uids)), f"({' '.join(BASE_ITEMS)})")
        assert_same(chunks)
        parsed = parse_fetch(chunks, False)
        assert sorted(parsed) == uids
        assert all(HEADER_ITEM.replace(".PEEK", "").encode() in d for d in parsed.values())
        for uid, data in parsed.items():
            text = analyse(data[b"BODYSTRUCTURE"]).text
            if text is None:
                continue
            item = f"(INTERNALDATE BODY.PEEK[{text.section}]<0.{text.fetch_length(4096)}>)"
            _, chunks = imap.uid("FETCH", str(uid), item)
            assert_same(chunks)
