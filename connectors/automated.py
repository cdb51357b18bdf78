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
    r"|customer[-_.]?(?:svc|service|care)|support\d*|greetings|e?mail[-_.]?(?:list|alerts?)"
    r"|info|update|thanks|announce(?:ments?)?)$"
)
# Robots: "clearbot@", "news-bot@", "bot@" (four letters or more before "bot", so
# surnames such as Talbot or Cabot are not taken).
_BOT_LOCAL = re.compile(r"^(?:bot|[a-z0-9]{4,}bot|[\w.]+[-_.]bot)\d*$")
# VERP: the bounce address encodes the list, the message and the recipient
# ("r-3-12345-abcd@", "bounce-dana=example.com@").
_VERP_LOCAL = re.compile(r"^[a-z]{1,12}-\d+-[\w.=-]+$|^[\w.-]*[-+][\w.-]+=[\w-]+(?:\.[\w-]+)+$")
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
    if _BOT_LOCAL.match(local):
        return "robot sender"
    chunks = re.split(r"[-_.+=]", local)
    if _VERP_LOCAL.match(local) or (len(chunks) >= 3 and sum(c.isdigit() for c in chunks) >= 2):
        return "VERP sender"
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
    r"|\bmanage your (?:e-?mail |subscription )?(?:preferences|subscriptions?)"
    # "remove" wording: list mail tells its reader how to leave the list
    r"|\b(?:to be|wish to be|want to be|like to be|be) removed from (?:this|our|the|future)\b"
    r"|\bto remove (?:yourself|your (?:e-?mail|name|address))\b"
    r"|\b(?:reply|respond|write back)(?: to this (?:e-?mail|message))? with [\"']?remove\b"
    r"|[\"']remove[\"'] in the subject"
    r"|\b(?:remove me from|take me off) (?:your|this|the|my) (?:\w+ )?(?:mailing |e-?mail )?list"
    r"|\bto stop receiving\b"
    r"|\b(?:rather not|no longer wish to|not wish to|do not want to|don't want to) receive "
    r"(?:future|these|this|such|further|our|more)\b"
    r"|\b(?:update|change) your (?:communication|e-?mail|subscription) preferences\b"
    r"|\bthis (?:message|e-?mail|newsletter) (?:was|is being|has been) sent to\b"
    # "sent automatically" wording
    r"|\b(?:sent|generated|created|delivered) automatically\b"
    r"|\bautomatically (?:sent|generated|created)\b"
    r"|\bautomated (?:message|e-?mail|notification|response|reminder)\b",
    re.IGNORECASE,
)
# A legal footer ("If you have received this e-mail in error, ...") is person-to-person
# mail's, not a sign of bulk: matches it explains away.
_LEGAL_AFTER = re.compile(r"[^.\n]{0,40}\b(?:in error|by mistake|by error|in mistake)\b", re.I)
_LEGAL_BEFORE = re.compile(r"\bif\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
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
    "remov",
    "take me off",
    "preferences",
    "was sent to",
    "being sent to",
    "been sent to",
)


# The most characters a _BULK_TEXT match can have before its hint ("view this message on
# your web browser" has 29, "change your subscription preferences" 25): with margin.
_MAX_HINT_LEAD = 64


def bulk_text_reason(text: str) -> str | None:
    """Why the message's own text (quoted parts excluded) reads as bulk/automated mail.

    Give it the whole text part where there is one: list footers sit at the end. A
    legal footer ("if you have received this e-mail in error") is not a bulk sign.
    """
    lower = text.lower()
    if not any(h in lower for h in _BULK_HINTS):
        return None
    m = _QUOTE_START.search(text)
    # Wrapped lines and HTML leave runs of spaces and line breaks between the words.
    own = " ".join((text[: m.start()] if m else text).split())
    start = 0
    if own.isascii():  # lower() keeps ASCII positions (not every other script's)
        lower = own.lower()
        found = [i for i in (lower.find(h) for h in _BULK_HINTS) if i >= 0]
        if not found:
            return None
        # No match starts before the first hint less the longest lead; the big
        # alternation is slow per character (most of the sync's time in this check).
        start = max(0, min(found) - _MAX_HINT_LEAD)
    for hit in _BULK_TEXT.finditer(own, start):
        if _LEGAL_AFTER.match(own, hit.end()) or (
            hit.group(0).lower().startswith(("you have received", "you received"))
            and _LEGAL_BEFORE.search(own, max(0, hit.start() - 30), hit.start())
        ):
            continue
        return f"bulk text: {' '.join(hit.group(0).lower().split())!r}"
    return None


_DAEMON_LOCAL = re.compile(r"^(?:mailer[-_.]?daemon|postmaster)(?:[-+_.].*)?$")
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|auto"
    r"|out of office(?: autoreply)?|abwesenheitsnotiz|réponse automatique"
    r"|undeliverable|undelivered mail returned to sender|delivery status notification"
    r"|mail delivery failed|returned mail|delivery failure)\b[^:]{0,20}:",
    re.IGNORECASE,
)
_AUTO_SUBJECT_EXACT = re.compile(r"^\s*out of office autoreply\b", re.IGNORECASE)
# Subjects a machine writes: a feed's tag and a report word ("(ClearStation) : Portfolio
# Update, Tue Jan 8 2002"), a newsletter, a confirmation or receipt.
_MACHINE_SUBJECT = re.compile(
    r"^\s*[\[(][^\])]{2,40}[\])]\s*:?.{0,60}\b(?:update|alert|report|digest|newsletter"
    r"|notification|statement|summary|bulletin)s?\b"
    r"|\bnews[- ]?letter\b|\be-?(?:newsletter|bulletin)\b"
    r"|\b(?:order|shipping|shipment|payment|subscription|registration|account) "
    r"(?:confirmation|notification|update|status)\b"
    r"|\byour (?:order|receipt|statement|subscription|password|account)\b.{0,40}"
    r"\b(?:has|is|was|are|confirmed|shipped|ready|expir\w*|reset|update\w*)\b"
    r"|\b(?:daily|weekly|monthly) (?:digest|newsletter|alert|bulletin)s?\b"
    r"|\b(?:update|alert|report|digest|summary)s?\b[,:]?\s+(?:mon|tue|wed|thu|fri|sat|sun)\w*"
    r"[,.]?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s+\d{1,2},?\s+\d{4}",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(r"^\s*(?:re|fw|fwd|aw|wg|tr|sv)\s*(?:\[\d+\])?\s*:", re.I)
# Display names that say the sender is a publication, not a person.
_BULK_NAME = re.compile(r"\bnews[- ]?letters?\b|\bmailing list\b|\bbulletin\b", re.I)


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
        if _BULK_NAME.search(sender.name or ""):
            return "newsletter sender name"
    if subject is None:
        subject = decode_header_value(fields.get("subject", b""))
    if _AUTO_SUBJECT.match(subject) or _AUTO_SUBJECT_EXACT.match(subject):
        return "auto-reply subject"
    # "RE: Energy Newsletter" is a person answering one, "FW:" a person passing it on.
    if not _REPLY_PREFIX.match(subject) and _MACHINE_SUBJECT.search(subject):
        return "machine subject"
    return None
