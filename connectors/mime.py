"""Turn raw RFC 5322 messages (or just their header section) into ``MailRecord``s.

Shared by every mail source: Maildir and mbox call :func:`parse_message` on whole
messages; IMAP fetches only the header section, the BODYSTRUCTURE and the first few KB
of the chosen text part, and calls the pieces (:func:`parse_headers`,
:func:`text_excerpt`, :func:`build_record`) itself.

Speed matters (a first sync reads 20k-500k messages), so the ``email`` package's parser
is not used: the header section (``connectors.headers``) and the MIME tree (here) are
split by hand, on bytes, and only the few fields followup needs are decoded
(``connectors.charsets``); ``email.utils`` still does the hard parts (address lists with
comments, RFC 2231 filenames). Hostile input never raises: undecodable bytes are
replaced, unknown charsets fall back to UTF-8 then Windows-1252, broken MIME degrades to
"treat the body as text". The pieces are re-exported here for the sources.
"""

from __future__ import annotations

import binascii
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message

from connectors.automated import automated_reason, bulk_text_reason
from connectors.charsets import (
    b64decode_lenient,
    decode_bytes,
    decode_header_value,
    decode_words,
)
from connectors.headers import (
    SYNTHETIC_ID_BODY_BYTES,
    SYNTHETIC_ID_FETCH_BYTES,
    message_ids,
    normalise_message_id,
    parse_addresses,
    parse_date,
    split_fields,
    split_header_section,
    synthetic_message_id,
    undecoded_text,
)
from connectors.htmltext import html_to_text, tidy_text
from connectors.records import (
    MAX_HEADER_BYTES,
    Address,
    FolderRole,
    Invitation,
    MailRecord,
    Skipped,
)
from connectors.sanitise import clean_message_id, plausible_date, sanitise_record

# The pieces live in small modules; this is the one import the sources need.
__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_MIME_DEPTH",
    "MAX_MIME_PARTS",
    "SYNTHETIC_ID_BODY_BYTES",
    "SYNTHETIC_ID_FETCH_BYTES",
    "BodyParts",
    "ParsedHeaders",
    "attachment_filename",
    "automated_reason",
    "build_record",
    "bulk_text_reason",
    "choose_text_part",
    "decode_bytes",
    "decode_header_value",
    "decode_transfer",
    "decode_words",
    "invitation_of",
    "normalise_message_id",
    "parse_addresses",
    "parse_content_header",
    "parse_date",
    "parse_headers",
    "parse_message",
    "scan_text",
    "split_fields",
    "split_header_section",
    "synthetic_message_id",
    "text_excerpt",
]

logger = logging.getLogger(__name__)

MAX_MIME_PARTS = 200
MAX_MIME_DEPTH = 8


@dataclass(frozen=True, slots=True)
class ParsedHeaders:
    """The header fields followup uses, decoded. ``date`` is aware UTC or None.

    ``message_id`` is never empty: a missing one is synthesised
    (:func:`synthetic_message_id`), and ``message_id_synthetic`` says so. ``fields`` keeps
    every raw field (lower-case name -> first raw value) for callers that need more.
    """

    message_id: str
    subject: str
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    automated: str | None
    content_type: str = "text/plain"
    message_id_synthetic: bool = False
    fields: Mapping[str, bytes] | None = None


def parse_headers(header_bytes: bytes, *, body_start: bytes = b"") -> ParsedHeaders:
    """Parse a raw header section (as IMAP ``BODY[HEADER]`` or a file's head gives it).

    ``body_start`` is the start of the body, at least ``SYNTHETIC_ID_FETCH_BYTES`` of it
    when available (IMAP ``BODY.PEEK[TEXT]<0.1024>``), used only to
    synthesise a Message-ID when there is none. Never raises.
    """
    return _headers_from_fields(split_fields(header_bytes), body_start)


def _headers_from_fields(fields: dict[str, bytes], body_start: bytes) -> ParsedHeaders:
    def text(name: str) -> str:
        return decode_header_value(fields.get(name, b""))

    def raw_text(name: str) -> str:
        return undecoded_text(fields.get(name, b""))

    subject = text("subject")
    senders = parse_addresses(raw_text("from")) or parse_addresses(raw_text("sender"))
    sender = senders[0] if senders else None
    msgid_raw = text("message-id")
    message_id = normalise_message_id(msgid_raw) if msgid_raw else ""
    synthetic = not message_id
    if synthetic:
        message_id = synthetic_message_id(
            fields.get("date", b""), fields.get("from", b""), fields.get("subject", b""), body_start
        )
    in_reply_to_raw = text("in-reply-to")
    in_reply = message_ids(in_reply_to_raw)
    ctype = text("content-type").split(";", 1)[0].strip().lower() or "text/plain"
    return ParsedHeaders(
        message_id=message_id,
        subject=subject,
        sender=sender,
        to=parse_addresses(raw_text("to")),
        cc=parse_addresses(raw_text("cc")),
        bcc=parse_addresses(raw_text("bcc")),
        reply_to=parse_addresses(raw_text("reply-to")),
        # A date outside 1970-2200 counts as none, so every source uses its fallback.
        date=plausible_date(parse_date(text("date"))),
        in_reply_to=in_reply[0] if in_reply else None,
        references=message_ids(text("references")),
        automated=automated_reason(fields, sender=sender, subject=subject),
        content_type=ctype,
        message_id_synthetic=synthetic,
        fields=fields,
    )


# --------------------------------------------------------------------- content params

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')


def parse_content_header(value: str) -> tuple[str, dict[str, str]]:
    """``text/plain; charset="utf-8"`` -> ("text/plain", {"charset": "utf-8"}).

    Tolerant: no value gives ("", {}); unterminated quotes run to the end. RFC 2231
    continuations are left to :func:`attachment_filename`.
    """
    main, _, _rest = value.partition(";")
    params: dict[str, str] = {}
    for m in _PARAM.finditer(value, len(main)):
        v = m.group(2).strip()
        if v.startswith('"'):
            v = v[1:-1] if v.endswith('"') and len(v) > 1 else v[1:]
            v = v.replace('\\"', '"').replace("\\\\", "\\")
        params.setdefault(m.group(1).lower(), v)
    return main.strip().lower(), params


def attachment_filename(content_type: str, disposition: str) -> str | None:
    """The decoded filename from Content-Disposition/Content-Type (RFC 2231 and 2047)."""
    if "name" not in content_type.lower() and "name" not in disposition.lower():
        return None
    msg = Message()
    if content_type:
        msg["Content-Type"] = content_type
    if disposition:
        msg["Content-Disposition"] = disposition
    try:
        name = msg.get_filename() or msg.get_param("name", header="content-type")
    except Exception:  # malformed RFC 2231 parameters
        return None
    if isinstance(name, tuple):  # an RFC 2231 triple get_param did not collapse
        name = name[2]
    if not isinstance(name, str):
        return None
    name = decode_header_value(name)
    return name or None


# ------------------------------------------------------------------------- body text

_QP_SOFT_TAIL = re.compile(rb"=[0-9A-Fa-f]?\r?$")


def decode_transfer(payload: bytes, transfer_encoding: str | None) -> bytes:
    """Undo a Content-Transfer-Encoding; tolerates truncation and junk; never raises."""
    cte = (transfer_encoding or "").strip().lower()
    if cte == "base64":
        return b64decode_lenient(payload)
    if cte == "quoted-printable":
        payload = _QP_SOFT_TAIL.sub(b"", payload)  # an escape cut off by a partial fetch
        try:
            return binascii.a2b_qp(payload)
        except (binascii.Error, ValueError):
            return payload
    return payload


def text_excerpt(
    payload: bytes,
    *,
    content_type: str,
    charset: str | None,
    transfer_encoding: str | None,
    cap: int,
) -> str:
    """Readable text of a text part's (possibly truncated) payload, at most ``cap`` chars.

    Undoes the transfer encoding, decodes the charset (unknown -> UTF-8 with fallbacks),
    converts HTML to text, tidies whitespace. Never raises.
    """
    if cap <= 0 or not payload:
        return ""
    try:
        data = decode_transfer(payload, transfer_encoding)
        text = decode_bytes(data, charset, partial=True)
        if text.endswith("\ufffd"):  # a multi-byte character cut by a partial fetch
            text = text.rstrip("\ufffd")
        if "html" in content_type.lower():
            text = html_to_text(text, limit=cap * 2)
        else:
            text = tidy_text(text[: cap * 2])
        return text[:cap].rstrip()
    except Exception:  # the contract is "never raises": log and return nothing
        logger.debug("Could not decode a %s part", content_type, exc_info=True)
        return ""


@dataclass(slots=True)
class _Part:
    content_type: str
    params: dict[str, str]
    transfer_encoding: str
    disposition: str
    body: bytes


@dataclass(slots=True)
class BodyParts:
    """What parse_message takes from a body: the chosen text part, the attachment names
    and the first calendar part (a meeting invitation, ``connectors.invitations``)."""

    text: _Part | None
    attachments: list[str]
    calendar: _Part | None = None


def _walk(
    fields: Mapping[str, bytes], body: bytes, out: BodyParts, depth: int, n: list[int]
) -> None:
    n[0] += 1
    if n[0] > MAX_MIME_PARTS:
        return
    ctype_raw = decode_header_value(fields.get("content-type", b""))
    ctype, params = parse_content_header(ctype_raw)
    if not ctype or "/" not in ctype:
        ctype = "text/plain"
    disposition = decode_header_value(fields.get("content-disposition", b""))
    cte = decode_header_value(fields.get("content-transfer-encoding", b"")).lower()
    if ctype.startswith("multipart/") and depth < MAX_MIME_DEPTH:
        boundary = params.get("boundary", "")
        parts = _split_multipart(body, boundary) if boundary else None
        if parts is None:
            # Missing or absent boundary: the body is the only text there is.
            ctype, params = "text/plain", {"charset": params.get("charset", "")}
        else:
            for chunk in parts:
                head = split_header_section(chunk)
                if head is None:
                    continue
                _walk(split_fields(head[0]), head[1], out, depth + 1, n)
            return
    is_attachment = disposition.lower().startswith("attachment")
    filename = attachment_filename(ctype_raw, disposition)
    if ctype in _CALENDAR_TYPES and out.calendar is None:
        out.calendar = _Part(ctype, params, cte, disposition, body)
    if ctype in ("text/plain", "text/html") and not is_attachment:
        part = _Part(ctype, params, cte, disposition, body)
        if out.text is None or (out.text.content_type == "text/html" and ctype == "text/plain"):
            out.text = part
        if filename:
            out.attachments.append(filename)
        return
    if filename:
        out.attachments.append(filename)
    elif ctype == "message/rfc822":
        out.attachments.append("forwarded message")


# Outlook sends text/calendar inline and again as an application/ics attachment.
_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})


def invitation_of(
    body: bytes,
    *,
    transfer_encoding: str | None,
    method: str,
    source: str,
    sent_at: datetime | None,
) -> Invitation | None:
    """The invitation a calendar part's raw ``body`` carries
    (``connectors.invitations``), or None. Shared by the file sources and IMAP."""
    if not body or sent_at is None:
        return None
    from connectors.invitations import MAX_PART_BYTES, parse_invitation

    if sent_at.tzinfo is None:  # a naive fallback date counts as UTC, as in build_record
        sent_at = sent_at.replace(tzinfo=UTC)
    data = decode_transfer(body[: MAX_PART_BYTES * 4 // 3 + 4], transfer_encoding)
    return parse_invitation(data, source=source, sent_at=sent_at, method=method)


def _split_multipart(body: bytes, boundary: str) -> list[bytes] | None:
    """The parts of a multipart body, or None if the boundary never occurs.

    A delimiter counts only at the start of a line (RFC 2046 §5.1.1). Plain ``find``
    rather than a regex split: this runs over whole bodies, attachments included.
    """
    delim = b"--" + boundary.encode("ascii", "replace")
    starts: list[int] = []  # offsets just past each delimiter
    pos = 0
    closed_at = -1
    while len(starts) <= MAX_MIME_PARTS:
        i = body.find(delim, pos)
        if i == -1:
            break
        pos = i + len(delim)
        if i and body[i - 1] != 10:  # not at a line start: part of the content
            continue
        if body.startswith(b"--", pos):  # the close delimiter: the rest is epilogue
            closed_at = i
            break
        starts.append(pos)
    if not starts:
        return None
    parts: list[bytes] = []
    ends = [*starts[1:], -1]
    for start, next_start in zip(starts, ends, strict=True):
        if next_start != -1:
            end = next_start - len(delim)
        else:
            end = closed_at if closed_at != -1 else len(body)
        # The line break before a delimiter belongs to the delimiter.
        if end and body[end - 1] == 10:
            end -= 2 if end >= 2 and body[end - 2] == 13 else 1
        nl = body.find(b"\n", start, end)  # rest of the delimiter line: transport padding
        parts.append(body[nl + 1 : end] if nl != -1 else b"")
    return parts


def choose_text_part(fields: Mapping[str, bytes], body: bytes) -> BodyParts:
    """Walk a whole message's MIME tree: the text part to excerpt and attachment names.

    text/plain is preferred over text/html; attachments are named, never decoded.
    """
    out = BodyParts(None, [])
    _walk(fields, body, out, 0, [0])
    return out


# ------------------------------------------------------------------------------ records


def build_record(
    headers: ParsedHeaders,
    *,
    source: str,
    folder: str,
    role: FolderRole,
    uid: str,
    uidvalidity: str = "",
    fallback_date: datetime | None = None,
    excerpt: str = "",
    attachments: Iterable[str] = (),
    size: int = 0,
    gmail_thread_id: str | None = None,
    labels: tuple[str, ...] = (),
    invitation: Invitation | None = None,
    bulk_text: str | None = None,
) -> MailRecord | Skipped:
    """A MailRecord from parsed headers, or Skipped when the message has no usable date.

    The Date header wins; without one (or unparseable, or outside 1970-2200),
    ``fallback_date`` (IMAP INTERNALDATE, mbox ``From `` line, file mtime) is used; naive
    fallbacks count as UTC. Every text field is cleaned and capped
    (:func:`connectors.sanitise.sanitise_record`): the record is always storable.
    ``bulk_text`` is the whole text part where the source has it (:func:`scan_text`):
    bulk wording is looked for there, else in the excerpt.
    """
    date = plausible_date(headers.date)
    if date is None:
        if fallback_date is None:
            reason = "no Date header and no fallback date"
            if headers.fields is not None and headers.fields.get("date"):
                reason = "unparseable Date header and no fallback date"
            return Skipped(folder, uid, reason)
        date = fallback_date
        date = date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)
    message_id = clean_message_id(headers.message_id)
    if not message_id:  # nothing but NULs and spaces: as good as none
        fields = headers.fields or {}
        message_id = synthetic_message_id(
            fields.get("date", b""), fields.get("from", b""), fields.get("subject", b""), b""
        )
    record = MailRecord(
        source=source,
        folder=folder,
        role=role,
        uid=uid,
        message_id=message_id,
        subject=headers.subject,
        sender=headers.sender,
        date=date,
        to=headers.to,
        cc=headers.cc,
        bcc=headers.bcc,
        reply_to=headers.reply_to,
        in_reply_to=headers.in_reply_to,
        references=headers.references,
        excerpt=excerpt,
        attachments=tuple(attachments),
        automated=headers.automated
        or bulk_text_reason(excerpt if bulk_text is None else bulk_text),
        size=size,
        uidvalidity=uidvalidity,
        gmail_thread_id=gmail_thread_id,
        labels=labels,
        invitation=invitation,
    )
    return sanitise_record(record)


# The most of a text part read for bulk wording: list footers sit at the end of the
# text, far past the excerpt, but a pasted log must not cost a sync its speed.
MAX_SCAN_BYTES = 256 * 1024
_TAG = re.compile(r"<[^>]{0,2000}>")


def scan_text(part: _Part) -> str:
    """The whole text part, decoded, for the bulk-wording check (HTML tags dropped, not
    rendered: only the words matter). Never raises."""
    try:
        body = part.body[:MAX_SCAN_BYTES]
        text = decode_bytes(decode_transfer(body, part.transfer_encoding),
                            part.params.get("charset"), partial=True)  # fmt: skip
        if "html" in part.content_type:
            text = _TAG.sub(" ", text).replace("&nbsp;", " ")
        return text
    except Exception:  # the contract is "never raises": no bulk signal from this part
        logger.debug("Could not decode a %s part for scanning", part.content_type, exc_info=True)
        return ""


_KNOWN_FIELDS = ("from", "to", "cc", "subject", "date", "message-id", "sender", "received")


def parse_message(
    raw: bytes,
    *,
    source: str,
    folder: str,
    role: FolderRole,
    uid: str,
    uidvalidity: str = "",
    fallback_date: datetime | None = None,
    max_excerpt: int = 4096,
) -> MailRecord | Skipped:
    """Parse a whole raw message into a MailRecord, or Skipped with a one-line reason.

    Never raises on malformed input: broken parts are decoded as far as they go.
    """
    try:
        split = split_header_section(raw)
        if split is None:
            return Skipped(folder, uid, "header section larger than 1 MiB")
        head, body = split
        fields = split_fields(head)
        if not any(f in fields for f in _KNOWN_FIELDS):
            return Skipped(folder, uid, "not an email message (no headers)")
        headers = _headers_from_fields(fields, body[:SYNTHETIC_ID_FETCH_BYTES])
        excerpt = ""
        whole: str | None = None
        attachments: list[str] = []
        invitation = None
        if max_excerpt > 0 or "multipart" in headers.content_type:
            # Bound the work: a huge body is only looked at as far as its text part needs.
            parts = choose_text_part(fields, body)
            attachments = parts.attachments
            if parts.calendar is not None:
                invitation = invitation_of(
                    parts.calendar.body,
                    transfer_encoding=parts.calendar.transfer_encoding,
                    method=parts.calendar.params.get("method", ""),
                    source=source,
                    sent_at=plausible_date(headers.date) or fallback_date,
                )
            if parts.text is not None and max_excerpt > 0:
                p = parts.text
                limit = max(max_excerpt * (16 if p.content_type == "text/html" else 4), 16384)
                if p.transfer_encoding == "base64":
                    limit = limit * 4 // 3 + 4
                excerpt = text_excerpt(
                    p.body[:limit],
                    content_type=p.content_type,
                    charset=p.params.get("charset"),
                    transfer_encoding=p.transfer_encoding,
                    cap=max_excerpt,
                )
            if parts.text is not None and headers.automated is None:
                whole = scan_text(parts.text)
        return build_record(
            headers,
            source=source,
            folder=folder,
            role=role,
            uid=uid,
            uidvalidity=uidvalidity,
            fallback_date=fallback_date,
            excerpt=excerpt,
            attachments=attachments,
            size=len(raw),
            invitation=invitation,
            bulk_text=whole,
        )
    except Exception as e:  # the contract: one bad message never stops a sync
        logger.warning("Could not parse message %s/%s: %s", folder, uid, e, exc_info=True)
        return Skipped(folder, uid, f"parse error: {type(e).__name__}")
