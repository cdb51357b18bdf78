"""What the NLP layer returns: plain dataclasses, no spaCy objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FindingKind = Literal["request", "commitment"]
Owner = Literal["writer", "reader"]


@dataclass(frozen=True, slots=True)
class Finding:
    """A request put to the reader or a commitment made by the writer.

    ``text`` is the whole sentence as written; ``action`` the verb phrase
    ("send the deck"); ``owner`` who owes it ("reader" for a request, "writer" for a
    commitment); ``due`` the resolved due date (aware, in the message's zone, end of the
    stated day) or None; ``due_text`` the phrase it came from ("by Friday").
    ``firm`` is False for what the classifier counts as an ask or a promise but the
    rules hold too weak to act on (a courtesy closer, a broadcast notice, a sign-up
    call): reported, not nudged about. ``p_request``, ``p_commitment``, ``p_task`` (the
    classifier's scores) and ``cues`` (the rules' flags, ``thresholds.CUES``) are what it
    takes to decide ``firm`` again under other thresholds (``thresholds.rejudge``); None
    where unknown (findings stored by followup 0.1). ``addressees`` are the names a
    request is put to (its own "Dana, ..." or the mail's greeting); () when it singles
    nobody out, so it is asked of everyone the mail went to.
    """

    kind: FindingKind
    text: str
    action: str
    owner: Owner
    due: datetime | None = None
    due_text: str | None = None
    score: float = 1.0
    firm: bool = True
    p_request: float | None = None
    p_commitment: float | None = None
    p_task: float | None = None
    cues: tuple[str, ...] | None = None
    addressees: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonMention:
    """A person named in the text (signature or body), with an address where known."""

    name: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Extraction:
    """All that one message's text yields."""

    findings: tuple[Finding, ...] = ()
    people: tuple[PersonMention, ...] = ()
    clean_text: str = field(default="", repr=False)
    # The names the opening greeting addresses ("Hi Dana,"); () for none or "Hi all,".
    greeted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TextItem:
    """One text to analyse. ``sent_at`` anchors relative dates; ``from_me`` is True when
    the user wrote it; ``tz`` is an IANA zone name for "by Friday", "EOD" (empty: the
    UTC offset ``sent_at`` carries)."""

    text: str
    sent_at: datetime | None = None
    from_me: bool = False
    tz: str = "UTC"
    sender_name: str = ""
    # The thread's people from the headers (sender, recipients): first-name mentions
    # are linked to them.
    correspondents: tuple[PersonMention, ...] = ()
    # The reader's own names ("Dana Lee"): a request put by name to someone else only
    # ("Robin, has anyone ...?") is then not firm (cue "addressed_other").
    reader_names: tuple[str, ...] = ()
