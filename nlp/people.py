"""People: names from header lines, greetings and signatures, plus PERSON entities.

The rules read what mail puts in fixed places ("From: Example, Dana", "Hi Dana,",
"Thanks,\\nDana Example"); the statistical model's NER, where installed, adds names in
running text, run only on the lines that carry a capitalised word worth asking about
(it is the slow step). First-name-only mentions are folded into the full name they
start when the same text names that person in full.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nlp.findings import PersonMention

_NAME_WORD = r"[A-Z][a-zA-Z'\-]+\.?"
_NAME = rf"{_NAME_WORD}(?:\s+(?:[A-Z]\.\s*)?{_NAME_WORD}){{0,2}}(?:\s+[A-Z]\.(?!\w))?"
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# "From: Dana Example <dana@example.com>", "To : Example , Dana", "X - From : Example, Dana"
_HEADER_LINE = re.compile(
    r"^\s*(?:X\s*-\s*)?(?:From|To|Cc|Bcc|Reply-To)\s*:\s*(?P<value>.+)$", re.IGNORECASE | re.M
)
_GREETING = re.compile(
    rf"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|morning|greetings)"
    rf"\s*,?\s+(?P<name>{_NAME})\s*[,:!-]",
    re.IGNORECASE | re.M,
)
_BARE_GREETING = re.compile(rf"^[ \t]*(?P<name>{_NAME})[ \t]*[,:][ \t]*$", re.M)
# A line that is only a name, closing the message (before a quote or at the end).
_BARE_NAME_END = re.compile(
    rf"^[ \t]*(?P<name>{_NAME})[ \t]*\n(?=\s*(?:\Z|-*\s*Original Message|-+\s*Forwarded|"
    rf"On .* wrote|From\s*:))",
    re.M,
)
_CLOSING = re.compile(
    r"^\s*(?:thanks(?: again)?|thank you|regards|best(?: regards)?|kind regards|cheers|"
    r"sincerely|best wishes|take care|rgds)\s*[,.!-]*\s*$",
    re.IGNORECASE,
)
_CLOSING_WITH_NAME = re.compile(
    rf"^\s*(?:thanks|thank you|regards|best|cheers)\s*[,-]\s*(?P<name>{_NAME})\s*[.!]?\s*$",
    re.IGNORECASE | re.M,
)
_SIGNATURE_NAME = re.compile(rf"^\s*(?P<name>{_NAME})\s*$")
# Words that look like names at the start of a line but are not.
_NOT_NAMES = frozenset(
    [
        "all",
        "team",
        "everyone",
        "folks",
        "guys",
        "thanks",
        "thank",
        "regards",
        "best",
        "hi",
        "hello",
        "dear",
        "the",
        "this",
        "that",
        "please",
        "attached",
        "fyi",
        "re",
        "fw",
        "fwd",
        "subject",
        "sent",
        "from",
        "to",
        "cc",
        "original",
        "message",
        "yes",
        "no",
        "ok",
        "okay",
        "sir",
        "madam",
        "morning",
        "afternoon",
        "evening",
        "there",
        "you",
        "me",
        "us",
        "them",
        "all,",
        "gentlemen",
        "ladies",
        "enron",
        "confidential",
        "importance",
        "high",
        "low",
    ]
)
_NER_SLIPS = frozenset(
    [
        "cheers",
        "draft",
        "request",
        "schedule",
        "email",
        "e-mail",
        "asap",
        "map",
        "message",
        "original",
        "attachment",
        "agenda",
        "memo",
        "calendar",
        "fyi",
        "thx",
        "regards",
        "sincerely",
        "questions",
        "suite",
    ]
)
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+\b")
_ENTITY_BLACKLIST = frozenset(["enron", "ferc", "ees", "ena", "eol", "hou", "ect", "corp"])


@dataclass(frozen=True, slots=True)
class NameSpan:
    """A name found in the text, with its character span and address where known."""

    start: int
    end: int
    name: str
    email: str | None = None


def rule_spans(text: str) -> list[NameSpan]:
    """Names the rules find: header lines, greetings, closings and signature lines."""
    found: list[NameSpan] = []
    for m in _HEADER_LINE.finditer(text):
        found.extend(_header_names(m.group("value"), m.start("value")))
    for pattern in (_GREETING, _BARE_GREETING, _CLOSING_WITH_NAME, _BARE_NAME_END):
        for m in pattern.finditer(text):
            _add(found, m.start("name"), m.end("name"), m.group("name"))
    lines = text.split("\n")
    offset = 0
    offsets = []
    for line in lines:
        offsets.append(offset)
        offset += len(line) + 1
    for i, line in enumerate(lines[:-1]):
        if _CLOSING.match(line):
            # The first non-blank line under a closing is the writer's name.
            for k in range(i + 1, min(i + 3, len(lines))):
                if not lines[k].strip():
                    continue
                m = _SIGNATURE_NAME.match(lines[k])
                if m:
                    _add(found, offsets[k] + m.start("name"), offsets[k] + m.end("name"),
                         m.group("name"))  # fmt: skip
                break
    return found


def _header_names(value: str, base: int) -> list[NameSpan]:
    out: list[NameSpan] = []
    # Recipients are separated by ";" (Outlook) or by "," between addresses.
    for part in re.finditer(r"[^;]+", value):
        chunk = part.group(0)
        email_m = _EMAIL.search(chunk)
        email = email_m.group(0).lower() if email_m else None
        name_part = chunk[: email_m.start()] if email_m else chunk
        name_part = re.sub(r"[<\[(\"']|mailto:", " ", name_part)
        stripped = name_part.strip(" ,\t")
        if not stripped:
            continue
        start = base + part.start() + name_part.find(stripped)
        # "Example , Dana" / "Example, Dana K." -> "Dana Example" (Outlook's display form).
        last_first = re.fullmatch(rf"({_NAME_WORD})\s*,\s*({_NAME})", stripped)
        if last_first:
            name = f"{last_first.group(2)} {last_first.group(1)}"
            out.append(NameSpan(start, start + len(stripped), _tidy(name), email))
        elif re.fullmatch(_NAME, stripped):
            out.append(NameSpan(start, start + len(stripped), _tidy(stripped), email))
    return out


def _tidy(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip(" .,")


def _add(found: list[NameSpan], start: int, end: int, name: str) -> None:
    words = name.split()
    if not words or words[0].lower().strip(",.") in _NOT_NAMES or not _plausible_name(name):
        return
    found.append(NameSpan(start, end, _tidy(name)))


def ner_candidate_lines(text: str) -> Iterable[tuple[int, str]]:
    """Lines worth running NER on: a capitalised word. A name often opens a line
    ("Dana, can you..."), so those count too."""
    offset = 0
    for line in text.split("\n"):
        if _CAPITALISED.search(line):
            yield offset, line
        offset += len(line) + 1


def ner_spans(text: str, ner: Callable[[list[str]], list[list[tuple[int, int]]]]) -> list[NameSpan]:
    """PERSON spans from ``ner`` (texts -> per-text (start, end) char spans) on candidates."""
    candidates = list(ner_candidate_lines(text))
    spans: list[NameSpan] = []
    for (base, line), ents in zip(candidates, ner([line for _, line in candidates]), strict=True):
        for s, e in ents:
            name = _tidy(line[s:e])
            if not _plausible_name(name):
                continue
            spans.append(NameSpan(base + s, base + e, name))
    return spans


def _plausible_name(name: str) -> bool:
    """Drop NER's usual slips in mail: closings, headings, codes, acronyms."""
    words = name.replace(",", " ").split()
    if not words or "@" in name or any(ch.isdigit() for ch in name):
        return False
    lowered = {w.lower().strip(".") for w in words}
    if lowered & (_NOT_NAMES | _ENTITY_BLACKLIST | _NER_SLIPS):
        return False
    # A lone all-capital word is an acronym, not a name ("ASAP").
    if len(words) == 1 and len(words[0]) > 1 and words[0].isupper():
        return False
    return words[0][:1].isupper()


def merge_spans(*groups: Iterable[NameSpan]) -> list[NameSpan]:
    """Union of span lists, overlapping spans kept once (the first group wins)."""
    kept: list[NameSpan] = []
    for group in groups:
        for span in group:
            if not any(span.start < k.end and k.start < span.end for k in kept):
                kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def to_people(spans: Iterable[NameSpan], sender_name: str = "") -> tuple[PersonMention, ...]:
    """Distinct people, first-name-only mentions folded into the full name they start."""
    by_key: dict[str, PersonMention] = {}
    names = list(spans)
    if sender_name:
        names.insert(0, NameSpan(0, 0, _tidy(sender_name)))
    for span in names:
        key = span.name.lower()
        existing = by_key.get(key)
        if existing is None or (existing.email is None and span.email):
            by_key[key] = PersonMention(span.name, span.email or (existing and existing.email))
    full = [p for p in by_key.values() if " " in p.name]
    out: list[PersonMention] = []
    for person in by_key.values():
        if " " not in person.name:
            matches = [f for f in full if f.name.split()[0].lower() == person.name.lower()]
            if len(matches) == 1:  # unambiguous: "Dana" is "Dana Example"
                continue
        out.append(person)
    return tuple(out)
