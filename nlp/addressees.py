"""Whom an ask is put to, by name: the mail's greeting ("Hi Dana,", "Dana, Robin -") and
a name that opens the asking sentence or clause ("Dana, can you ...", "... - John has
anyone ...?").

An ask with no addressee is put to everyone the mail was sent to. With the reader's own
names at hand (``TextItem.reader_names``) the pipeline marks an ask put by name to
someone else only: it is not the reader's to answer. Plain regular expressions, no spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nlp.patterns import INTERJECTIONS
from nlp.people import _NOT_VOCATIVE

_WORD = r"[A-Z][a-z'\-]+"
_NAMES = rf"{_WORD}(?:\s+{_WORD})?(?:\s*(?:,|/|&|\band\b)\s*{_WORD}(?:\s+{_WORD})?)*"
# A greeting line on its own: "Hi Dana,", "Dana & Robin:", "Good morning Lee -".
_GREETING_LINE = re.compile(
    rf"^\s*(?:(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|morning)\s*,?\s+)?"
    rf"(?P<names>{_NAMES})\s*[,:!\-]*\s*$",
    re.IGNORECASE,
)
# A name opening the sentence or a clause after a dash or semicolon, then a comma or a
# dash: "Dana, please ...", "... - Robin, can you ...".
_VOCATIVE = re.compile(rf"(?:^|[;:]\s+|\s[-\u2013]+\s*)(?P<name>{_WORD})\s*(?:,|\s[-\u2013])\s*\S")
# Without the comma only before a question put to someone: "- John has anyone ...?"
_VOCATIVE_BARE = re.compile(
    rf"(?:^|[;:]\s+|\s[-\u2013]+\s*)(?P<name>{_WORD})\s+"
    r"(?:has|have|can|could|would|will|do|did|are|is|were|was)\s+"
    r"(?:you|anyone|anybody|someone|somebody|there|we|y'all)\b[^?]*\?\s*$"
)
# Greeting words that single out nobody: the ask is everyone's.
_GROUP = frozenset(
    ["all", "everyone", "everybody", "team", "folks", "guys", "gang", "y'all", "gentlemen",
     "ladies", "colleagues", "friends", "group", "people", "sir", "madam", "both", "you"]
)  # fmt: skip
_NOT_NAMES = _NOT_VOCATIVE | {w.lower() for w in INTERJECTIONS} | _GROUP


def _clean(names: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        first = name.split()[0]
        if first.lower() in _NOT_NAMES or first.lower().endswith("ly") or len(first) < 2:
            continue
        if name not in out:
            out.append(name)
    return tuple(out)


def greeting_names(body: str) -> tuple[str, ...]:
    """The names the mail's opening greeting line addresses; () for none or a group
    greeting ("Hi all,"), and for a first line that is already a sentence."""
    for line in body.splitlines():
        if not line.strip():
            continue
        m = _GREETING_LINE.match(line) if len(line.strip()) <= 60 else None
        if m is None:
            return ()
        parts = re.split(r"\s*(?:,|/|&|\band\b)\s*", m.group("names"))
        words = [p for p in parts if p]
        if any(w.split()[0].lower() in _GROUP for w in words):
            return ()  # "Dana and all," is everyone's too
        return _clean(words)
    return ()


def sentence_addressee(sentence: str) -> str | None:
    """The name an asking sentence or one of its clauses opens with, or None."""
    text = " ".join(sentence.split())
    for pattern in (_VOCATIVE, _VOCATIVE_BARE):
        for m in pattern.finditer(text):
            names = _clean([m.group("name")])
            if names:
                return names[0]
    return None


def addressees(sentence: str, greeting: tuple[str, ...]) -> tuple[str, ...]:
    """Whom the ask in ``sentence`` is put to: its own vocative, else the greeting's."""
    own = sentence_addressee(sentence)
    return (own,) if own else greeting


def addressed_to_other(names: tuple[str, ...], reader_names: Iterable[str]) -> bool:
    """True when ``names`` single people out and none of them is the reader (any word of
    the reader's names, case-insensitive: "Dana" is "Dana Lee")."""
    if not names:
        return False
    mine = {w.lower().strip(".,") for n in reader_names for w in n.replace(",", " ").split()}
    if not mine:
        return False
    return not any(w.lower() in mine for n in names for w in n.split())
