"""The one sanitised text path from mail to every screen: terminal, JSON, email, logs.

Mail is written by strangers. A subject or a display name can carry terminal escape
sequences (clear the screen, set the window title, an OSC 8 hyperlink to anywhere),
bidi overrides that make ``evil.com/moc.knab`` read backwards, NULs, and line
separators that fake extra lines. Everything taken from mail passes through here
before it is shown:

- ``clean_line``: one display line (the digest, ``people``, ``person``, ``sync``);
- ``scrub``: the same characters removed, line breaks kept where asked (log
  tracebacks, JSON strings, whose own escaping takes care of the breaks);
- ``dump_json``: JSON for a terminal or a pipe, every string scrubbed;
- ``SafeFormatter``: the logging formatter the CLI installs, one clean line per record.

Rich markup is never read from data: the CLI's console has markup off (see
``followup.cli.output.console``), so ``[link=...]`` in a name shows literally.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from typing import Any

# Whole escape sequences go (not just the ESC), so no "[2J" debris is left behind:
# CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings up to BEL or ST, other two-byte
# escapes, and the same introduced by their C1 forms (0x9B CSI, 0x9D OSC, ...).
# Each string body stops at the next ESC, so scanning stays linear on hostile input.
_ESCAPES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [0-?]* [ -/]* [@-~]
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)
    | \x1b [ -/]* [0-~]
    """,
    re.VERBOSE,
)

# Bidi embeddings, overrides and isolates (U+202A-E, U+2066-9), the marks U+200E/F
# and U+061C: they reorder what the reader sees. Zero-width joiners (emoji) are kept.
_BIDI = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
)
# Line and paragraph separators break lines in some terminals and viewers.
_SEPARATORS = "\u2028\u2029\x85"
_WS = re.compile(r"\s+")


def _replacement(c: str, keep: str) -> str:
    if c in keep:
        return c
    if c in _SEPARATORS:
        return " "
    category = unicodedata.category(c)
    if category == "Cc":
        return " "
    # A lone surrogate (a broken encoded word) cannot even be written to a UTF-8 stream.
    return "\ufffd" if category == "Cs" else c


def scrub(text: str | None, *, keep_newlines: bool = False) -> str:
    """``text`` without escape sequences, C0/C1 controls (NUL, ESC, DEL included), bidi
    controls or line separators; each removed control becomes a space, a lone surrogate
    U+FFFD.

    With ``keep_newlines``, "\\n" and "\\t" stay (a traceback keeps its lines).
    Nothing else changes: no trimming, no cap.
    """
    if not text:
        return ""
    text = _ESCAPES.sub("", str(text)).translate(_BIDI)
    keep = "\n\t" if keep_newlines else ""
    if text.isprintable():  # the common case (no Cc, Cs, Zl or Zp), in one pass of C code
        return text
    return "".join(_replacement(c, keep) for c in text)


def clean_line(text: str | None, limit: int = 300) -> str:
    """One safe display line: ``scrub``bed, NFC, whitespace collapsed, capped at ``limit``."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", scrub(text))
    text = _WS.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def scrub_json(value: Any) -> Any:
    """``value`` with every string in it (keys too) ``scrub``bed, line breaks kept."""
    if isinstance(value, str):
        return scrub(value, keep_newlines=True)
    if isinstance(value, dict):
        return {scrub_json(k): scrub_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_json(v) for v in value]
    return value


def dump_json(value: Any, **kwargs: Any) -> str:
    """JSON safe to print: strings scrubbed, UTF-8 kept readable (``ensure_ascii`` off).

    json.dumps escapes C0 controls itself but leaves C1 controls, DEL and bidi
    characters raw once ``ensure_ascii`` is off; they are gone before it runs.
    """
    kwargs.setdefault("indent", 2)
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(scrub_json(value), **kwargs)


class SafeFormatter(logging.Formatter):
    """Each record's message (its args included) as one clean line; a traceback keeps its
    lines but loses every control and bidi character. Mail text reaches logs through
    arguments (a file name, a folder, a server's answer), so the formatted message is
    cleaned, not the format string."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        # ``record.message`` is recomputed by every formatter's format(): safe to replace.
        record.message = clean_line(record.message, limit=2000)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record), keep_newlines=True)
