"""Read an IMAP BODYSTRUCTURE: which part holds the text to excerpt, attachment names,
and the calendar part of a meeting invitation (``connectors.invitations``).

The choice mirrors ``mime.choose_text_part`` (the first non-attachment text/plain part,
else the first text/html; forwarded messages are not entered), so a message read over
IMAP and the same message read from a Maildir give the same excerpt and attachments.
Only the chosen part's first few KB are then fetched: attachments are never downloaded.

The structure comes from imapclient as nested tuples of bytes (RFC 3501 §7.4.2); this
module turns it into plain values once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.mime import MAX_MIME_DEPTH, MAX_MIME_PARTS, attachment_filename

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TextPart:
    """The part to excerpt: its IMAP section ("1", "1.2"...) and how to decode it."""

    section: str
    content_type: str
    charset: str | None
    transfer_encoding: str | None
    size: int

    def fetch_length(self, cap: int) -> int:
        """How many raw bytes give ``cap`` characters of excerpt, with some margin."""
        length = cap * 4 if self.content_type == "text/html" else cap
        encoding = (self.transfer_encoding or "").lower()
        if encoding == "base64":
            length = length * 4 // 3 + 4
        elif encoding == "quoted-printable":
            length = length * 3 // 2
        return max(1024, min(length, 65536))


@dataclass(frozen=True, slots=True)
class CalendarPart:
    """A text/calendar (or application/ics) part: a meeting invitation to fetch whole."""

    section: str
    transfer_encoding: str | None
    method: str
    size: int


@dataclass(frozen=True, slots=True)
class Structure:
    text: TextPart | None
    attachments: tuple[str, ...]
    calendar: CalendarPart | None = None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace") if value.isascii() else value.decode("latin-1")
    return "" if value is None else str(value)


def _pairs(value: Any) -> list[tuple[str, str]]:
    """A BODYSTRUCTURE parameter list ``(k1 v1 k2 v2)`` as (lower-case key, value) pairs."""
    if not isinstance(value, (tuple, list)):
        return []
    items = list(value)
    return [(_text(k).lower(), _text(v)) for k, v in zip(items[::2], items[1::2], strict=False)]


def _header(main: str, params: list[tuple[str, str]]) -> str:
    """Rebuild a Content-Type / Content-Disposition value so ``mime`` can decode names."""
    out = [main]
    for key, value in params:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'{key}="{escaped}"')
    return "; ".join(out)


def _is_multipart(node: Sequence[Any]) -> bool:
    return bool(node) and isinstance(node[0], list)


def analyse(bodystructure: Sequence[Any] | None) -> Structure:
    """The text part and attachment names described by ``bodystructure``; never raises."""
    if not bodystructure:
        return Structure(None, ())
    state: dict[str, Any] = {"text": None, "attachments": [], "parts": 0, "calendar": None}
    try:
        _walk(bodystructure, "", state, 0)
    except (IndexError, TypeError, ValueError):
        # A server's odd structure must not stop a sync: use what was found so far.
        logger.debug("Unusual BODYSTRUCTURE %r", bodystructure, exc_info=True)
    return Structure(state["text"], tuple(state["attachments"]), state["calendar"])


def _walk(node: Sequence[Any], section: str, state: dict[str, Any], depth: int) -> None:
    state["parts"] += 1
    if state["parts"] > MAX_MIME_PARTS:
        return
    if _is_multipart(node):
        if depth >= MAX_MIME_DEPTH:
            return
        for i, child in enumerate(node[0], 1):
            _walk(child, f"{section}.{i}" if section else str(i), state, depth + 1)
        return
    # Top level of a non-multipart message: its only part is "1" (RFC 3501 §6.4.5).
    section = section or "1"
    main_type, sub_type = _text(node[0]).lower(), _text(node[1]).lower()
    content_type = f"{main_type}/{sub_type}"
    params = _pairs(node[2])
    encoding = _text(node[5]).lower() or None
    size = node[6] if isinstance(node[6], int) else 0
    # The disposition sits after the type-specific fields (RFC 3501 body-ext-1part).
    if main_type == "text":
        ext = 9
    elif content_type == "message/rfc822":
        ext = 11
    else:
        ext = 8
    disposition_node = node[ext] if len(node) > ext else None
    disposition = ""
    disposition_params: list[tuple[str, str]] = []
    if isinstance(disposition_node, (tuple, list)) and disposition_node:
        disposition = _text(disposition_node[0]).lower()
        if len(disposition_node) > 1:
            disposition_params = _pairs(disposition_node[1])
    is_attachment = disposition == "attachment"
    if content_type in ("text/calendar", "application/ics") and state["calendar"] is None:
        state["calendar"] = CalendarPart(
            section, encoding, dict(params).get("method", "").lower(), size
        )
    filename = None
    if any("name" in key for key, _ in params) or any(
        "name" in key for key, _ in disposition_params
    ):
        filename = attachment_filename(
            _header(content_type, params),
            _header(disposition, disposition_params) if disposition else "",
        )
    if content_type in ("text/plain", "text/html") and not is_attachment:
        chosen: TextPart | None = state["text"]
        if chosen is None or (chosen.content_type == "text/html" and sub_type == "plain"):
            state["text"] = TextPart(
                section=section,
                content_type=content_type,
                charset=dict(params).get("charset"),
                transfer_encoding=encoding,
                size=size,
            )
        if filename:
            state["attachments"].append(filename)
        return
    if filename:
        state["attachments"].append(filename)
    elif content_type == "message/rfc822":
        state["attachments"].append("forwarded message")
