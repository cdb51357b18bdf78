"""Quoted text, forwarded blocks, signatures and legal footers removal.

A sentence must be judged once, in the message that wrote it: left in, quoted replies
halve the precision of the findings. ``split_body`` keeps the parts apart (the people
finder reads names from the signature and from quoted header blocks);
``clean_body`` returns only what the writer wrote.

Plain regular expressions on lines, no spaCy: this runs before the pipeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line that starts the quoted history: everything from it to the end goes.
_CUT_LINE = re.compile(
    r"""^\s*(?:
        -{2,}\s*Original\s+Message\s*-{2,}        # Outlook
      | Original\s+Message\s*$                    # Outlook, dashes lost in conversion
      | -{2,}\s*Forwarded\s+message\s*-{2,}       # Gmail
      | -{2,}\s*Forwarded\s+by\b.*                # Lotus Notes
      | Begin\s+forwarded\s+message:              # Apple Mail
      | -{2,}\s*Reply\s+message\s*-{2,}
      | _{10,}\s*$                                # Outlook's separator before From:/Sent:
      | -{5,}\s*$                                  # a bare line of dashes before a header
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# "On Mon, 5 Jan 2024 at 10:00, Dana Example <dana@example.com> wrote:" -- the attribution
# may be wrapped onto a second line by the client.
_WROTE = re.compile(r"^\s*(?:On\b|Le\b|Am\b|El\b).{0,200}?(?:wrote|écrit|schrieb|escribió)\s*:\s*$")
_WROTE_ANY = re.compile(r"^.{0,120}\b(?:wrote|writes)\s*:\s*$", re.IGNORECASE)
_HEADER = re.compile(r"^\s*\*?(From|Sent|To|Cc|Bcc|Subject|Date|Reply-To)\s*\*?\s*:", re.IGNORECASE)
# Lotus Notes attribution: "Dana Example@ACME" then "01/05/2002 10:14 AM".
_LOTUS_STAMP = re.compile(
    r"^\s*\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*[AP]M\s*$", re.I
)
# Lotus Notes reply header on one line: '"Dana Example" <dana@example.com> on 04/26/2001
# 08:15 PM', "Dana Example/HOU/ACME@ACME on 04/26/2001 08:15:33 AM" (a "From:" may lead).
# The part before " on " must look like a sender (an address, a quoted name or a Notes
# hierarchy), so the writer's "we spoke on 04/26/2001 08:15 PM" stays.
_LOTUS_ONE_LINE = re.compile(
    r"^\s*(?:From\s*:\s*)?(?P<who>[^\n]{1,160}?)\s+on\s+\d{1,2}/\d{1,2}/\d{2,4}\s+"
    r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AP]M)?(?:\s+[A-Z]{2,4})?\s*$",
    re.IGNORECASE,
)
_SENDER_LIKE = re.compile(r"@|<[^>]*>?|^\s*\"[^\"]+\"|\w/\w")
# A header field at a line start or after a run of spaces: Lotus Notes lays its reply
# header out in columns ('<dana@ex        To:     Sam Example/ACME').
_HEADER_ANYWHERE = re.compile(
    r"(?:^|\s{2,}|\t)\*?(From|Sent|Date|To|cc|Subject)\*?\s*:", re.IGNORECASE
)
_ON = re.compile(r"^\s*On\b")
_WROTE_END = re.compile(r"\bwrote:\s*$")
# What every test of a line as the start of the quoted history needs on that line: a
# colon (attributions, header fields, times), a run of dashes or underscores (rules),
# "On" (a wrapped attribution) or "Original" (a rule that lost its dashes, case-folded
# like _CUT_LINE). The leading character set lets the engine skip to the few characters
# a hint can begin with: twice as fast as the plain alternation.
_HINT = re.compile(r"[:_\-Oo](?:(?<=:)|(?<=-)-|(?<=_)_|(?<=O)n\b|(?i:riginal))")
_QUOTED = re.compile(r"^\s*(?:>|\|)")
_SIG_DASHES = re.compile(r"^--\s*$")
_MOBILE = re.compile(
    r"^\s*(?:Sent from my \w+|Sent from (?:Mail|Outlook|Yahoo Mail|my mobile)|"
    r"Get Outlook for \w+|Sent via \w+|Sent from Samsung)",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"^\s*(?:thanks(?: again| so much| a lot)?|thank you(?: very much)?|many thanks|thx|tia|"
    r"regards|best regards|kind regards|warm regards|warmest regards|best wishes|"
    r"best|all the best|cheers|sincerely|yours(?: truly| sincerely)?|respectfully|"
    r"talk soon|take care|love|ciao|rgds|br)\s*[,.!-]*\s*$",
    re.IGNORECASE,
)
# "Thanks, Dana" / "Best, Dana Example" on one line at the end.
_CLOSING_WITH_NAME = re.compile(
    r"^\s*(?:thanks|thank you|regards|best regards|kind regards|best|cheers|sincerely)"
    r"\s*[,-]\s*(?P<name>[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){0,2})\s*[.!]?\s*$",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"""^\s*(?:\**\s*)?(?:
        confidentiality\s+notice | disclaimer\b | legal\s+notice
      | this\s+(?:e-?mail|message|communication|transmission)\b.{0,80}
          \b(?:confidential|privileged|intended\s+(?:only|solely|for))
      | the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message|communication)
      | if\s+you\s+(?:are\s+not|have\s+received\s+this)\b.{0,60}\b(?:intended|in\s+error)
      | to\s+unsubscribe\b | you\s+are\s+receiving\s+this\s+(?:e-?mail|message)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Enron-style attachment lines carry no sentence worth judging.
_ATTACHMENT = re.compile(r"^\s*(?:<<.*>>|<\s*<\s*File\s*:.*|\(See attached file:.*\))\s*$", re.I)

# One expression per line instead of two or three: the same tests, joined.
_DROPPED_LINE = re.compile(rf"(?:{_QUOTED.pattern})|(?i:{_ATTACHMENT.pattern})")
_SIG_START = re.compile(
    rf"(?:{_SIG_DASHES.pattern})|(?i:{_MOBILE.pattern})|(?ix:{_FOOTER.pattern})"
)

_CONTACT = re.compile(r"@|https?://|www\.|\d{3}[-. )]+\d{3,4}|\b(?:Inc|Ltd|Co|Corp)\.$")

# How far below a closing a signature may run (name, title, company, phones).
_SIG_MAX_LINES = 8


@dataclass(frozen=True, slots=True)
class BodyParts:
    """A body split into what the writer wrote, their signature and the quoted rest."""

    body: str
    signature: str = ""
    quoted: str = ""


def clean_body(text: str) -> str:
    """Return ``text`` without quoted replies, forwarded blocks, signature and footers.

    Removed: "On ... wrote:" attributions and everything after, "-----Original
    Message-----" and everything after, Outlook "From:/Sent:" header blocks, ``>`` lines,
    forwarded-message blocks, a "-- " signature, "Thanks,\\nName" closings, mobile
    "Sent from my iPhone" lines and legal disclaimers. Never raises; "" stays "".
    """
    return split_body(text).body


def split_body(text: str) -> BodyParts:
    """Split ``text`` into the writer's own body, the signature and the quoted part."""
    if not text:
        return BodyParts("")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    cut = _find_quote_start(lines, text)
    own, quoted = lines[:cut], lines[cut:]
    # Interleaved replies: drop the quoted lines, keep the writer's answers between them.
    own = [ln for ln in own if not _DROPPED_LINE.match(ln)]
    own, signature = _cut_signature(own)
    body = "\n".join(own).strip()
    return BodyParts(body=body, signature="\n".join(signature).strip(), quoted="\n".join(quoted))


def _find_quote_start(lines: list[str], text: str) -> int:
    """The index of the first line of ``lines`` (``text`` split on newlines) that starts
    the quoted history, or ``len(lines)``.

    Every test in :func:`_quote_starts_at` needs one of the ``_HINT`` features on the
    line itself, and most lines have none: one search of the whole text finds the next
    line worth testing instead of nine expressions tried on every line.
    """
    line_no, line_start = 0, 0
    while (hint := _HINT.search(text, line_start)) is not None:
        line_no += text.count("\n", line_start, hint.start())
        start = _quote_starts_at(lines, line_no)
        if start is not None:
            return start
        end = text.find("\n", hint.start())
        if end < 0:
            break
        line_no, line_start = line_no + 1, end + 1
    return len(lines)


def _quote_starts_at(lines: list[str], i: int) -> int | None:
    """Where the quoted block starts if line ``i`` begins it (``i`` or a line above)."""
    line = lines[i]
    if _CUT_LINE.match(line):
        return i
    if _WROTE.match(line) or _WROTE_ANY.match(line):
        return i
    # An attribution wrapped over two lines: "On Mon, ... Dana Example <" + "...> wrote:"
    if (
        i + 1 < len(lines)
        and _ON.match(line)
        and _WROTE_END.search(lines[i + 1])
        and len(line) + len(lines[i + 1]) < 300
    ):
        return i
    if _HEADER.match(line) and line.lstrip().lower().startswith(("from", "*from")):
        # An Outlook header block: "From:" followed by Sent/Date/To/Subject lines.
        window = lines[i + 1 : i + 6]
        if sum(1 for w in window if _HEADER.match(w)) >= 2:
            return i
    lotus = _LOTUS_ONE_LINE.match(line)
    if lotus and _SENDER_LIKE.search(lotus.group("who")):
        return i
    if _header_columns(lines, i):
        # The name and address lines just above the columns belong to the block.
        start = i
        while start > 0 and i - start < 3 and lines[start - 1].strip():
            start -= 1
        return start
    if _LOTUS_STAMP.match(line) and i > 0:
        # "Name@Org" on the line before the stamp belongs to the quoted block too.
        return i - 1 if "@" in lines[i - 1] or not lines[i - 1].strip() else i
    return None


def _header_columns(lines: list[str], i: int) -> bool:
    """Line ``i`` starts a block of reply-header fields (From/Sent/Date/To/cc/Subject),
    one per line or laid out in columns: three different fields within four lines, the
    first on line ``i``."""
    first = _HEADER_ANYWHERE.search(lines[i])
    if first is None:
        return False
    names = {first.group(1).lower()}
    for line in lines[i + 1 : i + 4]:
        names.update(m.group(1).lower() for m in _HEADER_ANYWHERE.finditer(line))
    return len(names) >= 3


def _cut_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove the signature (and any legal footer) from the end of the writer's lines."""
    tail: list[str] = []
    for i, line in enumerate(lines):
        if _SIG_START.match(line):
            lines, tail = lines[:i], lines[i:]
            break
    # The last closing line ("Thanks," / "Best regards,") with only a short block below.
    last = _last_nonblank(lines)
    for i in range(last, max(-1, last - _SIG_MAX_LINES - 1), -1):
        line = lines[i]
        if _CLOSING.match(line) or (_CLOSING_WITH_NAME.match(line) and i == last):
            below = [ln for ln in lines[i + 1 : last + 1] if ln.strip()]
            if i > _first_nonblank(lines) and all(_sig_like(ln) for ln in below):
                return lines[:i], lines[i:] + tail
    return lines, tail


def _sig_like(line: str) -> bool:
    """A signature line: short, and not a sentence (names, titles, phones, addresses)."""
    text = line.strip()
    if len(text) >= 60:
        return False
    return not text.endswith((".", "?", "!")) or bool(_CONTACT.search(text))


def _first_nonblank(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        if line.strip():
            return i
    return len(lines)


def _last_nonblank(lines: list[str]) -> int:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip():
            return i
    return -1
