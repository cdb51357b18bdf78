"""People: names from header lines, greetings and signatures, plus PERSON entities.

The rules read what mail puts in fixed places ("From: Example, Dana", "Hi Dana,",
"Thanks,\\nDana Example"); the statistical model's NER, where installed, adds names in
running text, run only on the lines that carry a capitalised word worth asking about
(it is the slow step). First-name-only mentions are folded into the full name they
start when the same text names that person in full, else linked to the one
correspondent of the thread with that first name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nlp.findings import PersonMention

_NAME_WORD = r"[A-Z][a-zA-Z'\-]+\.?"
# Words of one name are on one line: "Dana\nDana Example" (a first name signed above
# the full one) is two names, not "Dana Dana Example".
_NAME = rf"{_NAME_WORD}(?:[ \t]+(?:[A-Z]\.[ \t]*)?{_NAME_WORD}){{0,2}}(?:[ \t]+[A-Z]\.(?!\w))?"
# Initials that sign a message ("TK", "SPR"): only where a signature is expected.
_INITIALS = r"[A-Z]{2,3}"
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# "From: Dana Example <dana@example.com>", "To : Example , Dana", "X - From : Example, Dana"
_HEADER_LINE = re.compile(
    r"^[ \t]*(?:X[ \t]*-[ \t]*)?(?:From|To|Cc|Bcc|Reply-To)[ \t]*:[ \t]*(?P<value>.+)$",
    re.IGNORECASE | re.M,
)
_GREETING = re.compile(
    rf"^\s*(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening)|morning|greetings)"
    rf"\s*,?\s+(?P<name>{_NAME})\s*[,:!-]",
    re.IGNORECASE | re.M,
)
_BARE_GREETING = re.compile(rf"^[ \t]*(?P<name>{_NAME})[ \t]*[,:][ \t]*$", re.M)
# A line that is only a name, closing the message (before a quote or at the end).
_BARE_NAME_END = re.compile(
    rf"^[ \t]*(?P<name>{_NAME}|{_INITIALS})[ \t]*(?:\n(?=\s*(?:\Z|-*\s*Original Message|"
    rf"-+\s*Forwarded|On .* wrote|From\s*:))|\Z)",
    re.M,
)
_CLOSING = re.compile(
    r"^\s*(?:thanks(?: again)?|thank you|regards|best(?: regards)?|kind regards|cheers|"
    r"sincerely|best wishes|take care|rgds)\s*[,.!-]*\s*$",
    re.IGNORECASE,
)
_CLOSING_WITH_NAME = re.compile(
    rf"^\s*(?:thanks|thank you|regards|best regards|kind regards|best|cheers)\s*[,-]?\s*"
    rf"(?-i:(?P<name>{_NAME}|{_INITIALS}))\s*[.!]?\s*$",
    re.IGNORECASE | re.M,
)
# "Dana ," / "Dana - please ..." / "Dana / Robin :" / "Dana & Robin ," opening a line.
# What follows is the message ("Dana , please ...", "Dana - can you"), not a place or a
# field value ("Houston , Texas", "Price : $ 850").
_VOCATIVE = re.compile(
    rf"^[ \t]*(?P<names>{_NAME_WORD}(?:[ \t]*(?:/|&|,|and)[ \t]*(?:{_NAME_WORD}|{_INITIALS}))*)"
    rf"[ \t]*(?:[,:-][ \t]*$|[,-][ \t]+(?-i:[a-z]|(?:Please|Can|Could|Would|Will|Do|Did|Are|"
    rf"Is|Have|I|We|Thanks|Thank|Here|Attached|As|The|This|Just|Let|FYI|Per|Your|My|Our|What|"
    rf"When|How|Where|Who|Why|Hope|Good|Great|Sorry|Congratulations)\b))",
    re.M,
)
# Lotus Notes: "Forwarded by Dana Example / HOU / ECT on 05/25/2001 12:42 PM".
_LOTUS = re.compile(rf"Forwarded\s+by\s+(?P<name>{_NAME})\s*/")
# Sentence starters that a vocative pattern would otherwise take for a name.
_NOT_VOCATIVE = frozenset(
    [
        "actually", "additionally", "address", "again", "agenda", "all", "also", "and", "answer",
        "anyway", "april", "as", "at", "attached", "august", "background", "basically", "bcc",
        "besides", "but", "by", "cc", "cell", "contact", "cool", "currently", "date", "dear",
        "december", "dimensions", "email", "everyone", "fax", "february", "finally", "fine",
        "first", "folks", "for", "friday", "from", "further", "furthermore", "fw", "fwd", "fyi",
        "generally", "gentlemen", "good", "great", "guys", "hello", "hence", "hi", "hopefully",
        "how", "however", "if", "importance", "in", "instead", "item", "january", "july", "june",
        "ladies", "location", "march", "may", "meanwhile", "mobile", "monday", "moreover", "name",
        "no", "note", "november", "now", "obviously", "october", "office", "ok", "okay", "on",
        "or", "otherwise", "overall", "path", "perfect", "personally", "phone", "please", "plus",
        "price", "purpose", "question", "re", "regardless", "return", "saturday", "second", "sent",
        "september", "sir", "so", "sorry", "still", "subject", "summary", "sunday", "sure", "team",
        "tel", "thanks", "then", "therefore", "third", "thursday", "thus", "time", "title", "to",
        "today", "tomorrow", "total", "tuesday", "unfortunately", "update", "wednesday", "well",
        "what", "when", "where", "who", "why", "with", "yes", "yesterday",
    ]
)  # fmt: skip
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
# "dana . example@..." (a tokenised address) and "2929 Example Parkway , Suite 200".
_IN_ADDRESS = re.compile(r"\s?\.\s?[\w.-]+@")
_STREET = re.compile(
    r"^\s*\d+\s+(?:[A-Z]\w+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Parkway|Pkwy|Blvd|"
    r"Boulevard|Drive|Dr|Lane|Ln|Way|Place|Pl|Court|Ct|Suite)\b"
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
    for pattern in (_GREETING, _BARE_GREETING, _CLOSING_WITH_NAME, _BARE_NAME_END, _LOTUS):
        for m in pattern.finditer(text):
            _add(found, m.start("name"), m.end("name"), m.group("name"), initials=True)
    for m in _VOCATIVE.finditer(text):
        base = m.start("names")
        for w in re.finditer(r"[A-Za-z][\w'\-]*", m.group("names")):
            word = w.group(0)
            if word == "and" or word.lower() in _NOT_VOCATIVE or word.lower().endswith("ly"):
                continue
            _add(found, base + w.start(), base + w.end(), word, initials=True)
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
                sig = _SIGNATURE_NAME.match(lines[k])
                if sig:
                    _add(found, offsets[k] + sig.start("name"), offsets[k] + sig.end("name"),
                         sig.group("name"))  # fmt: skip
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


def _add(found: list[NameSpan], start: int, end: int, name: str, initials: bool = False) -> None:
    words = name.split()
    if not words or words[0].lower().strip(",.") in _NOT_NAMES:
        return
    if not (_plausible_name(name) or (initials and re.fullmatch(_INITIALS, name))):
        return
    found.append(NameSpan(start, end, _tidy(name)))


def known_name_spans(text: str, spans: Iterable[NameSpan]) -> list[NameSpan]:
    """Every other place ``text`` uses a name already found (and a full name's first
    word): "Dana" in the body once the signature has given "Dana Example"."""
    names: set[str] = set()
    for span in spans:
        if span.name.isupper() and len(span.name) <= 3:
            names.add(span.name)
            continue
        words = span.name.split()
        if not words:
            continue
        names.add(span.name)
        if words[0].lower() not in _NOT_VOCATIVE and len(words[0]) > 2:
            names.add(words[0])
    if not names:
        return []
    # One pass for all names, longest first ("Dana Example" before "Dana").
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = rf"(?<![\w@.])(?:{alternation})(?![\w@]|\.\w|\s?\.\s?\w+@|\s\S*@)"
    return [NameSpan(m.start(), m.end(), m.group(0)) for m in re.finditer(pattern, text)]


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
        if _STREET.search(line):
            continue
        for s, e in ents:
            name = _tidy(line[s:e])
            if not _plausible_name(name) or _IN_ADDRESS.match(line, e):
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


def to_people(
    spans: Iterable[NameSpan],
    sender_name: str = "",
    correspondents: Iterable[PersonMention] = (),
) -> tuple[PersonMention, ...]:
    """Distinct people, first-name-only mentions folded into the full name they start,
    then linked to the thread's ``correspondents`` (see ``link_to_correspondents``)."""
    return link_to_correspondents(_distinct_people(spans, sender_name), correspondents)


def _distinct_people(spans: Iterable[NameSpan], sender_name: str) -> tuple[PersonMention, ...]:
    by_key: dict[str, PersonMention] = {}
    names = list(spans)
    if sender_name:
        names.insert(0, NameSpan(0, 0, _tidy(sender_name)))
    for span in names:
        key = span.name.lower()
        existing = by_key.get(key)
        if existing is None or (existing.email is None and span.email):
            by_key[key] = PersonMention(
                span.name, span.email or (existing.email if existing else None)
            )
    full = [p for p in by_key.values() if " " in p.name]
    out: list[PersonMention] = []
    for person in by_key.values():
        if " " not in person.name:
            matches = [f for f in full if f.name.split()[0].lower() == person.name.lower()]
            if len(matches) == 1:  # unambiguous: "Dana" is "Dana Example"
                continue
        out.append(person)
    return tuple(out)


def _address_name(email: str) -> tuple[str, str] | None:
    """(first name, full name) an address spells as "first.last@" / "first_last@";
    None for "dwhitfield@", "dana@" or "dana.k.whitfield@" (no safe split)."""
    local = email.split("@", 1)[0]
    parts = [p for p in re.split(r"[._\-]", local) if p]
    if len(parts) != 2 or not all(p.isalpha() and len(p) > 1 for p in parts):
        return None
    first, last = (p.capitalize() for p in parts)
    return first, f"{first} {last}"


def _first_names(person: PersonMention) -> tuple[str, str] | None:
    """(first name, name to use) of a correspondent: its header name, else the name
    its address spells."""
    name = person.name.strip()
    last_first = re.fullmatch(r"([^,]+),\s*([^,]+)", name)  # "Whitfield, Dana"
    if last_first:
        name = f"{last_first.group(2)} {last_first.group(1)}"
    words = name.split()
    if len(words) >= 2 and _plausible_name(name):
        return words[0], name
    spelled = _address_name(person.email) if person.email else None
    if spelled and (not words or words[0].lower() == spelled[0].lower()):
        return spelled
    if len(words) == 1 and _plausible_name(name):
        return name, name
    return None


def link_to_correspondents(
    people: Iterable[PersonMention], correspondents: Iterable[PersonMention]
) -> tuple[PersonMention, ...]:
    """Give a first-name-only mention the full name and address of the one correspondent
    of the thread (sender and recipients, from the headers) with that first name: "Hi
    Dana," in a message to "Dana Whitfield <dana@...>" or to a bare
    "dana.whitfield@..." is that person. Two correspondents named Dana: left as it
    stands. A full name that is a correspondent's takes its address."""
    people = tuple(people)
    corr = [c for c in correspondents if c.email]
    if not corr:
        return people
    by_first: dict[str, list[tuple[str, str]]] = {}
    by_full: dict[str, str] = {}
    for c in corr:
        assert c.email is not None
        if c.name:
            by_full.setdefault(c.name.lower(), c.email)
        named = _first_names(c)
        if named:
            entries = by_first.setdefault(named[0].lower(), [])
            if (named[1], c.email) not in entries:
                entries.append((named[1], c.email))
    out: list[PersonMention] = []
    for person in people:
        key = person.name.lower()
        if " " not in person.name and len(by_first.get(key, ())) == 1:
            name, email = by_first[key][0]
            person = PersonMention(name, person.email or email)
        elif person.email is None and key in by_full:
            person = PersonMention(person.name, by_full[key])
        if person not in out:
            out.append(person)
    return tuple(out)


def name_for_address(people: Iterable[PersonMention], email: str) -> str | None:
    """The full name among ``people`` that the address spells, or None.

    For senders whose headers give a bare address: "dana.whitfield@", "dwhitfield@",
    "whitfieldd@", "d.k.whitfield@" or "dana@" (with one "Dana ..." signing) name "Dana
    Whitfield". A
    name the address does not spell is never taken: the text names other people too.
    """
    local = email.split("@", 1)[0].lower()
    parts = [p for p in re.split(r"[._\-+\d]+", local) if p]
    if not parts:
        return None
    squashed = "".join(parts)
    found = []
    for person in people:
        words = [w.lower().strip(".'") for w in person.name.split()]
        words = [w for w in words if w.isalpha()]
        if len(words) < 2:
            continue
        first, last = words[0], words[-1]
        initials = {w[0] for w in words[:-1]}
        spelled = (
            (first in parts and last in parts)
            # "k.m.grant@" / "m..grant@" (middle initial, first name dropped) for
            # "Kim M. Grant": the surname with initials of the other names.
            or (
                last in parts
                and len(parts) > 1
                and all(p == last or (len(p) == 1 and p in initials) for p in parts)
            )
            or squashed in (first + last, last + first, first[0] + last, last + first[0])
            or (len(parts) == 1 and squashed == first)
        )
        if spelled and person.name not in found:
            found.append(person.name)
    return found[0] if len(found) == 1 else None
