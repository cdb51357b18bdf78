"""Bulk mail recognised by its own text and role-account senders, not by quoted text."""

from __future__ import annotations

import pytest

from connectors.automated import automated_reason, bulk_text_reason
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
