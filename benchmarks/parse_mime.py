"""Messages/s of connectors.mime against the stdlib parser, on generated messages.

    python benchmarks/parse_mime.py [--count 5000]

Prints msgs/s for: the raw stdlib ``BytesHeaderParser`` (compat32) + ``getaddresses``
baseline, ``parse_headers`` alone, and ``parse_message`` (headers, MIME walk, excerpt),
plus the full compat32 ``message_from_bytes`` + walk for reference.
"""

from __future__ import annotations

import argparse
import base64
import random
import time
from collections.abc import Callable
from email import message_from_bytes
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from connectors.mime import parse_headers, parse_message

WORDS = [
    "the",
    "deck",
    "numbers",
    "quarter",
    "meeting",
    "send",
    "review",
    "please",
    "thanks",
    "budget",
    "call",
    "tomorrow",
    "friday",
    "draft",
    "contract",
    "team",
    "update",
    "schedule",
    "invoice",
    "venue",
    "agenda",
    "notes",
    "follow",
]


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + "."


def _body(rng: random.Random, size: int) -> str:
    lines: list[str] = []
    while sum(len(line) + 1 for line in lines) < size:
        lines.append(_sentence(rng))
    return "\n".join(lines)


def make_message(i: int, rng: random.Random) -> bytes:
    """A ~11 KB message; a third multipart/alternative, some with an attachment."""
    to = ", ".join(
        f'"Person {j}, Example" <person{j}@example.com>' for j in range(rng.randint(1, 8))
    )
    head = (
        f"Return-Path: <sender{i % 50}@example.org>\n"
        f"Received: from mx.example.org by mail.example.com; Tue, 5 Mar 2024 10:00:00 +0000\n"
        f"Received: from client by mx.example.org; Tue, 5 Mar 2024 09:59:59 +0000\n"
        f"Message-ID: <{i}.{rng.random()}@example.org>\n"
        f"Date: Tue, {1 + i % 28} Mar 2024 10:{i % 60:02d}:00 +0100\n"
        f"From: =?utf-8?q?Sender_{i % 50}_M=C3=BCller?= <sender{i % 50}@example.org>\n"
        f"To: {to}\n"
        f"Cc: Someone <someone@example.net>\n"
        f"Subject: =?utf-8?q?Re=3A_Budget_{i}_=E2=80=93_review?=\n"
        f"In-Reply-To: <{i - 1}@example.org>\n"
        f"References: <{i - 2}@example.org> <{i - 1}@example.org>\n"
        f"MIME-Version: 1.0\n"
        f"X-Mailer: Example Mail 1.0\n"
        f"Thread-Index: {base64.b64encode(rng.randbytes(30)).decode()}\n"
    )
    text = _body(rng, 6000)
    kind = i % 3
    if kind == 0:
        return (head + "Content-Type: text/plain; charset=utf-8\n\n" + text + "\n").encode()
    html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n")) + "</body></html>"
    parts = [
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable"
        f"\n\n{text}\n",
        f"Content-Type: text/html; charset=utf-8\n\n{html}\n",
    ]
    body = "".join(f"--alt\n{p}" for p in parts) + "--alt--\n"
    if kind == 2:
        attachment = base64.encodebytes(rng.randbytes(3000)).decode()
        body = (
            "--mix\nContent-Type: multipart/alternative; boundary=alt\n\n"
            + body
            + "--mix\nContent-Type: application/pdf\n"
            + 'Content-Disposition: attachment; filename="report.pdf"\n'
            + "Content-Transfer-Encoding: base64\n\n"
            + attachment
            + "--mix--\n"
        )
        return (head + 'Content-Type: multipart/mixed; boundary="mix"\n\n' + body).encode()
    return (head + "Content-Type: multipart/alternative; boundary=alt\n\n" + body).encode()


def stdlib_headers(raw: bytes) -> object:
    msg = BytesHeaderParser().parsebytes(raw)
    return (
        getaddresses(msg.get_all("from", []) + msg.get_all("to", []) + msg.get_all("cc", [])),
        msg.get("subject"),
        msg.get("date"),
        msg.get("message-id"),
    )


def stdlib_full(raw: bytes) -> object:
    msg = message_from_bytes(raw)
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True)
    return None


def ours_headers(raw: bytes) -> object:
    end = raw.find(b"\n\n")
    return parse_headers(raw[:end])


def ours_full(raw: bytes) -> object:
    return parse_message(raw, source="bench", folder="INBOX", role="inbox", uid="1")


def measure(fn: Callable[[bytes], object], messages: list[bytes]) -> float:
    start = time.perf_counter()
    for raw in messages:
        fn(raw)
    return len(messages) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random(42)
    messages = [make_message(i, rng) for i in range(args.count)]
    size = sum(map(len, messages)) / len(messages)
    print(f"{len(messages)} generated messages, {size / 1024:.1f} KB on average")
    baseline = measure(stdlib_headers, messages)
    rows = [
        ("stdlib BytesHeaderParser + getaddresses (baseline)", baseline),
        ("connectors.mime.parse_headers", measure(ours_headers, messages)),
        ("connectors.mime.parse_message (headers + MIME + excerpt)", measure(ours_full, messages)),
        ("stdlib message_from_bytes + walk to text/plain", measure(stdlib_full, messages)),
    ]
    for label, rate in rows:
        print(f"{label:60s} {rate:9,.0f} msgs/s  {rate / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
