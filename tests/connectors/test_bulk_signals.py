"""Bulk mail recognised by its own text and role-account senders, not by quoted text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.automated import (
    _BULK_TEXT,
    _LEGAL_AFTER,
    _LEGAL_BEFORE,
    automated_reason,
    bulk_text_reason,
)
from connectors.mime import parse_message
from connectors.records import Address


@pytest.mark.parametrize(
    "text",
    [
        "Big sale!\n\nTo unsubscribe, click here.",
        "You have received this email because you are listed as an approver.",
        "You are receiving this message because you signed up.",
        "This is an automated message. Please do not reply to this email.",
        "Can't see the images? View this email in your browser.",
        "Manage your email preferences at any time.",
    ],
)
def test_bulk_phrases(text):
    assert bulk_text_reason(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Could you send me the numbers by Friday?",
        # A person forwarding a newsletter with a question of their own stays personal.
        "Can you look at this offer?\n\n---------- Forwarded message ---------\n"
        "To unsubscribe click",
        "Thanks!\n\n> You are receiving this message because you signed up.",
    ],
)
def test_personal_text_is_not_bulk(text):
    assert bulk_text_reason(text) is None


@pytest.mark.parametrize(
    ("email", "bulk"),
    [
        ("customersvc@shop.example", True),
        ("support3@tools.example", True),
        ("newsletter@acme.example", True),
        ("dana.support@acme.example", False),
        ("dana@acme.example", False),
    ],
)
def test_role_account_senders(email, bulk):
    assert (automated_reason({}, sender=Address("", email), subject="Hi") is not None) == bulk


def test_parse_message_flags_bulk_text():
    raw = (
        b"From: Access System <access@corp.example>\r\nTo: me@corp.example\r\n"
        b"Subject: Request Submitted\r\nDate: Tue, 08 Jan 2002 10:00:00 -0600\r\n\r\n"
        b"You have received this email because you are listed as a data approver.\r\n"
        b"Please click approve or reject.\r\n"
    )
    rec = parse_message(raw, source="s", folder="INBOX", role="inbox", uid="1")
    assert rec.automated is not None and rec.automated.startswith("bulk text")


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("book-news@shop.example", True),
        ("sap_security@corp.example", True),
        ("feedback@vendor.example", True),
        ("arsystem@mailman.corp.example", True),
        ("anyone@lists.project.example", True),
        ("dana.lee@corp.example", False),
        ("newsome@corp.example", False),  # "news" only as a whole word
        ("raj@mail.beta.example", False),
    ],
)
def test_role_addresses(email, role):
    from connectors.automated import role_address_reason

    assert (role_address_reason(email) is not None) == role


@pytest.mark.parametrize(
    "text",
    [
        "If you wish to be removed from this mailing list, just reply.",
        "To be removed from future mailings, write to us.",
        "Reply with REMOVE in the subject line.",
        'Send an e-mail with "remove" in the subject.',
        "To remove your email address from this list, go to our site.",
        "If you'd rather not receive future e-mails of this sort, visit your account page.",
        "This message was sent automatically by the reporting system.",
        "This e-mail was sent to dana@example.com because you asked for updates.",
        "An automated notification from the request system.",
        # the user's own answer to a list: not a conversation with a person
        "Please take me off your mailing list.",
    ],
)
def test_remove_and_automatic_wording(text):
    assert bulk_text_reason(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        # Legal footers of person-to-person mail are not bulk wording.
        "Can you call me?\n\nIf you have received this e-mail in error, please notify the "
        "sender and delete it.",
        "See you Friday.\n\nIf you received this message by mistake, please delete it.",
        "This e-mail was sent to you in error; please tell the sender.",
        # "remove" in a person's own sentence
        "Please remove the old deal from the book.",
        "I removed the file from the shared drive.",
    ],
)
def test_legal_footers_and_ordinary_remove_are_not_bulk(text):
    assert bulk_text_reason(text) is None


@pytest.mark.parametrize(
    ("email", "reason"),
    [
        ("info@conference.example", "role-account sender"),
        ("update@vendor.example", "role-account sender"),
        ("clearbot@mail.broker.example", "robot sender"),
        ("news-bot@feeds.example", "role-account sender"),
        ("r-3-10293-ab7f@lists.example", "VERP sender"),
        ("bounce-dana=example.com@mail.example", "no-reply sender"),
        ("list-1234-5678-x@send.example", "VERP sender"),
        ("talbot@corp.example", None),  # a surname ending in "bot"
        ("dana.lee.2@corp.example", None),
        ("k..allen@corp.example", None),
    ],
)
def test_more_role_senders(email, reason):
    from connectors.automated import role_address_reason

    assert role_address_reason(email) == reason


@pytest.mark.parametrize(
    ("subject", "machine"),
    [
        ("(Broker) : Portfolio Update, Tue Jan  8 2002", True),
        ("Portfolio update, Tue Jan 8, 2002", True),
        ("The Energy Newsletter - January", True),
        ("Weekly Digest", True),
        ("Order Confirmation #1234", True),
        ("Your order has shipped", True),
        ("RE: Energy Newsletter", False),  # a person answering one
        ("FW: Portfolio Update, Tue Jan 8 2002", False),
        ("Weekly report", False),
        ("the deal update", False),
        ("Lunch on Friday?", False),
    ],
)
def test_machine_subjects(subject, machine):
    reason = automated_reason({}, sender=Address("Dana Lee", "dana@corp.example"), subject=subject)
    assert (reason == "machine subject") == machine


def test_newsletter_display_name():
    sender = Address("The Gas Daily Newsletter", "dana@publisher.example")
    assert automated_reason({}, sender=sender, subject="Hi") == "newsletter sender name"
    person = Address("Dana Newsome", "dana@publisher.example")
    assert automated_reason({}, sender=person, subject="Hi") is None


def _message(body: str, *, ctype: str = "text/plain; charset=utf-8", cte: str = "8bit") -> bytes:
    head = (
        "From: Dana Lee <dana@vendor.example>\r\nTo: me@corp.example\r\n"
        "Subject: Seminars this spring\r\nDate: Tue, 08 Jan 2002 10:00:00 -0600\r\n"
        f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode() + body.encode()


FILLER = "Our seminars cover risk, trading and statistics for the power markets.\n" * 300


def test_footer_far_past_the_excerpt_is_seen():
    body = FILLER + "\nTo be removed from\nour mailing list, reply to this message.\n"
    assert len(FILLER) > 20_000
    rec = parse_message(_message(body), source="s", folder="INBOX", role="inbox", uid="1")
    assert len(rec.excerpt) <= 4096
    assert rec.automated == "bulk text: 'to be removed from our'"


def test_footer_far_past_the_excerpt_in_html_and_base64():
    import base64

    html = (
        "<html><body>"
        + FILLER.replace("\n", "<br>")
        + (
            "<p>If you would rather not receive <b>future</b> mail, "
            "<a href='x'>unsubscribe</a>.</p></body></html>"
        )
    )
    raw = _message(base64.encodebytes(html.encode()).decode(), ctype="text/html", cte="base64")
    rec = parse_message(raw, source="s", folder="INBOX", role="inbox", uid="1")
    assert rec.automated == "bulk text: 'rather not receive future'"


def test_legal_footer_far_down_keeps_the_mail_personal():
    body = FILLER + (
        "\nThis e-mail is confidential. If you have received this e-mail in error, "
        "please notify the sender and delete it.\n"
    )
    rec = parse_message(_message(body), source="s", folder="INBOX", role="inbox", uid="1")
    assert rec.automated is None


def test_footer_in_a_quoted_newsletter_stays_out():
    body = (
        "Can you look at the dates below?\n\n-----Original Message-----\n"
        + FILLER
        + "To be removed from our mailing list, reply.\n"
    )
    rec = parse_message(_message(body), source="s", folder="INBOX", role="inbox", uid="1")
    assert rec.automated is None


# The bulk wording with the most words before its cheap hint, and a legal footer that
# explains a match away: the search starts at the first hint, less the longest lead.
LEAD_PHRASES = [
    "Can't see it? View this message on your web browser.",
    "Change your subscription preferences here.",
    "Write back to this e-mail with 'remove' in it.",
    "If you no longer wish to receive these updates, click.",
    "This e-mail is an auto-generated notice.",
    "This newsletter has been sent to you.",
    "If you have received this e-mail in error, delete it. You received this message as a member.",
]


@pytest.mark.parametrize("phrase", LEAD_PHRASES)
@pytest.mark.parametrize("before", ["", "Thanks for the report on the venue. " * 40])
def test_bulk_wording_found_whatever_its_lead(phrase, before):
    assert bulk_text_reason(before + phrase) is not None
    assert bulk_text_reason(before + phrase.upper()) is not None


@given(st.lists(st.sampled_from([*LEAD_PHRASES, "we received the deck.", "Ok.", "\n\n"])))
def test_bulk_reason_is_the_first_unexplained_match(parts):
    # The reference: every match of the whole own text, the first not explained away.
    text = " ".join(parts)
    own = " ".join(text.split())
    expected = None
    for hit in _BULK_TEXT.finditer(own):
        legal = _LEGAL_AFTER.match(own, hit.end()) or (
            hit.group(0).lower().startswith(("you have received", "you received"))
            and _LEGAL_BEFORE.search(own, max(0, hit.start() - 30), hit.start())
        )
        if not legal:
            expected = f"bulk text: {' '.join(hit.group(0).lower().split())!r}"
            break
    assert bulk_text_reason(text) == expected
