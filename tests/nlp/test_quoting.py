from __future__ import annotations

import pytest

from nlp.quoting import clean_body, split_body

CASES = [
    # (name, text, must keep, must drop)
    (
        "gmail attribution",
        "Sounds good, I'll send it.\n\nOn Mon, Jan 5, 2024 at 10:00 AM Dana Example "
        "<dana@example.com> wrote:\n> Can you send the deck?\n",
        "I'll send it",
        "Can you send",
    ),
    (
        "wrapped attribution",
        "Yes.\n\nOn Mon, Jan 5, 2024 at 10:00 AM Dana Example <\ndana@example.com> wrote:\n"
        "Can you send the deck?",
        "Yes.",
        "Can you send",
    ),
    (
        "outlook original message",
        "Will do.\n\n-----Original Message-----\nFrom: Dana\nSent: Monday\n"
        "Please review the contract.",
        "Will do.",
        "review the contract",
    ),
    (
        "outlook header block",
        "Done, see attached.\n\n________________________________\nFrom: Dana Example\n"
        "Sent: Monday, January 5, 2024 10:00 AM\nTo: Sam Example\nSubject: Deck\n\n"
        "Could you send the deck?",
        "Done, see attached.",
        "Could you send",
    ),
    (
        "outlook header block without separator",
        "Done.\n\nFrom: Dana Example\nSent: Monday, January 5, 2024 10:00 AM\nTo: Sam\n"
        "Subject: Deck\n\nCould you send the deck?",
        "Done.",
        "Could you send",
    ),
    (
        "interleaved quotes",
        "> Can you come Friday?\nYes, I will be there.\n> And bring the slides?\nSure.",
        "Yes, I will be there.",
        "bring the slides",
    ),
    (
        "forwarded message",
        "FYI, see below.\n\n---------- Forwarded message ----------\nFrom: Dana\n"
        "Please pay the invoice today.",
        "FYI, see below.",
        "pay the invoice",
    ),
    (
        "lotus forwarded",
        "Look at this.\n---------------------- Forwarded by Sam Example/HOU/ACME on "
        "01/05/2001 10:00 AM ---------------------------\nSend me the list.",
        "Look at this.",
        "Send me the list",
    ),
    (
        "lotus reply header on one line",
        'Fine by me.\n\n"Dana Example" <dana@example.com> on 04/26/2001 08:15 PM\n'
        "To: Sam Example/HOU/ACME@ACME\ncc:\nSubject: Re: lease\n\nCan you send the lease?",
        "Fine by me.",
        "send the lease",
    ),
    (
        "lotus reply header on one line, notes address, no fields after",
        "Agreed.\n\nDana Example/HOU/ACME@ACME on 04/26/2001 08:15:33 AM\n\n"
        "Could you call the bank?",
        "Agreed.",
        "call the bank",
    ),
    (
        "lotus reply header in columns",
        "See you there.\n\n\n"
        '                    "Example, Dana"\n'
        "                    <dana.example@e        To:     Sam Example/ACME@ACME\n"
        "                    xample.com>            cc:\n"
        "                                           Subject:     RE: Lunch\n"
        "                    02/06/02\n"
        "                    03:15 PM\n\n"
        "Has anyone booked the table yet?",
        "See you there.",
        "booked the table",
    ),
    (
        "a date and time in the writer's own sentence stays",
        "We spoke on 04/26/2001 08:15 PM\nand I will send the notes.",
        "I will send the notes",
        "Original",
    ),
    (
        "dash signature",
        "I'll call you tomorrow.\n-- \nSam Example\nCall me: +1 555 0100",
        "I'll call you tomorrow.",
        "Call me",
    ),
    (
        "closing signature",
        "Please send the numbers.\n\nThanks,\nSam Example\nDirector, Example Corp\n555-0100",
        "Please send the numbers.",
        "Director",
    ),
    (
        "mobile signature",
        "On my way, will call you in 5.\n\nSent from my iPhone",
        "will call you",
        "iPhone",
    ),
    (
        "legal footer",
        "Can you confirm by Friday?\n\nThis e-mail and any attachments are confidential "
        "and intended solely for the addressee. Please delete it if received in error.",
        "Can you confirm",
        "delete it",
    ),
]


@pytest.mark.parametrize(("name", "text", "keep", "drop"), CASES, ids=[c[0] for c in CASES])
def test_clean_body(name: str, text: str, keep: str, drop: str) -> None:
    cleaned = clean_body(text)
    assert keep in cleaned
    assert drop not in cleaned


def test_thanks_at_the_top_is_not_a_signature() -> None:
    text = "Thanks!\nI'll send the revised deck by Friday.\nCan you check page 3?"
    assert clean_body(text) == text


def test_plain_text_untouched_and_empty() -> None:
    assert clean_body("Can you send it?") == "Can you send it?"
    assert clean_body("") == ""


def test_split_body_keeps_signature_and_quote_apart() -> None:
    parts = split_body("Ok.\n\nBest,\nDana Example\n\n-----Original Message-----\nFrom: Sam")
    assert parts.body == "Ok."
    assert "Dana Example" in parts.signature
    assert "From: Sam" in parts.quoted
