"""Threading: which messages belong to one conversation.

References/In-Reply-To where present (RFC 5322 §3.6.4). Where they are missing
(Outlook, old Exchange exports), a reply ("RE:", "AW:", "FW:" subject or a quoted
"-----Original Message-----" block) joins the latest earlier message with the same
normalised subject that shares a participant, within a time window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.gmail_ids import thread_key

_PREFIX = re.compile(
    r"^\s*((re|aw|sv|vs|antw|fw|fwd|tr|wg|rv|enc)\s*(\[\d+\])?\s*[:：]\s*|\[[^\]]{1,40}\]\s*)+",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(r"-{3,}\s*Original Message\s*-{3,}|^\s*On .{5,200} wrote:\s*$", re.I | re.M)

SUBJECT_WINDOW = timedelta(days=60)
# A reply with no subject of its own ("", "RE:") joins the latest blank-subject mail of
# the person it answers within this long: participants and time are all there is.
BLANK_WINDOW = timedelta(days=4)

# The header block Outlook (and others) put above the quoted original.
_QUOTED_HEADER = re.compile(
    r"-{3,}\s*Original Message\s*-{3,}\s*\n(?P<block>(?:[ \t]*[A-Za-z-]{2,12}:[^\n]*\n?){1,8})",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^[ \t]*(From|Sent|Date|To|Subject):[ \t]*(.*)$", re.I | re.M)


@dataclass(frozen=True, slots=True)
class QuotedHeader:
    """The first quoted original's From and Subject ("" when not given)."""

    sender: str = ""
    subject: str = ""


def quoted_header(excerpt: str) -> QuotedHeader | None:
    """The From/Subject of the first "-----Original Message-----" block, if any."""
    if "---" not in (excerpt or ""):  # the block's rule: most mail has none (cheap)
        return None
    m = _QUOTED_HEADER.search(excerpt)
    if m is None:
        return None
    fields = {k.lower(): v.strip() for k, v in _HEADER_LINE.findall(m.group("block"))}
    return QuotedHeader(sender=fields.get("from", ""), subject=fields.get("subject", ""))


def _names(text: str) -> set[str]:
    """Name-like words of a display name or address, for matching one to the other."""
    return {w for w in re.split(r"[^a-z]+", text.lower()) if len(w) >= 3}


def normalise_subject(subject: str) -> str:
    """ "RE: Fwd: [list] Q3 numbers " -> "q3 numbers"."""
    s = _PREFIX.sub("", subject or "")
    return re.sub(r"\s+", " ", s).strip().lower()


def looks_like_reply(subject: str, excerpt: str) -> bool:
    if _PREFIX.match(subject or ""):
        return True
    excerpt = excerpt or ""
    # Every _ORIGINAL match holds "---" or "wrote:" in some case (and no character but
    # ASCII matches those letters case-insensitively): without them the regular
    # expression, the costliest part of threading a first sync, need not run.
    if "---" not in excerpt and "wrote:" not in excerpt.lower():
        return False
    return bool(_ORIGINAL.search(excerpt))


@dataclass(frozen=True, slots=True)
class ThreadInput:
    pk: int
    message_id: str
    refs: tuple[str, ...]  # In-Reply-To + References
    norm_subject: str
    is_reply: bool
    date: datetime
    people: frozenset[str]
    gmail_thread_id: str | None = None
    sender: str = ""
    sender_name: str = ""
    quoted: QuotedHeader | None = None  # the quoted original's header, where it shows


def _wrote_quote(m: ThreadInput, prev: ThreadInput) -> bool:
    """The quoted original's sender (where named) is ``prev``'s sender."""
    if m.quoted is None or not m.quoted.sender or not prev.sender:
        return True
    quoted = _names(m.quoted.sender)
    return not quoted or bool(quoted & (_names(prev.sender_name) | _names(prev.sender)))


def _in_quote(m: ThreadInput, prev: ThreadInput) -> bool:
    """The quoted original's sender took part in ``prev`` (wrote it, or was sent it)."""
    if m.quoted is None or not m.quoted.sender:
        return True
    quoted = _names(m.quoted.sender)
    party = _names(prev.sender_name).union(*(_names(p.partition("@")[0]) for p in prev.people))
    return not quoted or bool(quoted & party)


def assign_threads(messages: Iterable[ThreadInput]) -> dict[int, int]:
    """Return {message pk: thread id}; a thread id is the smallest pk in the thread.

    Deterministic: the result depends only on the messages, not their order.
    """
    items = sorted(messages, key=lambda m: (m.date, m.pk))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_subject: dict[str, list[ThreadInput]] = {}
    for m in items:
        mid = "m:" + m.message_id
        parent.setdefault(mid, mid)
        if m.gmail_thread_id:
            union(mid, "g:" + thread_key(m.gmail_thread_id))  # hex or an old row's decimal
        linked = False
        for ref in m.refs:
            if ref:
                union(mid, "m:" + ref)
                linked = True
        quoted = normalise_subject(m.quoted.subject) if m.quoted else ""
        subjects = [x for x in dict.fromkeys((m.norm_subject, quoted)) if x]
        joined = False
        # Newest earlier message with its subject, or the quoted original's (an answer
        # seen only as a quote in a later mail), and someone in common: the quoted
        # original's sender, where the quote names one.
        for subject in subjects if not linked and m.is_reply else ():
            for prev in reversed(by_subject.get(subject, [])):
                if m.date - prev.date > SUBJECT_WINDOW:
                    break
                if prev.people & m.people and (subject == m.norm_subject or _in_quote(m, prev)):
                    union(mid, "m:" + prev.message_id)
                    joined = True
                    break
            if joined:
                break
        if not linked and m.is_reply and not subjects:
            # "RE:" or nothing: the latest blank-subject mail from someone it goes to.
            for prev in reversed(by_subject.get("", [])):
                if m.date - prev.date > BLANK_WINDOW:
                    break
                answers = prev.sender and prev.sender != m.sender and prev.sender in m.people
                if answers and _wrote_quote(m, prev):
                    union(mid, "m:" + prev.message_id)
                    break
        by_subject.setdefault(m.norm_subject, []).append(m)

    roots: dict[str, int] = {}
    result: dict[int, int] = {}
    for m in items:
        r = find("m:" + m.message_id)
        roots[r] = min(roots.get(r, m.pk), m.pk)
    for m in items:
        result[m.pk] = roots[find("m:" + m.message_id)]
    return result
