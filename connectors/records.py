"""Plain records every source yields. No library shapes leak past a connector."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# Here, not in connectors.invitations, so the store and the IMAP fetch can name them
# without importing icalendar (a tenth of a second of every sync's start-up).
INVITATIONS_CALENDAR = "invitations"
"""The ``calendar`` of events that came by mail."""
MAX_INVITATION_BYTES = 256 * 1024
"""A calendar part bigger than this is no invitation (one meeting is a few KB)."""
# Here too, so the file sources can size their reads without importing the parser.
MAX_HEADER_BYTES = 1 << 20
"""A header section larger than this is not mail followup can use (and a parse bomb)."""

FolderRole = Literal["inbox", "sent", "archive", "other"]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: the decoded display name ("" if none) and the lower-cased address."""

    name: str
    email: str


@dataclass(frozen=True, slots=True)
class MailRecord:
    """One message as followup needs it: parsed headers, a capped text excerpt, signals.

    ``uid`` is stable within (source, folder, uidvalidity): the IMAP UID, the Maildir
    key or the mbox message's Message-ID/offset hash. ``date`` is timezone-aware UTC.
    ``automated`` holds the reason the message is bulk/automated mail (e.g.
    "List-Id", "Auto-Submitted: auto-replied", "no-reply sender") or None.
    """

    source: str
    folder: str
    role: FolderRole
    uid: str
    message_id: str
    subject: str
    sender: Address | None
    date: datetime
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    excerpt: str = ""
    attachments: tuple[str, ...] = ()
    automated: str | None = None
    size: int = 0
    uidvalidity: str = ""
    gmail_thread_id: str | None = None
    labels: tuple[str, ...] = ()
    # Where the user opens the thread in the provider's web client, when the source
    # knows (Gmail's thread id over IMAP, a Gmail API thread); None for files.
    web_link: str | None = None
    # A meeting invitation or response the message carries (a text/calendar part).
    invitation: Invitation | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A message a source could not turn into a record, and why (one short line)."""

    folder: str
    uid: str
    reason: str


@dataclass(frozen=True, slots=True)
class FolderListing:
    """Every uid a folder holds right now: what the store has beyond these is gone.

    A source cannot see the store, so instead of naming the deleted messages it lists
    the ones still there; the store removes its messages of the folder (those at
    ``uidvalidity``) whose uid is not listed. ``since`` narrows the claim to messages
    dated on or after it, for a source that cannot name the older ones it passed over.
    A source sends a listing only when it is complete: never one from a partial read.
    """

    uids: frozenset[str]
    uidvalidity: str = ""
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class MailBatch:
    """A unit of work to commit atomically: records, skips, deletions (``listing``) and
    the folder's new checkpoint.

    ``checkpoint`` is an opaque string the source gets back on the next run for this
    folder; the store writes it in the same transaction as the records.
    """

    folder: str
    role: FolderRole
    records: tuple[MailRecord, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    checkpoint: str = ""
    seen: int = 0
    uidvalidity_changed: bool = False
    # How many messages this folder's sync reads in all, where known (0 = unknown):
    # what a progress bar needs for its ETA.
    total: int = 0
    # Set when the source looked for deleted messages (the folder shrank or changed):
    # the store mirrors the deletions in the same transaction as the checkpoint.
    listing: FolderListing | None = None


@dataclass(frozen=True, slots=True)
class Attendee:
    address: Address
    status: str = "needs-action"  # accepted | declined | tentative | needs-action
    organizer: bool = False


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One occurrence of a calendar event (recurring events are expanded)."""

    source: str
    calendar: str
    uid: str  # event UID + occurrence start, unique within the calendar
    summary: str
    start: datetime  # aware UTC
    end: datetime  # aware UTC
    organizer: Address | None = None
    attendees: tuple[Attendee, ...] = ()
    status: str = "confirmed"  # confirmed | tentative | cancelled
    location: str = ""
    all_day: bool = False
    description: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class EventBatch:
    """A calendar's unit of work to commit atomically: changed occurrences, removed ones,
    the skips, and the calendar's new checkpoint.

    ``checkpoint`` is opaque (an ICS content hash, Google's syncToken, CalDAV's sync token
    or ETag map) and comes back on the next run for this ``calendar``; the store writes it
    in the same transaction as the events. With ``window`` set the batch is a complete
    listing of that window: the store drops its events of the calendar that start inside
    it and are not in ``events`` (a full read, or a resync after a lost token). Without it
    the batch is incremental: ``events`` are upserts, ``removed`` the occurrence uids gone.
    """

    calendar: str
    events: tuple[EventRecord, ...] = ()
    removed: tuple[str, ...] = ()
    checkpoint: str = ""
    window: tuple[datetime, datetime] | None = None
    # Events the source could not use, by reason (absurd recurrences, unreadable events).
    skipped: tuple[tuple[str, int], ...] = ()


InvitationMethod = Literal["request", "reply", "cancel"]


@dataclass(frozen=True, slots=True)
class Invitation:
    """A meeting invitation, response or cancellation carried by a message (iTIP,
    RFC 5546: a ``text/calendar`` part with METHOD REQUEST, REPLY or CANCEL).

    ``events`` are the occurrences it speaks of (recurring ones expanded), with
    ``calendar`` "invitations" and the mail source as ``source``: for a request the
    meeting as it now stands; for a reply the occurrences answered, whose attendees are
    the ones who answered, with their answer; for a cancel the occurrences cancelled.
    ``whole_series``: about every occurrence of ``uid`` (no RECURRENCE-ID), so a
    cancel or a reply also applies to occurrences stored earlier and not listed.
    """

    method: InvitationMethod
    uid: str
    events: tuple[EventRecord, ...] = ()
    sequence: int = 0
    whole_series: bool = True
    # A reply's answers (accepted, declined, tentative), by the attendees who gave them.
    responses: tuple[Attendee, ...] = ()
