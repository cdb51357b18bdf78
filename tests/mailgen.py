"""Generated test mail: single messages for tests, realistic corpora for benchmarks.

Names and addresses are Example-style; nothing here comes from real mail.
"""

from __future__ import annotations

import base64
import mailbox
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

PEOPLE = [
    ("Ana Example", "ana@example.com"),
    ("Raj Sample", "raj@example.org"),
    ("Dana Placeholder", "dana@example.net"),
    ("Sam Demo", "sam@example.com"),
    ("Lee Testperson", "lee@example.org"),
    ("Penny Example", "penny@example.com"),
]
ME = ("Penny Example", "penny@example.com")

_TEXT = (
    "please send the numbers by friday and let me know if the deck is ready for the board "
    "meeting we agreed to review pricing next week thanks for the intro happy to help can "
    "you confirm the venue I will follow up with the team tomorrow morning"
)
WORDS = _TEXT.split(" ")


def make_message(
    n: int,
    *,
    subject: str | None = None,
    sender: tuple[str, str] = PEOPLE[0],
    to: tuple[str, str] = ME,
    date: datetime | None = None,
    body: str | None = None,
    html: bool = False,
    attachment: tuple[str, bytes] | None = None,
    message_id: str | None = "",
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One RFC 5322 message (CRLF line ends). ``message_id=None`` leaves the field out."""
    date = date or datetime(2024, 3, 1, 9, 0, tzinfo=UTC) + timedelta(hours=n)
    subject = subject if subject is not None else f"Message {n}"
    body = body if body is not None else f"Hello,\n\ncan you send the report {n} by Friday?\n"
    lines = [
        f"From: {sender[0]} <{sender[1]}>",
        f"To: {to[0]} <{to[1]}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(date)}",
        "MIME-Version: 1.0",
    ]
    if message_id is not None:
        lines.append(f"Message-ID: <{message_id or f'msg{n}@example.com'}>")
    if in_reply_to:
        lines += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    plain = body.replace("\n", "\r\n").encode()
    if not html and attachment is None:
        lines += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        return "\r\n".join(lines).encode() + b"\r\n\r\n" + plain
    boundary = f"b{n}x"
    parts: list[bytes] = []
    if html:
        alt = f"a{n}y"
        html_body = "<html><body>" + "".join(f"<p>{p}</p>" for p in body.split("\n") if p)
        html_body += "</body></html>"
        parts.append(
            (
                f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n'
                f"--{alt}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            ).encode()
            + plain
            + (
                f"\r\n--{alt}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                f"{html_body}\r\n--{alt}--\r\n"
            ).encode()
        )
    else:
        parts.append(b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + plain)
    if attachment is not None:
        name, data = attachment
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
        parts.append(
            (
                f'Content-Type: application/pdf; name="{name}"\r\n'
                f'Content-Disposition: attachment; filename="{name}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
            + encoded
        )
    lines.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
    out = "\r\n".join(lines).encode() + b"\r\n\r\n"
    for part in parts:
        out += f"--{boundary}\r\n".encode() + part + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def corpus(n: int, *, seed: int = 1) -> Iterator[tuple[str, bytes]]:
    """``n`` realistic messages as (folder, raw): ~80% INBOX, ~20% Sent.

    Threads of 1-6 messages, quoted replies, ~35% multipart/alternative with HTML,
    ~10% with a PDF attachment (20-400 KB), ~10% newsletters; bodies of 0.3-6 KB.
    """
    rng = random.Random(seed)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    thread_root: str | None = None
    thread_left = 0
    for i in range(n):
        sent = rng.random() < 0.2
        other = rng.choice(PEOPLE[:-1])
        sender, to = (ME, other) if sent else (other, ME)
        if thread_left <= 0:
            thread_root, thread_left = f"root{i}@example.com", rng.randint(1, 6)
            subject = " ".join(rng.choices(WORDS, k=rng.randint(3, 8))).capitalize()
        thread_left -= 1
        paragraphs = [
            " ".join(rng.choices(WORDS, k=rng.randint(20, 120))).capitalize() + "."
            for _ in range(rng.randint(1, 6))
        ]
        body = "Hi,\n\n" + "\n\n".join(paragraphs) + f"\n\nBest,\n{sender[0]}\n"
        if thread_root != f"root{i}@example.com":
            body += "\n" + "\n".join("> " + p[:200] for p in paragraphs[:3])
        headers = {"List-Id": "<news.example.com>"} if rng.random() < 0.1 else None
        attachment = None
        if rng.random() < 0.1:
            attachment = ("report.pdf", rng.randbytes(rng.randint(20_000, 400_000)))
        yield (
            "Sent" if sent else "INBOX",
            make_message(
                i,
                subject=("Re: " if thread_root != f"root{i}@example.com" else "") + subject,
                sender=sender,
                to=to,
                date=start + timedelta(minutes=37 * i),
                body=body,
                html=rng.random() < 0.35,
                attachment=attachment,
                message_id=f"m{i}@example.com",
                in_reply_to=thread_root if thread_root != f"root{i}@example.com" else None,
                headers=headers,
            ),
        )


def add_numbers_ask(box: mailbox.Maildir, n: int, when: datetime, sender: str) -> None:
    """Dana's "Could you send me the Q3 numbers?" to the test owner, as mail number ``n``
    (a reply nudge once two business days have passed)."""
    box.add(
        (
            f"From: Dana Lee <{sender}>\r\nTo: {ME[1]}\r\nSubject: numbers {n}\r\n"
            f"Date: {format_datetime(when)}\r\nMessage-ID: <d{n}@acme.example>\r\n\r\n"
            "Hi Penny,\r\n\r\nCould you send me the Q3 numbers?\r\n\r\nThanks\r\n"
        ).encode()
    )
