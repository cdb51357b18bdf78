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

_PREFIX = re.compile(
    r"^\s*((re|aw|sv|vs|antw|fw|fwd|tr|wg|rv|enc)\s*(\[\d+\])?\s*[:：]\s*|\[[^\]]{1,40}\]\s*)+",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(r"-{3,}\s*Original Message\s*-{3,}|^\s*On .{5,200} wrote:\s*$", re.I | re.M)

SUBJECT_WINDOW = timedelta(days=60)


def normalise_subject(subject: str) -> str:
    """ "RE: Fwd: [list] Q3 numbers " -> "q3 numbers"."""
    s = _PREFIX.sub("", subject or "")
    return re.sub(r"\s+", " ", s).strip().lower()


def looks_like_reply(subject: str, excerpt: str) -> bool:
    return bool(_PREFIX.match(subject or "")) or bool(_ORIGINAL.search(excerpt or ""))


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
            union(mid, "g:" + m.gmail_thread_id)
        linked = False
        for ref in m.refs:
            if ref:
                union(mid, "m:" + ref)
                linked = True
        if not linked and m.is_reply and m.norm_subject:
            # Newest earlier message with this subject and someone in common.
            for prev in reversed(by_subject.get(m.norm_subject, [])):
                if m.date - prev.date > SUBJECT_WINDOW:
                    break
                if prev.people & m.people:
                    union(mid, "m:" + prev.message_id)
                    break
        if m.norm_subject:
            by_subject.setdefault(m.norm_subject, []).append(m)

    roots: dict[str, int] = {}
    result: dict[int, int] = {}
    for m in items:
        r = find("m:" + m.message_id)
        roots[r] = min(roots.get(r, m.pk), m.pk)
    for m in items:
        result[m.pk] = roots[find("m:" + m.message_id)]
    return result
