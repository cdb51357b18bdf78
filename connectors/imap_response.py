"""A faster reader of FETCH responses, giving exactly what imapclient's parser gives.

imapclient's ``parse_fetch_response`` lexes the response one byte at a time in Python;
on a first sync it costs more CPU than everything else the IMAP source does. This
tokenizer takes whole tokens with one regular expression and builds the same values
(ints, bytes, None, nested tuples, ``BodyData`` for BODYSTRUCTURE, datetimes for
INTERNALDATE) with the same keys. Anything it does not read exactly as imapclient would
(a token imapclient rejects, a literal that does not fit, an item it does not know)
makes it hand the whole response to imapclient, so odd servers get imapclient's
behaviour, errors included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from imapclient.response_parser import _convert_INTERNALDATE, parse_fetch_response
from imapclient.response_types import BodyData

# One token after optional whitespace, as imapclient's lexer splits them: "(" | ")" |
# a quoted string | a word (specials excluded; "[...]" taken whole) | anything else.
# The word is possessive and may not run into a quote: imapclient rejects `abc"...`,
# so that falls to the last group and to imapclient.
_TOKEN = re.compile(
    rb'[ \t\r\n]*(?:(\()|(\))|("(?:[^"\\]|\\.)*+")'
    rb'|((?:[^\x00-\x20()%"\[]|\[[^\]]*\])++)(?!")|(.))',
    re.DOTALL,
)
_ESCAPE = re.compile(rb"\\([\\\"])")


class _Unusual(Exception):
    """The response has something only imapclient's own parser should judge."""


def _atoms(chunks: Sequence[Any]) -> list[Any]:
    """The top-level values of imaplib's response chunks (str or (str, literal))."""
    stack: list[list[Any]] = []
    current: list[Any] = []
    append = current.append
    for chunk in chunks:
        if isinstance(chunk, tuple):
            text, literal = chunk
            if not text.endswith(b"}"):
                raise _Unusual
        else:
            text, literal = chunk, None
        if not isinstance(text, bytes):
            raise _Unusual
        # findall, not finditer: no match objects. Every group that matched is
        # non-empty (a quoted string keeps its quotes here), so "" means "not this one".
        for opening, closing, quoted, word, _other in _TOKEN.findall(text):
            if word:
                if word == b"NIL":
                    append(None)
                elif word[0] == 123:  # "{n}": the chunk's literal
                    if literal is None or len(literal) != int(word[1:-1]):
                        raise _Unusual
                    append(literal)
                elif word.isdigit() and (word[0] != 48 or len(word) == 1):
                    append(int(word))
                else:
                    append(word)
            elif opening:
                stack.append(current)
                current = []
                append = current.append
            elif closing:
                if not stack:
                    raise _Unusual
                value = tuple(current)
                current = stack.pop()
                append = current.append
                append(value)
            elif quoted:
                value = quoted[1:-1]
                append(_ESCAPE.sub(rb"\1", value) if b"\\" in value else value)
            else:
                raise _Unusual
    if stack:
        raise _Unusual
    return current


def parse_fetch(chunks: Sequence[Any], normalise_times: bool) -> dict[int, dict[bytes, Any]]:
    """``parse_fetch_response(chunks, normalise_times, True)``'s result, computed faster."""
    if not chunks or chunks == [None]:
        return dict(parse_fetch_response(list(chunks), normalise_times, True))
    try:
        return _parse(chunks, normalise_times)
    except (_Unusual, ValueError, TypeError, IndexError, AttributeError):
        return dict(parse_fetch_response(list(chunks), normalise_times, True))


def _parse(chunks: Sequence[Any], normalise_times: bool) -> dict[int, dict[bytes, Any]]:
    atoms = _atoms(chunks)
    if len(atoms) % 2:
        raise _Unusual
    out: dict[int, dict[bytes, Any]] = {}
    for i in range(0, len(atoms), 2):
        seq, items = atoms[i], atoms[i + 1]
        if type(seq) is not int or type(items) is not tuple or len(items) % 2:
            raise _Unusual
        msg_id = seq
        data: dict[bytes, Any] = {b"SEQ": seq}
        for j in range(0, len(items), 2):
            word = items[j]
            if type(word) is not bytes:
                raise _Unusual
            word = word.upper()
            value = items[j + 1]
            if word == b"UID":
                if type(value) is not int:
                    raise _Unusual
                msg_id = value
            elif word == b"BODYSTRUCTURE" or word == b"BODY":
                if type(value) is not tuple or not value:
                    raise _Unusual
                data[word] = BodyData.create(value)
            elif word == b"INTERNALDATE":
                data[word] = _convert_INTERNALDATE(value, normalise_times)
            elif word == b"ENVELOPE":
                raise _Unusual  # never fetched by followup; imapclient converts it
            else:
                data[word] = value
        if msg_id in out:
            out[msg_id].update(data)
        else:
            out[msg_id] = data
    return out
