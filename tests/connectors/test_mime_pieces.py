"""The reusable pieces of connectors.mime, one behaviour each (IMAP calls them directly)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from connectors.mime import (
    SYNTHETIC_ID_FETCH_BYTES,
    automated_reason,
    decode_bytes,
    decode_header_value,
    decode_words,
    normalise_message_id,
    parse_addresses,
    parse_content_header,
    parse_date,
    parse_headers,
    split_fields,
    text_excerpt,
)
from connectors.records import Address


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [
        ("=?utf-8?q?Caf=C3=A9_cr=C3=A8me?=", "Café crème"),
        ("=?ISO-8859-1?Q?Andr=E9?= Example", "André Example"),
        ("=?utf-8?b?w4lsw6huZQ==?=", "Élène"),
        ("=?iso-8859-1?b?Q2Fm6Q==?=", "Café"),
        # whitespace between adjacent encoded words disappears, elsewhere it stays
        ("=?utf-8?q?a?= =?utf-8?q?b?= c", "ab c"),
        # a multi-byte character split across two words
        ("=?utf-8?b?w6k=?= =?utf-8?b?w6k=?=", "éé"),
        ("=?utf-8?b?ww==?==?utf-8?b?qQ==?=", "é"),
        # unknown charset: guessed (UTF-8 here), no exception
        ("=?x-unknown?q?Caf=C3=A9?=", "Café"),
        # bad base64 padding and junk are tolerated
        ("=?utf-8?b?Q2Fmw6k?=", "Café"),
        # RFC 2231 language suffix in the charset
        ("=?utf-8*en?q?Hello?=", "Hello"),
        ("plain text", "plain text"),
    ],
)
def test_decode_words(encoded: str, decoded: str) -> None:
    assert decode_words(encoded) == decoded


def test_decode_header_value_guesses_raw_8bit_bytes() -> None:
    assert decode_header_value("Café".encode()) == "Café"
    assert decode_header_value("Café".encode("latin-1")) == "Café"
    assert decode_header_value(b"Line one\r\n\tline two") == "Line one line two"


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("Grüße".encode(), "utf-8", "Grüße"),
        ("Grüße".encode("latin-1"), "utf-8", "Grüße"),  # mislabelled: UTF-8 invalid -> 1252
        ("Grüße".encode("latin-1"), "us-ascii", "Grüße"),
        ("“quoted”".encode("cp1252"), "iso-8859-1", "“quoted”"),
        ("Grüße".encode(), "x-unknown", "Grüße"),
        ("Grüße".encode(), "no-such-charset", "Grüße"),
        ("Grüße".encode(), "base64", "Grüße"),  # a bytes codec is not a charset
        ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
        ("Café".encode("latin-1"), "utf-8", "Café"),  # a lone lead byte at the end
    ],
)
def test_decode_bytes(data: bytes, charset: str, expected: str) -> None:
    assert decode_bytes(data, charset) == expected


def test_decode_bytes_partial_drops_a_cut_character() -> None:
    assert decode_bytes("Grüße".encode()[:-1], "utf-8", partial=True) == "Grüß"
    assert decode_bytes("Grüße".encode()[:-1], None, partial=True) == "Grüß"


def test_parse_addresses_decodes_and_lowercases() -> None:
    value = (
        '"Example, Ana" <Ana.Example@Example.COM>, =?utf-8?q?J=C3=B6rg_Muster?= <jm@example.org>,'
        " plain@example.net, =?utf-8?q?Lee=2C_Dana?= <dana@example.com>"
    )
    assert parse_addresses(value) == (
        Address("Example, Ana", "ana.example@example.com"),
        Address("Jörg Muster", "jm@example.org"),
        Address("", "plain@example.net"),
        Address("Lee, Dana", "dana@example.com"),
    )


def test_parse_addresses_repairs_unquoted_last_first() -> None:
    assert parse_addresses("Example, Ana <ana@example.com>, bo@example.com") == (
        Address("Example, Ana", "ana@example.com"),
        Address("", "bo@example.com"),
    )


def test_parse_addresses_groups_comments_and_empty() -> None:
    assert parse_addresses("undisclosed-recipients:;") == ()
    assert parse_addresses("") == ()
    assert parse_addresses("ana@example.com (Ana Example)") == (
        Address("Ana Example", "ana@example.com"),
    )
    # a name identical to the address carries no information
    assert parse_addresses("'ana@example.com' <ana@example.com>") == (
        Address("", "ana@example.com"),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fri, 1 Feb 2002 08:02:11 -0800 (PST)", datetime(2002, 2, 1, 16, 2, 11, tzinfo=UTC)),
        ("Tue, 5 Mar 2024 10:00:00 +0100", datetime(2024, 3, 5, 9, 0, tzinfo=UTC)),
        ("5 Mar 2024 10:00:00", datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),  # no zone: UTC
        ("Tue, 5 Mar 24 10:00:00 GMT", datetime(2024, 3, 5, 10, 0, tzinfo=UTC)),
        ("yesterday-ish", None),
        ("Tue, 45 Foo 2024 99:00:00 +0000", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_normalise_message_id() -> None:
    assert normalise_message_id(" <abc@host>\r\n") == "abc@host"
    assert normalise_message_id("abc@host") == "abc@host"
    assert normalise_message_id("junk <a.b@c> more") == "a.b@c"


def test_split_fields_unfolds_and_joins_address_fields() -> None:
    head = (
        b"From mbox-line Mon Jan  1 00:00:00 2024\n"
        b"Subject: one\n two\n"
        b"To: a@example.com\n"
        b"to: b@example.com\n"
        b"Subject: ignored second subject\n"
        b"garbage line without colon\n"
        b"X-Empty:\n"
    )
    fields = split_fields(head)
    assert fields["subject"] == b"one two"
    assert fields["to"] == b"a@example.com, b@example.com"
    assert fields["x-empty"] == b""
    assert "from mbox-line mon jan  1 00" not in fields


def test_parse_headers_synthesises_a_stable_message_id() -> None:
    head = b"From: a@example.com\r\nSubject: hi\r\nDate: Tue, 5 Mar 2024 10:00:00 +0000\r\n"
    body_crlf = b"Hello there,\r\nsecond line\r\n" * 100
    body_lf = body_crlf.replace(b"\r\n", b"\n")
    a = parse_headers(head, body_start=body_crlf[:SYNTHETIC_ID_FETCH_BYTES])
    b = parse_headers(head.replace(b"\r\n", b"\n"), body_start=body_lf[:SYNTHETIC_ID_FETCH_BYTES])
    c = parse_headers(head, body_start=b"another body")
    assert a.message_id_synthetic
    assert a.message_id.startswith("followup-")
    assert a.message_id.endswith("@local")
    assert a.message_id == b.message_id
    assert a.message_id != c.message_id


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"List-Id: <news.example.com>\n", "List-Id"),
        (b"List-Unsubscribe: <mailto:u@example.com>\n", "List-Unsubscribe"),
        (b"Precedence: bulk\n", "Precedence: bulk"),
        (b"Precedence: list\n", "Precedence: list"),
        (b"Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
        (b"Auto-Submitted: auto-generated; type=x\n", "Auto-Submitted: auto-generated"),
        (b"X-Autoreply: yes\n", "X-Autoreply"),
        (b"X-Autorespond: vacation\n", "X-Autorespond"),
        (b"Return-Path: <>\n", "empty Return-Path"),
        (b"From: MAILER-DAEMON@mx.example.com\n", "mailer-daemon sender"),
        (b"From: postmaster@example.com\n", "mailer-daemon sender"),
        (b"From: Shop <no-reply@shop.example>\n", "no-reply sender"),
        (b"From: noreply@example.com\n", "no-reply sender"),
        (b"From: donotreply@example.com\n", "no-reply sender"),
        (b"From: do-not-reply@example.com\n", "no-reply sender"),
        (b"From: notifications@github.example\n", "no-reply sender"),
        (b"From: a@example.com\nSubject: Automatic reply: Budget\n", "auto-reply subject"),
        (b"From: a@example.com\nSubject: Out of Office AutoReply: Budget\n", "auto-reply subject"),
        (b"From: a@example.com\nSubject: Auto: Budget\n", "auto-reply subject"),
        (b"Content-Type: multipart/report; report-type=delivery-status\n", "delivery report"),
        # Not automated: Outlook sets X-Auto-Response-Suppress on ordinary mail.
        (b"From: a@example.com\nX-Auto-Response-Suppress: All\n", None),
        (b"From: a@example.com\nAuto-Submitted: no\n", None),
        (b"From: a@example.com\nSubject: Out of office next week, can we meet?\n", None),
        (b"From: Ana <ana@example.com>\nReturn-Path: <ana@example.com>\n", None),
        (b"From: replyto@example.com\n", None),
    ],
)
def test_automated_reason(head: bytes, reason: str | None) -> None:
    assert automated_reason(split_fields(head)) == reason
    assert parse_headers(head).automated == reason


def test_parse_content_header() -> None:
    assert parse_content_header('text/plain; charset="utf-8"; format=flowed') == (
        "text/plain",
        {"charset": "utf-8", "format": "flowed"},
    )
    assert parse_content_header('multipart/mixed;\n boundary="a;b=c"') == (
        "multipart/mixed",
        {"boundary": "a;b=c"},
    )
    assert parse_content_header("") == ("", {})
    assert parse_content_header('text/plain; charset="unterminated') == (
        "text/plain",
        {"charset": "unterminated"},
    )


def test_text_excerpt_truncated_base64_and_qp() -> None:
    text = "Grüße aus Köln. " * 50
    b64 = base64.encodebytes(text.encode())
    # an IMAP partial fetch cuts wherever it likes
    out = text_excerpt(
        b64[:301], content_type="text/plain", charset="utf-8", transfer_encoding="base64", cap=50
    )
    assert out == text[:50].rstrip()
    qp = b"Gr=C3=BC=C3=9Fe=\n aus K=C3=B6ln=C"
    assert (
        text_excerpt(
            qp,
            content_type="text/plain",
            charset="utf-8",
            transfer_encoding="quoted-printable",
            cap=100,
        )
        == "Grüße aus Köln"
    )


def test_text_excerpt_html() -> None:
    html = (
        b"<html><head><title>T</title><style>p {color: red}</style></head><body>"
        b"<p>Hi&nbsp;Ana,</p><p>Can you send the <b>Q3</b> numbers?<br>Thanks &amp; bye</p>"
        b"<script>alert('x')</script><table><tr><td>a</td><td>b</td></tr></table>"
    )
    out = text_excerpt(
        html, content_type="text/html", charset="utf-8", transfer_encoding="7bit", cap=1000
    )
    assert out == "Hi Ana,\n\nCan you send the Q3 numbers?\nThanks & bye\n\na b"
    cut = text_excerpt(
        html[: html.index(b"<b>") + 2],
        content_type="text/html",
        charset=None,
        transfer_encoding=None,
        cap=1000,
    )
    assert cut == "Hi Ana,\n\nCan you send the"  # truncated mid-tag: no exception


def test_text_excerpt_caps_and_never_raises() -> None:
    assert (
        text_excerpt(
            b"x" * 100, content_type="text/plain", charset=None, transfer_encoding=None, cap=10
        )
        == "x" * 10
    )
    assert (
        text_excerpt(
            b"\xff\xfe\x00garbage",
            content_type="text/plain",
            charset="undefined",
            transfer_encoding="x-uuencode",
            cap=100,
        )
        == "ÿþgarbage"
    )
