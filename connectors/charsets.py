"""Text from mail bytes: MIME charsets with fallbacks, and RFC 2047 encoded words.

Nothing here raises on hostile input: unknown or lying charset labels fall back to UTF-8
(when the bytes look like UTF-8) or Windows-1252, and broken encoded words decode as far
as they go.
"""

from __future__ import annotations

import binascii
import codecs
import functools
import re

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
# Codecs that read backslash escapes, not a character set: a body labelled with one
# would be rewritten by its backslashes (an escaped \ud800 is a lone surrogate).
_NOT_CHARSETS = frozenset({"unicode_escape", "raw_unicode_escape", "punycode", "idna"})


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
        if name.replace("-", "_") in _NOT_CHARSETS:
            return None
        b"a".decode(name)  # rejects bytes-to-bytes codecs such as "base64" or "zlib"
    except Exception:  # LookupError, or a codec that refuses everything ("undefined")
        return None
    return name


def guess_decode(data: bytes, *, partial: bool = False) -> str:
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
    back to :func:`guess_decode`; other codecs decode with replacement characters.
    """
    if data.isascii() and (charset is None or _codec(charset) != "utf-7"):
        return data.decode("ascii")  # UTF-7 is ASCII bytes that mean something else
    codec = _codec(charset)
    if codec is None or codec in ("ascii", "utf-8"):
        return guess_decode(data, partial=partial)
    try:
        return data.decode(codec, "replace")
    except Exception:  # a few codecs ignore errors="replace"
        return guess_decode(data, partial=partial)


# ---------------------------------------------------------------------- RFC 2047 words

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/]")
_WHITESPACE = re.compile(r"\s+")


def b64decode_lenient(data: bytes) -> bytes:
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
        data = b64decode_lenient(m.group(3).encode("ascii", "replace"))
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
        value = value.decode("ascii") if value.isascii() else guess_decode(value)
    value = decode_words(value)
    if "\n" in value or "\r" in value or "\t" in value:
        value = _WHITESPACE.sub(" ", value)
    return value.strip()


# --------------------------------------------------------------------- storable text

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str, cap: int | None = None) -> str:
    """``value`` made safe to store and encode: NULs removed, lone surrogates replaced
    by U+FFFD, cut to ``cap`` characters. Never raises.

    UTF-7 and a few lenient decoders can produce lone surrogates (``=?utf-7?q?+2AA-?=``),
    which no UTF-8 encoder accepts; PostgreSQL refuses NUL in text.
    """
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        value = _SURROGATE.sub("\ufffd", value)
    if cap is not None and len(value) > cap:
        value = value[:cap]
    return value
