"""A record's web link survives the sanitiser only whole, clean and https."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from connectors.records import MailRecord
from connectors.sanitise import sanitise_record

RECORD = MailRecord("s", "INBOX", "inbox", "1", "m@x", "Hi", None, datetime(2026, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("https://mail.google.com/mail/#all/1789", True),
        (None, False),
        ("javascript:alert(1)", False),
        ("http://mail.example.com/t/1", False),
        ("https://evil.example/\x1b[2J", False),
        ("https://a.example/\u202egnp.exe", False),
        ("https://a.example/ spaced", False),
        ("https://a.example/" + "x" * 3000, False),
    ],
)
def test_web_link(link: str | None, kept: bool) -> None:
    out = sanitise_record(dataclasses.replace(RECORD, web_link=link))
    assert out.web_link == (link if kept else None)
