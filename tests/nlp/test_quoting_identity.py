"""The fast quote search cuts exactly where the plain line-by-line search cut.

``split_body`` skips to the lines that carry a hint and joins the per-line expressions;
the reference below is the earlier implementation, line by line with every expression,
kept here over the module's own expressions so a change to one of them that the hint
or a joined expression no longer covers makes these tests fail.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from mail_texts import mail_texts

from nlp import quoting as q
from nlp.quoting import BodyParts, split_body

REPO = Path(__file__).resolve().parents[2]


def reference_find_quote_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if q._CUT_LINE.match(line):
            return i
        if q._WROTE.match(line) or q._WROTE_ANY.match(line):
            return i
        if (
            i + 1 < len(lines)
            and re.match(r"^\s*On\b", line)
            and re.search(r"\bwrote:\s*$", lines[i + 1])
            and len(line) + len(lines[i + 1]) < 300
        ):
            return i
        if q._HEADER.match(line) and line.lstrip().lower().startswith(("from", "*from")):
            window = lines[i + 1 : i + 6]
            if sum(1 for w in window if q._HEADER.match(w)) >= 2:
                return i
        lotus = q._LOTUS_ONE_LINE.match(line)
        if lotus and q._SENDER_LIKE.search(lotus.group("who")):
            return i
        if q._header_columns(lines, i):
            start = i
            while start > 0 and i - start < 3 and lines[start - 1].strip():
                start -= 1
            return start
        if q._LOTUS_STAMP.match(line) and i > 0:
            return i - 1 if "@" in lines[i - 1] or not lines[i - 1].strip() else i
    return len(lines)


def reference_cut_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    tail: list[str] = []
    for i, line in enumerate(lines):
        if q._SIG_DASHES.match(line) or q._MOBILE.match(line) or q._FOOTER.match(line):
            lines, tail = lines[:i], lines[i:]
            break
    last = q._last_nonblank(lines)
    for i in range(last, max(-1, last - q._SIG_MAX_LINES - 1), -1):
        line = lines[i]
        if q._CLOSING.match(line) or (q._CLOSING_WITH_NAME.match(line) and i == last):
            below = [ln for ln in lines[i + 1 : last + 1] if ln.strip()]
            if i > q._first_nonblank(lines) and all(q._sig_like(ln) for ln in below):
                return lines[:i], lines[i:] + tail
    return lines, tail


def reference_split_body(text: str) -> BodyParts:
    if not text:
        return BodyParts("")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = reference_find_quote_start(lines)
    own, quoted = lines[:cut], lines[cut:]
    own = [ln for ln in own if not q._QUOTED.match(ln) and not q._ATTACHMENT.match(ln)]
    own, signature = reference_cut_signature(own)
    body = "\n".join(own).strip()
    return BodyParts(body=body, signature="\n".join(signature).strip(), quoted="\n".join(quoted))


# Pieces of every shape the expressions look for, near misses, odd line breaks and
# whitespace, and letters that case-fold onto ASCII ones ("İ", "ı", "ſ", "K").
FRAGMENTS = [
    "On", "On Mon, 5 Jan 2024 at 10:00, Dana <dana@example.com>", "On Monday Dana <", "on",
    "ON", "Le", "Am", "El", " wrote:", "wrote", " écrit :", "schrieb:", "escribió:", "writes:",
    ":", "::",
    "-", "--", "-----", "-----Original Message-----", "Original Message", "ORİGİNAL",
    "orıgınal", "Original", "message", "---------- Forwarded message ---------",
    "-- Forwarded by Dana/HOU/ACME on", "Begin forwarded message:", "-- Reply message --",
    "_", "__________", "___________", "From:", "*From:*", "Sent:", "To:", "Cc:", "cc:",
    "Bcc:", "Subject:", "Date:", "Reply-To:", "From", "Sent", "      To:   ", "\tSubject:",
    "01/05/2002 10:14 AM", "04/26/2001 08:15:33 PM CDT", "10:00", "dana@ACME", " on ",
    '"Dana Example" <dana@example.com>', "Dana Example/HOU/ACME@ACME", "@", "<", ">",
    "> ", "|", '"', "/", "<<deck.pdf>>", "<< File: deck.pdf >>", "(See attached file: a.xls)",
    "Thanks,", "Best regards,", "Thanks, Dana", "Cheers", "--\u00a0", "-- ", "Sent from my iPhone",
    "Get Outlook for iOS", "CONFIDENTIALITY NOTICE", "This email is confidential",
    "** Disclaimer", "To unsubscribe", "+1 555 0100", "www.example.com", "Dana Example",
    "Can you send the deck?", "I will.", "ſent:", "K", "\n", "\n", "\n", "\r\n", "\r",
    " ", "  ", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u00a0", "*",
]  # fmt: skip
texts = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60).map("".join),
    st.text(max_size=300),
)


def assert_same(text: str) -> None:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    joined = "\n".join(lines)
    assert q._find_quote_start(lines, joined) == reference_find_quote_start(lines)
    assert split_body(text) == reference_split_body(text)


@settings(max_examples=3000, deadline=None)
@given(texts)
@example("Yes.\n\nOn Monday Dana Example <\ndana@example.com> wrote:\n> Can you?")
@example("Fine.\nOriginal Message\nPlease review.")
@example("Fine.\n__________\nFrom: Dana\nSent: Monday\nTo: Sam")
def test_any_text_is_cut_as_before(text: str) -> None:
    assert_same(text)


def test_generated_mail_is_cut_as_before() -> None:
    texts = mail_texts(3, 5)
    assert len(texts) > 3000
    cut = 0
    for text in texts:
        for piece in (text, text[:4096]):
            assert_same(piece)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        cut += reference_find_quote_start(lines) < len(lines)
    assert cut > len(texts) // 4  # the corpus has quoted history to find
