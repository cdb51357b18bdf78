"""Signals that a message is bulk or automated mail, not written by a person to the user."""

from __future__ import annotations

import re
from collections.abc import Mapping

from connectors.charsets import decode_header_value
from connectors.headers import parse_addresses
from connectors.records import Address

_NOREPLY_LOCAL = re.compile(
    r"^(?:.*no[-_.]?reply.*|do[-_.]?not[-_.]?reply.*|notifications?|notify|alerts?"
    r"|bounces?(?:[-+_.].*)?|auto[-_.]?(?:reply|responder|confirm).*)$"
)
# Role accounts that send bulk or service mail rather than a person's message.
_BULK_LOCAL = re.compile(
    r"^(?:news(?:letters?)?|marketing|promo(?:tions?)?|offers|deals|updates|digest|mailer"
    r"|customer[-_.]?(?:svc|service|care)|support\d*|greetings|e?mail[-_.]?(?:list|alerts?))$"
)
# The same, as one word of a longer local part ("book-news", "sap_security").
_ROLE_WORDS = {
    "news",
    "newsletter",
    "newsletters",
    "marketing",
    "promo",
    "promotions",
    "offers",
    "deals",
    "updates",
    "digest",
    "mailer",
    "mailman",
    "notifications",
    "alerts",
    "security",
    "helpdesk",
    "customersvc",
    "customerservice",
    "billing",
    "orders",
    "receipts",
    "feedback",
    "survey",
    "surveys",
    "arsystem",
    "webmaster",
}
# Sending hosts of list servers and bulk senders: "x@mailman.corp.example".
_BULK_HOST = {
    "mailman",
    "lists",
    "list",
    "bounce",
    "bounces",
    "news",
    "newsletter",
    "mailer",
    "mkt",
}


def role_address_reason(email: str) -> str | None:
    """Why ``email`` is a role or bulk-sending address rather than a person's, or None."""
    local, _, domain = email.partition("@")
    if _DAEMON_LOCAL.match(local):
        return "mailer-daemon sender"
    if _NOREPLY_LOCAL.match(local):
        return "no-reply sender"
    if _BULK_LOCAL.match(local) or _ROLE_WORDS.intersection(re.split(r"[-_.+]", local)):
        return "role-account sender"
    labels = domain.split(".")
    if len(labels) >= 3 and labels[0] in _BULK_HOST:
        return "list-server sender"
    return None


# Phrases bulk and machine mail carries in its own text (not in a quoted message).
_BULK_TEXT = re.compile(
    r"\bunsubscribe\b|\bopt[- ]out\b"
    r"|\byou (?:are receiving|have received|received) this (?:e-?mail|message|notification)"
    r"|\bthis (?:is an |e-?mail is an |message is an? |message was )?"
    r"(?:automated|automatically generated|auto-generated)\b"
    r"|\b(?:please )?do not (?:reply|respond) to this (?:e-?mail|message)"
    r"|\bview (?:this (?:e-?mail|message)|it) (?:in|on) (?:your|a) (?:web )?browser"
    r"|\bmanage your (?:e-?mail |subscription )?(?:preferences|subscriptions?)",
    re.IGNORECASE,
)
# Where a reply or forward starts: bulk phrases below it belong to someone else's mail.
_QUOTE_START = re.compile(
    r"^(?:>|-{3,}\s*(?:original message|forwarded message)|on .{5,200} wrote:\s*$"
    r"|begin forwarded message)",
    re.IGNORECASE | re.MULTILINE,
)


# Cheap substrings one of which every _BULK_TEXT match contains: most mail has none,
# and then no regular expression runs at all (this is on the sync's hot path).
_BULK_HINTS = (
    "unsubscri",
    "opt-out",
    "opt out",
    "receiv",
    "automat",
    "auto-gen",
    "do not re",
    "browser",
    "manage your",
)


def bulk_text_reason(text: str) -> str | None:
    """Why the message's own text (quoted parts excluded) reads as bulk/automated mail."""
    lower = text.lower()
    if not any(h in lower for h in _BULK_HINTS):
        return None
    m = _QUOTE_START.search(text)
    own = text[: m.start()] if m else text
    hit = _BULK_TEXT.search(own)
    return f"bulk text: {hit.group(0).lower()!r}" if hit else None


_DAEMON_LOCAL = re.compile(r"^(?:mailer[-_.]?daemon|postmaster)(?:[-+_.].*)?$")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|auto"
    r"|out of office(?: autoreply)?|abwesenheitsnotiz|réponse automatique"
    r"|undeliverable|undelivered mail returned to sender|delivery status notification"
    r"|mail delivery failed|returned mail|delivery failure)\b[^:]{0,20}:",
    re.IGNORECASE,
)
_AUTO_SUBJECT_EXACT = re.compile(r"^\s*out of office autoreply\b", re.IGNORECASE)


def automated_reason(
    fields: Mapping[str, bytes | str],
    *,
    sender: Address | None = None,
    subject: str | None = None,
) -> str | None:
    """Why this message is bulk or automated mail, or None for a message from a person.

    ``fields`` maps lower-case header names to raw values (as :func:`split_fields`
    gives). ``sender`` and ``subject`` are taken from ``fields`` when not given.
    ``X-Auto-Response-Suppress`` is deliberately ignored: Outlook sets it on ordinary mail.
    """

    def get(name: str) -> str:
        v = fields.get(name)
        if v is None:
            return ""
        return v.decode("latin-1") if isinstance(v, bytes) else v

    if "list-id" in fields:
        return "List-Id"
    if "list-unsubscribe" in fields:
        return "List-Unsubscribe"
    auto = get("auto-submitted").split(";", 1)[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name, label in (
        ("x-autoreply", "X-Autoreply"),
        ("x-autorespond", "X-Autorespond"),
        ("x-autogenerated", "X-Autogenerated"),
        ("x-auto-reply", "X-Auto-Reply"),
    ):
        if name in fields and get(name).strip().lower() not in ("no", "false", "0"):
            return label
    precedence = get("precedence").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    if "return-path" in fields and get("return-path").replace(" ", "") == "<>":
        return "empty Return-Path"
    ctype = get("content-type").lower()
    if ctype.startswith("multipart/report"):
        return "delivery report"
    if sender is None:
        senders = parse_addresses(decode_header_value(fields.get("from", b"")))
        sender = senders[0] if senders else None
    if sender is not None:
        reason = role_address_reason(sender.email)
        if reason:
            return reason
    if subject is None:
        subject = decode_header_value(fields.get("subject", b""))
    if _AUTO_SUBJECT.match(subject) or _AUTO_SUBJECT_EXACT.match(subject):
        return "auto-reply subject"
    return None
