"""Texts of generated mail for the identity tests of text-scanning code: the
benchmark's real-shaped mailbox (quoted replies, Outlook blocks, forwards, signatures,
footers), the MIME-heavy test corpus and the hostile mail of the tests."""

from __future__ import annotations

import email
import email.policy
import importlib.util
import sys
from pathlib import Path

from mailgen import corpus as mime_corpus

REPO = Path(__file__).resolve().parents[1]


def mail_texts(generated_seed: int, mime_seed: int) -> list[str]:
    """Every text part, decoded, and every whole source (headers and all: more hints
    than any body)."""
    spec = importlib.util.spec_from_file_location(
        "mailbox_gen", REPO / "benchmarks" / "mailbox_gen.py"
    )
    assert spec and spec.loader
    mailbox_gen = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mailbox_gen", mailbox_gen)
    spec.loader.exec_module(mailbox_gen)
    raws = [raw for _, raw in mailbox_gen.messages(1500, seed=generated_seed)]
    raws += [raw for _, raw in mime_corpus(300, seed=mime_seed)]
    raws += [p.read_bytes() for p in sorted((REPO / "tests/data/hostile/mail").glob("*"))]
    out = []
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    out.append(payload.decode("utf-8", "replace"))
        out.append(raw.decode("latin-1"))
    return out
