"""The digest email as built: parts, headers, and no header injection."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from digest_samples import HOSTILE_SUBJECT, NOW, TZ, every_kind, hostile

from followup.digest.send import build_message, make_subject
from followup.errors import UserError


def reparse(msg: EmailMessage) -> EmailMessage:
    out = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(out, EmailMessage)
    return out


def test_multipart_alternative_with_plain_and_html() -> None:
    msg = reparse(
        build_message(every_kind(), NOW, TZ, sender="penny@example.com", to="penny@example.com")
    )
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    plain, html = (p.get_content() for p in parts)
    assert "[3] Raj Patel <raj@beta.example>" in plain
    assert 'id="section-reply"' in html
    assert "Chase Raj Patel" in html


def test_headers() -> None:
    msg = reparse(
        build_message(
            every_kind(),
            NOW,
            TZ,
            sender="Penny Example <penny@example.com>",
            to="penny@example.com",
        )
    )
    assert msg["From"] == "Penny Example <penny@example.com>"
    assert msg["To"] == "penny@example.com"
    assert msg["Subject"] == "followup: 7 things for Thu 14 Mar"
    assert msg["X-Followup-Digest"] == "2024-03-14"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"].datetime == NOW
    assert msg["Date"].datetime.utcoffset().total_seconds() == -5 * 3600  # the user's zone
    mid = msg["Message-ID"]
    assert mid.startswith("<") and mid.endswith("@example.com>")
    other = build_message(every_kind(), NOW, TZ, sender="penny@example.com", to="penny@example.com")
    assert other["Message-ID"] != mid


def test_digest_day_is_the_users_local_day() -> None:
    late = datetime(2024, 3, 15, 3, 0, tzinfo=UTC)  # 22:00 on the 14th in Chicago
    msg = build_message(every_kind(), late, TZ, sender="p@example.com", to="p@example.com")
    assert msg["X-Followup-Digest"] == "2024-03-14"


def test_hostile_content_cannot_add_headers() -> None:
    template = "{count} for {date}\r\nBcc: victim@example.net\r\n" + HOSTILE_SUBJECT
    raw = build_message(
        [hostile(), *every_kind()],
        NOW,
        TZ,
        sender="p@example.com",
        to="p@example.com",
        subject=template,
    ).as_bytes()
    head, _, _ = raw.partition(b"\r\n\r\n")
    names = [
        line.split(b":")[0].lower()
        for line in head.split(b"\r\n")
        if line and not line[:1].isspace()
    ]
    assert b"bcc" not in names
    assert b"x-evil" not in names
    assert sorted(names) == sorted(
        [b"from", b"to", b"subject", b"date", b"message-id", b"x-followup-digest",
         b"auto-submitted", b"content-type", b"mime-version"]
    )  # fmt: skip
    msg = reparse(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
    assert msg["Subject"].startswith("8 for Thu 14 Mar Bcc: victim@example.net Invoice")
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_subject_placeholders_and_braces() -> None:
    assert (
        make_subject("{count} {date} {x}", count=3, date="Thu 14 Mar", summary="")
        == "3 Thu 14 Mar {x}"
    )
    assert make_subject("{summary}", count=1, date="", summary="1 to reply") == "1 to reply"
    assert make_subject("\r\n", count=0, date="", summary="") == "followup digest"


@pytest.mark.parametrize(
    "bad",
    ["penny@example.com\r\nBcc: x@example.net", "not an address", "a@b@c.example", ""],
)
def test_bad_addresses_are_user_errors(bad: str) -> None:
    with pytest.raises(UserError) as info:
        build_message([], NOW, TZ, sender="p@example.com", to=bad)
    assert "digest.to" in str(info.value)


def test_long_lines_survive_transport() -> None:
    raw = build_message([hostile()], NOW, TZ, sender="p@example.com", to="p@example.com").as_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998  # RFC 5322 §2.1.1
    msg = reparse(email.message_from_bytes(raw, policy=email.policy.default))  # type: ignore[arg-type]
    assert "x" * 300 in msg.get_body(("plain",)).get_content().replace("…", "")
