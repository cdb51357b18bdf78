"""Turn raw RFC 5322 messages (or just their header section) into ``MailRecord``s.

Shared by every mail source: Maildir and mbox call :func:`parse_message` on whole
messages; IMAP fetches only the header section, the BODYSTRUCTURE and the first few KB
of the chosen text part, and calls the pieces (:func:`parse_headers`,
:func:`text_excerpt`, :func:`build_record`) itself.

Speed matters (a first sync reads 20k-500k messages), so this module does not use the
``email`` package's parser: it splits the header section and the MIME tree itself, on
bytes, and only decodes the few fields followup needs. ``email.utils`` is still used for
the hard parts (address lists with quoting and comments, RFC 2231 filenames). Hostile
input never raises: undecodable bytes are replaced, unknown charsets fall back to UTF-8
then Windows-1252, broken MIME degrades to "treat the body as text".
"""

from __future__ import annotations

import binascii
import codecs
import functools
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from email.utils import getaddresses, parsedate_tz

from connectors.htmltext import html_to_text, tidy_text
from connectors.records import Address, FolderRole, MailRecord, Skipped

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES = 1 << 20
"""A header section larger than this is not mail followup can use (and a parse bomb)."""

MAX_MIME_PARTS = 200
MAX_MIME_DEPTH = 8
SYNTHETIC_ID_BODY_BYTES = 512
"""How much of the body (line ends normalised) goes into a synthetic Message-ID."""
SYNTHETIC_ID_FETCH_BYTES = 2 * SYNTHETIC_ID_BODY_BYTES
"""How many raw body bytes to pass as ``body_start`` (IMAP: ``BODY.PEEK[TEXT]<0.1024>``);
twice the hashed size, so CRLF and LF copies of a message hash the same."""

# Fields that may occur more than once and are then concatenated as address lists.
_ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})


# --------------------------------------------------------------------------- charsets

# Aliases the codecs module does not know, or where a superset decodes real-world mail
# better (mail labelled ISO-8859-1 is usually Windows-1252: smart quotes in 0x80-0x9f).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-roman": "mac-roman",
}
# Labels that say "no idea": decode as UTF-8, else Windows-1252.
_UNKNOWN_CHARSETS = frozenset({"", "x-unknown", "unknown", "unknown-8bit", "x-user-defined"})
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


@functools.lru_cache(maxsize=256)
def _codec(charset: str | None) -> str | None:
    """The Python codec for a MIME charset label, or None when unknown or not a text codec."""
    if charset is None:
        return None
    label = charset.strip().strip("\"'").lower()
    # RFC 2231 language suffix: "utf-8*en".
    label = label.split("*", 1)[0]
    if label in _UNKNOWN_CHARSETS:
        return None
    label = _CHARSET_ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
        b"a".decode(name)  # rejects bytes-to-bytes codecs such as "base64" or "zlib"
    except Exception:  # LookupError, or a codec that refuses everything ("undefined")
        return None
    return name


def _guess_decode(data: bytes, *, partial: bool = False) -> str:
    """Decode bytes of unknown charset: UTF-8 if it looks like UTF-8, else Windows-1252.

    ``partial``: the data may have been cut anywhere (a partial fetch), so an incomplete
    UTF-8 sequence at the very end is dropped rather than taken as a sign of Windows-1252.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if partial and e.reason == "unexpected end of data" and e.start >= len(data) - 3:
            return data[: e.start].decode("utf-8", "replace")
        if _UTF8_MULTIBYTE.search(data):
            return data.decode("utf-8", "replace")
        return data.decode("cp1252", "replace")


def decode_bytes(data: bytes, charset: str | None, *, partial: bool = False) -> str:
    """Decode ``data`` declared as ``charset``; never raises.

    Unknown labels, ASCII labels on 8-bit data and UTF-8 labels on non-UTF-8 data fall
    back to :func:`_guess_decode`; other codecs decode with replacement characters.
    """
    if data.isascii():
        return data.decode("ascii")
    codec = _codec(charset)
    if codec is None or codec in ("ascii", "utf-8"):
        return _guess_decode(data, partial=partial)
    try:
        return data.decode(codec, "replace")
    except Exception:  # a few codecs ignore errors="replace"
        return _guess_decode(data, partial=partial)


# ---------------------------------------------------------------------- RFC 2047 words

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/]")
_WHITESPACE = re.compile(r"\s+")


def _b64decode(data: bytes) -> bytes:
    """Base64 that tolerates junk characters, missing padding and truncation."""
    data = _NOT_B64.sub(b"", data)
    rest = len(data) % 4
    if rest == 1:
        data = data[:-1]
    elif rest:
        data += b"=" * (4 - rest)
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        return b""


def _q_decode(text: str) -> bytes:
    raw = text.replace("_", " ").encode("ascii", "replace")
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in a header value; never raises.

    Whitespace between adjacent encoded words is dropped (RFC 2047 §6.2), and adjacent
    words in the same charset are decoded together, because some mailers split a
    multi-byte character across two words.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = b""
    pending_charset: str | None = None
    pos = 0
    for m in _ENCODED_WORD.finditer(value):
        between = value[pos : m.start()]
        if between and not (pending_charset is not None and between.isspace()):
            if pending_charset is not None:
                out.append(decode_bytes(pending, pending_charset))
                pending, pending_charset = b"", None
            out.append(between)
        charset = m.group(1).split("*", 1)[0].lower()
        data = _b64decode(m.group(3).encode("ascii", "replace"))
        if m.group(2) in "qQ":
            data = _q_decode(m.group(3))
        if pending_charset is not None and charset != pending_charset:
            out.append(decode_bytes(pending, pending_charset))
            pending = b""
        pending += data
        pending_charset = charset
        pos = m.end()
    if pending_charset is not None:
        out.append(decode_bytes(pending, pending_charset))
    out.append(value[pos:])
    return "".join(out)


def decode_header_value(value: str | bytes) -> str:
    """A header value as text: raw 8-bit bytes guessed, encoded words decoded, unfolded."""
    if isinstance(value, bytes):
        value = value.decode("ascii") if value.isascii() else _guess_decode(value)
    value = decode_words(value)
    if "\n" in value or "\r" in value or "\t" in value:
        value = _WHITESPACE.sub(" ", value)
    return value.strip()


# ------------------------------------------------------------------ header splitting


def split_header_section(raw: bytes) -> tuple[bytes, bytes] | None:
    """Split a message into (header section, body); None if the header section is too big.

    A message with no blank line is all headers (that is what a header-only fetch gives).
    """
    if raw.startswith((b"\n", b"\r\n")):  # no headers at all: empty header section
        return b"", raw[2 if raw.startswith(b"\r") else 1 :]
    end = raw.find(b"\n\n", 0, MAX_HEADER_BYTES + 2)
    end_crlf = raw.find(b"\r\n\r\n", 0, MAX_HEADER_BYTES + 4)
    if end_crlf != -1 and (end == -1 or end_crlf < end):
        head, body = raw[: end_crlf + 2], raw[end_crlf + 4 :]
    elif end != -1:
        head, body = raw[: end + 1], raw[end + 2 :]
    else:
        head, body = raw, b""
    if len(head) > MAX_HEADER_BYTES:
        return None
    return head, body


def split_fields(header_bytes: bytes) -> dict[str, bytes]:
    """Unfold a header section into ``{lower-case name: raw value}``.

    The first occurrence of a field wins, except for address fields, where repeated
    fields are joined into one list. Lines that are not fields (an mbox ``From `` line,
    garbage) are ignored.
    """
    fields: dict[str, bytes] = {}
    name: str | None = None
    parts: list[bytes] = []

    def flush() -> None:
        if name is None:
            return
        value = b"".join(parts).strip()
        if name not in fields:
            fields[name] = value
        elif name in _ADDRESS_FIELDS and value:
            fields[name] = fields[name] + b", " + value

    for line in header_bytes.split(b"\n"):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            continue
        if line[0] in (32, 9):  # folded continuation of the previous field
            if name is not None:
                parts.append(line)
            continue
        flush()
        colon = line.find(b":")
        if colon <= 0 or b" " in line[:colon].strip():
            name = None
            continue
        name = line[:colon].strip().lower().decode("latin-1")
        parts = [line[colon + 1 :]]
    flush()
    return fields


# -------------------------------------------------------------------------- addresses

# Lists without comments or groups (nearly all of them) are split here; the rest go to
# email.utils.getaddresses, which is correct but 3-5x slower.
_NEEDS_FULL_PARSER = re.compile(r"[();]")
_ADDR_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|<[^>]*>?|[^,"<]+|,')
# One well-formed entry: "quoted name" <addr>, plain name <addr>, or a bare addr.
_ADDR_ENTRY = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^,"<]*))\s*(?:<([^<>]*)>)?\s*(?:,|$)')


def _clean_email(addr: str) -> str:
    return addr.strip().strip("<>'\"").strip().rstrip(".").lower()


def _clean_name(name: str) -> str:
    name = decode_words(name)
    name = _WHITESPACE.sub(" ", name).strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1].strip()
    return name


def _split_simple(value: str) -> list[tuple[str, str]]:
    """(name, address) pairs of a list with no comments or groups; quotes honoured."""
    pairs: list[tuple[str, str]] = []
    pos, end = 0, len(value)
    match = _ADDR_ENTRY.match
    while pos < end:
        m = match(value, pos)
        if m is None or m.end() == pos:
            break
        quoted, plain, addr = m.groups()
        if addr is not None:
            name = quoted.replace('\\"', '"') if quoted is not None else plain
            pairs.append((name, addr))
        elif quoted is None:
            pairs.append(("", plain))
        else:
            break  # a quoted string with no address after it: take the slow path
        pos = m.end()
    else:
        return pairs
    return _split_tokens(value)


def _split_tokens(value: str) -> list[tuple[str, str]]:
    """The token-by-token version of :func:`_split_simple`, for odd but comment-free lists."""
    pairs: list[tuple[str, str]] = []
    name: list[str] = []
    addr: str | None = None
    for m in _ADDR_TOKEN.finditer(value + ","):
        tok = m.group()
        first = tok[0]
        if first == ",":
            if addr is not None:
                pairs.append((" ".join(name), addr))
            elif name:
                # No <addr>: the piece with an @ is the address, the rest its name.
                with_at = [p for p in name if "@" in p]
                if with_at:
                    rest = [p for p in name if p is not with_at[-1]]
                    pairs.append((" ".join(rest), with_at[-1]))
                else:
                    pairs.append(("", "".join(name)))
            name, addr = [], None
        elif first == '"':
            inner = tok[1:-1] if len(tok) > 1 and tok[-1] == '"' else tok[1:]
            name.append(inner.replace('\\"', '"').replace("\\\\", "\\"))
        elif first == "<":
            if addr is None:
                addr = tok[1:-1] if tok[-1] == ">" else tok[1:]
        elif not tok.isspace():
            name.append(tok.strip())
    return pairs


def parse_addresses(value: str) -> tuple[Address, ...]:
    """Parse an address list header (undecoded text) into Addresses.

    Emails are lower-cased, display names RFC 2047-decoded and unquoted. An unquoted
    "Last, First <a@b>" (invalid, but common) is put back together as one name.
    """
    if not value:
        return ()
    pairs: list[tuple[str, str]]
    if not _NEEDS_FULL_PARSER.search(value):
        pairs = _split_simple(value)
    else:
        try:
            pairs = getaddresses([value])
        except Exception:  # a hostile header must not crash the sync
            logger.debug("getaddresses failed on %r", value[:200], exc_info=True)
            pairs = []
    out: list[Address] = []
    carry = ""
    for raw_name, raw_addr in pairs:
        email = _clean_email(raw_addr)
        name = _clean_name(raw_name)
        if not email:
            continue
        if "@" not in email and not name and " " not in raw_addr.strip():
            # "Last" of "Last, First <a@b>": keep it for the next entry's name.
            carry = raw_addr.strip()
            continue
        if carry:
            if name:
                name = f"{carry}, {name}"
            else:
                out.append(Address("", carry.lower()))
            carry = ""
        if name.lower() == email:
            name = ""
        out.append(Address(name, email))
    if carry:
        out.append(Address("", carry.lower()))
    return tuple(out)


# ------------------------------------------------------------------------ message ids

_MSGID = re.compile(r"<([^<>\s]+)>")


def normalise_message_id(value: str) -> str:
    """``<abc@host>`` -> ``abc@host``: the first bracketed id, else the stripped value."""
    m = _MSGID.search(value)
    if m:
        return m.group(1)
    return "".join(value.split()).strip("<>")


def _message_ids(value: str) -> tuple[str, ...]:
    ids = _MSGID.findall(value)
    if ids:
        return tuple(ids)
    return tuple(v.strip("<>") for v in value.split() if "@" in v)


def synthetic_message_id(
    date: bytes | str, sender: bytes | str, subject: bytes | str, body_start: bytes
) -> str:
    """A stable stand-in for a missing Message-ID: ``followup-<sha1>@local``.

    Built from the raw Date, From and Subject values and the first
    ``SYNTHETIC_ID_BODY_BYTES`` of the body, line ends normalised, so a rerun, or the
    same message read through another source, gets the same id.
    """
    h = hashlib.sha1(usedforsecurity=False)
    for part in (date, sender, subject):
        h.update(part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part)
        h.update(b"\0")
    h.update(body_start.replace(b"\r\n", b"\n")[:SYNTHETIC_ID_BODY_BYTES].strip())
    return f"followup-{h.hexdigest()}@local"


# ------------------------------------------------------------------------------ dates


def parse_date(value: str) -> datetime | None:
    """An RFC 5322 date as aware UTC; None if unparseable. No zone (or -0000) means UTC."""
    if not value:
        return None
    try:
        t = parsedate_tz(value)
        if t is None:
            return None
        dt = datetime(t[0], t[1], t[2], t[3], t[4], t[5], tzinfo=UTC)
        return dt - timedelta(seconds=t[9] or 0)
    except (ValueError, OverflowError, TypeError, IndexError):
        # Out-of-range fields (month 13, year 0) or a parser hiccup on garbage.
        return None


# ------------------------------------------------------------------ automated signals

_NOREPLY_LOCAL = re.compile(
    r"^(?:.*no[-_.]?reply.*|do[-_.]?not[-_.]?reply.*|notifications?|notify|alerts?"
    r"|bounces?(?:[-+_.].*)?|auto[-_.]?(?:reply|responder|confirm).*)$"
)
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
        local = sender.email.split("@", 1)[0]
        if _DAEMON_LOCAL.match(local):
            return "mailer-daemon sender"
        if _NOREPLY_LOCAL.match(local):
            return "no-reply sender"
    if subject is None:
        subject = decode_header_value(fields.get("subject", b""))
    if _AUTO_SUBJECT.match(subject) or _AUTO_SUBJECT_EXACT.match(subject):
        return "auto-reply subject"
    return None


# ----------------------------------------------------------------------------- headers


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
        # Address lists: decode 8-bit bytes but not encoded words, which must be decoded
        # per display name after splitting (an encoded name may contain a comma).
        v = fields.get(name, b"")
        s = v.decode("ascii") if v.isascii() else _guess_decode(v)
        return _WHITESPACE.sub(" ", s).strip() if ("\n" in s or "\t" in s) else s

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
    in_reply = _message_ids(in_reply_to_raw)
    ctype = text("content-type").split(";", 1)[0].strip().lower() or "text/plain"
    return ParsedHeaders(
        message_id=message_id,
        subject=subject,
        sender=sender,
        to=parse_addresses(raw_text("to")),
        cc=parse_addresses(raw_text("cc")),
        bcc=parse_addresses(raw_text("bcc")),
        reply_to=parse_addresses(raw_text("reply-to")),
        date=parse_date(text("date")),
        in_reply_to=in_reply[0] if in_reply else None,
        references=_message_ids(text("references")),
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
        return _b64decode(payload)
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
    """What parse_message takes from a body: the chosen text part and the attachment names."""

    text: _Part | None
    attachments: list[str]


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
            for part in parts:
                head = split_header_section(part)
                if head is None:
                    continue
                _walk(split_fields(head[0]), head[1], out, depth + 1, n)
            return
    is_attachment = disposition.lower().startswith("attachment")
    filename = attachment_filename(ctype_raw, disposition)
    if ctype.startswith("text/") and not is_attachment and ctype in ("text/plain", "text/html"):
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
) -> MailRecord | Skipped:
    """A MailRecord from parsed headers, or Skipped when the message has no usable date.

    The Date header wins; without one (or unparseable), ``fallback_date`` (IMAP
    INTERNALDATE, mbox ``From `` line, file mtime) is used; naive fallbacks count as UTC.
    """
    date = headers.date
    if date is None:
        if fallback_date is None:
            reason = "no Date header and no fallback date"
            if headers.fields is not None and headers.fields.get("date"):
                reason = "unparseable Date header and no fallback date"
            return Skipped(folder, uid, reason)
        date = fallback_date
        date = date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)
    return MailRecord(
        source=source,
        folder=folder,
        role=role,
        uid=uid,
        message_id=headers.message_id,
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
        automated=headers.automated,
        size=size,
        uidvalidity=uidvalidity,
        gmail_thread_id=gmail_thread_id,
        labels=labels,
    )


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
        attachments: list[str] = []
        if max_excerpt > 0 or "multipart" in headers.content_type:
            # Bound the work: a huge body is only looked at as far as its text part needs.
            parts = choose_text_part(fields, body)
            attachments = parts.attachments
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
        )
    except Exception as e:  # the contract: one bad message never stops a sync
        logger.warning("Could not parse message %s/%s: %s", folder, uid, e, exc_info=True)
        return Skipped(folder, uid, f"parse error: {type(e).__name__}")
