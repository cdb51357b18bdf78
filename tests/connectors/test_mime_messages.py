"""parse_message on the hostile samples in tests/data/mail: exact decoded values."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.mime import parse_message
from connectors.records import Address, MailRecord, Skipped

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"
FALLBACK = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
PENNY = (Address("", "penny@example.com"),)
ANA = Address("Ana Example", "ana@example.com")


def parse(name: str, **kw: object) -> MailRecord | Skipped:
    raw = (MAIL / name).read_bytes()
    return parse_message(raw, source="test", folder="INBOX", role="inbox", uid="7", **kw)  # type: ignore[arg-type]


def record(name: str, **kw: object) -> MailRecord:
    r = parse(name, **kw)
    assert isinstance(r, MailRecord), r
    return r


def test_record_identity_fields() -> None:
    r = record("bad_charset.eml")
    assert (r.source, r.folder, r.role, r.uid, r.uidvalidity) == ("test", "INBOX", "inbox", "7", "")
    assert r.size == (MAIL / "bad_charset.eml").stat().st_size


def test_unknown_charset_is_decoded_as_utf8() -> None:
    r = record("bad_charset.eml")
    assert r.subject == "Grüße from the office"
    assert r.excerpt == "Grüße aus Köln. Can you send the deck by Friday?"
    assert r.date == datetime(2024, 3, 5, 8, 15, tzinfo=UTC)
    assert r.sender == ANA
    assert r.to == PENNY


def test_wrong_charset_falls_back_to_windows_1252() -> None:
    assert record("wrong_charset.eml").excerpt == "Café au lait, crème brûlée."


def test_multipart_without_boundary_is_read_as_text() -> None:
    r = record("broken_mime.eml")
    assert r.excerpt == (
        "This multipart message has no boundary parameter.\nPlease review the contract."
    )
    assert r.date == datetime(2024, 3, 6, 13, 0, tzinfo=UTC)
    assert r.attachments == ()


def test_boundary_that_never_occurs_is_read_as_text() -> None:
    assert record("boundary_not_found.eml").excerpt == "Plain words where parts should be."


def test_no_date_without_fallback_is_skipped() -> None:
    assert parse("no_date.eml") == Skipped("INBOX", "7", "no Date header and no fallback date")


def test_no_date_uses_the_fallback() -> None:
    r = record("no_date.eml", fallback_date=FALLBACK)
    assert r.date == FALLBACK
    assert r.subject == "No date here"


def test_naive_fallback_counts_as_utc_and_aware_is_converted() -> None:
    naive = datetime(2024, 1, 2, 3, 4, 5)
    assert record("no_date.eml", fallback_date=naive).date == FALLBACK
    plus2 = FALLBACK.astimezone(timezone(timedelta(hours=2)))
    r = record("no_date.eml", fallback_date=plus2)
    assert r.date == FALLBACK
    assert r.date.tzinfo is UTC


def test_unparseable_date_uses_the_fallback_or_says_why() -> None:
    raw = b"From: a@example.com\nDate: someday soon\nSubject: x\n\nbody\n"
    skipped = parse_message(raw, source="s", folder="F", role="other", uid="1")
    assert skipped == Skipped("F", "1", "unparseable Date header and no fallback date")
    r = parse_message(raw, source="s", folder="F", role="other", uid="1", fallback_date=FALLBACK)
    assert isinstance(r, MailRecord)
    assert r.date == FALLBACK


def test_rfc2047_names_and_subjects() -> None:
    r = record("rfc2047.eml")
    assert r.subject == "Réunion à Zürich– agenda"
    assert r.sender == Address("Jörg Muster", "joerg.muster@example.de")
    assert r.to == (
        Address("André Exemple", "andre@example.fr"),
        Address("Élène Exemple", "elene@example.fr"),
    )
    assert r.cc == (Address("Café Team", "cafe@example.fr"),)


def test_html_only_is_converted_to_text() -> None:
    assert record("html_only.eml").excerpt == (
        "Hi Penny,\n\nCould you confirm the venue by Monday?\nThanks & regards,\nAna"
        "\n\nCafé é – done"
    )


def test_base64_text() -> None:
    assert record("base64_text.eml").excerpt == (
        "Hello Penny,\n\nI'll send the slides tomorrow. Grüße, Ana"
    )


def test_attachments_are_named_and_plain_text_preferred() -> None:
    r = record("attachment.eml")
    assert r.excerpt == "Here is the report. Can you review it?"
    assert r.attachments == ("Résumé 2024.pdf", "Grüße.png", "notes.txt")
    assert r.automated is None


def test_newsletter_is_automated_and_plain_part_chosen_after_html() -> None:
    r = record("newsletter.eml")
    assert r.automated == "List-Unsubscribe"
    assert r.excerpt == "Top story: read more on the website."


def test_autoreply() -> None:
    r = record("autoreply.eml")
    assert r.automated == "Auto-Submitted: auto-replied"
    assert r.in_reply_to == "budget-1@example.com"
    assert r.references == ("budget-0@example.com", "budget-1@example.com")


def test_bounce() -> None:
    r = record("bounce.eml")
    assert r.automated == "empty Return-Path"
    assert r.sender == Address("Mail Delivery System", "mailer-daemon@mx.example.com")
    assert r.excerpt.startswith("This is the mail system at host mx.example.com.\n")
    assert r.attachments == ("forwarded message",)
    # Without the Return-Path the sender alone gives it away.
    raw = (MAIL / "bounce.eml").read_bytes().replace(b"Return-Path: <>\n", b"")
    r2 = parse_message(raw, source="s", folder="F", role="other", uid="1")
    assert isinstance(r2, MailRecord)
    assert r2.automated == "delivery report"


def test_last_first_display_names() -> None:
    r = record("last_first.eml")
    assert r.sender == Address("Example, Ana", "ana.example@example.com")
    assert r.to == (
        Address("Lee, Dana", "dana.lee@example.com"),
        Address("O'Example, Sam", "sam@example.com"),
    )
    assert r.cc == (Address("Penny Example", "penny@example.com"), Address("", "bo@example.com"))
    assert r.reply_to == (Address("Ana Assistant", "assistant@example.com"),)
    assert r.in_reply_to == "q3-numbers@example.com"
    assert r.date == datetime(2024, 3, 12, 20, 0, tzinfo=UTC)


def test_eight_bit_header_bytes() -> None:
    r = record("eight_bit_headers.eml")
    assert r.subject == "Grüße – Zürich"  # raw UTF-8
    assert r.sender == Address("Jörg Muster", "joerg@example.de")
    assert r.to == (Address("André Exemple", "andre@example.fr"),)  # raw Latin-1


def test_missing_message_id_is_synthesised_stably() -> None:
    a = record("no_message_id.eml")
    b = record("no_message_id.eml")
    assert a.message_id == b.message_id
    assert a.message_id.startswith("followup-")
    assert a.message_id.endswith("@local")
    raw = (MAIL / "no_message_id.eml").read_bytes()
    crlf = parse_message(
        raw.replace(b"\n", b"\r\n"), source="other", folder="X", role="other", uid="9"
    )
    assert isinstance(crlf, MailRecord)
    assert crlf.message_id == a.message_id  # same message, other line ends, same id
    changed = parse_message(
        raw.replace(b"Same body", b"Other body"), source="s", folder="F", role="other", uid="1"
    )
    assert isinstance(changed, MailRecord)
    assert changed.message_id != a.message_id


@pytest.mark.parametrize("name", sorted(p.name for p in MAIL.glob("*.eml")))
def test_crlf_and_lf_give_the_same_record(name: str) -> None:
    raw = (MAIL / name).read_bytes()
    lf = parse_message(raw, source="s", folder="F", role="other", uid="1", fallback_date=FALLBACK)
    crlf = parse_message(
        raw.replace(b"\n", b"\r\n"),
        source="s",
        folder="F",
        role="other",
        uid="1",
        fallback_date=FALLBACK,
    )
    assert isinstance(lf, MailRecord)
    assert isinstance(crlf, MailRecord)
    assert crlf.excerpt == lf.excerpt
    assert crlf.subject == lf.subject
    assert (crlf.sender, crlf.to, crlf.cc, crlf.date) == (lf.sender, lf.to, lf.cc, lf.date)
    assert crlf.attachments == lf.attachments
    assert crlf.automated == lf.automated


def test_huge_header_is_skipped() -> None:
    raw = (
        b"From: a@example.com\nDate: Tue, 05 Mar 2024 10:00:00 +0000\n"
        + b"X-Junk: "
        + b"x" * (1 << 20)
        + b"\nSubject: big\n\nbody\n"
    )
    assert parse_message(raw, source="s", folder="F", role="other", uid="1") == Skipped(
        "F", "1", "header section larger than 1 MiB"
    )


def test_big_body_is_fine_and_excerpt_capped() -> None:
    raw = b"From: a@example.com\nDate: Tue, 05 Mar 2024 10:00:00 +0000\n\n" + b"word " * 400_000
    r = parse_message(raw, source="s", folder="F", role="other", uid="1", max_excerpt=100)
    assert isinstance(r, MailRecord)
    assert r.excerpt == ("word " * 20).strip()
    assert r.size == len(raw)
    r0 = parse_message(raw, source="s", folder="F", role="other", uid="1", max_excerpt=0)
    assert isinstance(r0, MailRecord)
    assert r0.excerpt == ""


@pytest.mark.parametrize(
    "raw",
    [b"", b"\n\nonly a body\n", b"\x00\x01\x02 binary garbage \xff\xfe", b"just some text"],
)
def test_not_an_email(raw: bytes) -> None:
    assert parse_message(raw, source="s", folder="F", role="other", uid="1") == Skipped(
        "F", "1", "not an email message (no headers)"
    )


def test_mangled_samples_never_raise() -> None:
    """Truncations and random byte damage of every sample: a record or a Skipped."""
    rng = random.Random(1234)
    outcomes = {MailRecord: 0, Skipped: 0}
    for path in sorted(MAIL.glob("*.eml")):
        raw = path.read_bytes()
        variants = [raw[:cut] for cut in range(0, len(raw), 13)]
        for _ in range(30):
            b = bytearray(raw)
            for _ in range(rng.randint(1, 20)):
                b[rng.randrange(len(b))] = rng.randrange(256)
            variants.append(bytes(b))
        for v in variants:
            r = parse_message(v, source="s", folder="F", role="other", uid="1")
            assert isinstance(r, MailRecord | Skipped)
            outcomes[type(r)] += 1
            if isinstance(r, MailRecord):
                assert r.date.tzinfo is UTC
                assert all(a.email == a.email.lower() for a in (*r.to, *r.cc))
    assert outcomes[MailRecord] > outcomes[Skipped] > 0
