"""In-memory sources with the real sources' behaviour, for tests of everything above them.

They honour checkpoints (a second sync yields only what was added since), batch like
the file sources, stamp records with their source/folder/role as real sources do, and
can be told to fail part-way through a sync, as a network source would. ``reopen`` gives
a new source over the same data, as each run of the application opens its sources anew.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from connectors.errors import ConnectorError
from connectors.folders import guess_role
from connectors.mime import parse_message
from connectors.records import (
    EventBatch,
    EventRecord,
    FolderListing,
    FolderRole,
    MailBatch,
    MailRecord,
    Skipped,
)


class MemoryMailSource:
    """A mailbox held in memory: ``{folder: [records]}``.

    The checkpoint of a folder is the number of messages already yielded, so a sync
    yields only the messages added (``add``/``add_raw``) since the checkpoint. Roles
    come from ``roles`` or :func:`connectors.folders.guess_role`.

    ``remove`` deletes a message as a mail client would; the next sync's last batch for
    that folder then lists every uid left (as the real sources do), and the checkpoint
    counts the removals seen (``"5-1"``: five yielded, one removal).
    """

    def __init__(
        self,
        name: str,
        folders: Mapping[str, Iterable[MailRecord | Skipped]] | None = None,
        *,
        roles: Mapping[str, FolderRole] | None = None,
        batch_size: int = 500,
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self.closed = False
        self.syncs = 0
        self._roles = dict(roles or {})
        # A removed message leaves None behind, so positions (checkpoints) stay valid.
        self._folders: dict[str, list[MailRecord | Skipped | None]] = {}
        self._removed: dict[str, int] = {}
        self._fail: tuple[int, ConnectorError] | None = None
        for folder, items in (folders or {}).items():
            self._folders.setdefault(folder, [])
            for item in items:
                self.add(folder, item)

    def reopen(self) -> MemoryMailSource:
        """A new, open source over the same mailbox, as each run connects anew: what is
        added to either is in both."""
        other = MemoryMailSource(self.name, roles=self._roles, batch_size=self.batch_size)
        other._roles = self._roles
        other._folders = self._folders
        other._removed = self._removed
        return other

    def role(self, folder: str) -> FolderRole:
        return self._roles.get(folder) or guess_role(folder)

    def add(self, folder: str, item: MailRecord | Skipped) -> None:
        """Deliver a message (or an unparseable one) to ``folder``, creating it if needed."""
        items = self._folders.setdefault(folder, [])
        if isinstance(item, MailRecord):
            item = dataclasses.replace(
                item, source=self.name, folder=folder, role=self.role(folder)
            )
        else:
            item = dataclasses.replace(item, folder=folder)
        items.append(item)

    def add_raw(self, folder: str, raw: bytes) -> MailRecord | Skipped:
        """Parse ``raw`` as a real source would (uid = its position) and deliver it."""
        uid = str(len(self._folders.get(folder, [])) + 1)
        item = parse_message(raw, source=self.name, folder=folder, role=self.role(folder), uid=uid)
        self.add(folder, item)
        return item

    def remove(self, folder: str, uid: str) -> None:
        """Delete the message ``uid`` from ``folder``; KeyError if there is none."""
        items = self._folders.get(folder, [])
        for index, item in enumerate(items):
            if item is not None and item.uid == uid:
                items[index] = None
                self._removed[folder] = self._removed.get(folder, 0) + 1
                return
        raise KeyError(f"no message {uid} in {folder}")

    def fail_after(self, batches: int, error: ConnectorError | None = None) -> None:
        """Make the next sync raise ``error`` after yielding ``batches`` batches."""
        self._fail = (
            batches,
            error or ConnectorError(self.name, "connection lost", retryable=True),
        )

    def sync(self, checkpoints: Mapping[str, str]) -> Iterator[MailBatch]:
        if self.closed:
            raise ConnectorError(self.name, "the source is closed")
        self.syncs += 1
        fail, self._fail = self._fail, None
        yielded = 0
        for folder, items in self._folders.items():
            start, removals_seen = _parse_checkpoint(checkpoints.get(folder) or "")
            if start > len(items):
                start = 0  # the folder shrank (a test replaced it): read it again
            removals = self._removed.get(folder, 0)
            if start == len(items) and removals == removals_seen and folder in checkpoints:
                continue
            listing = None
            if removals != removals_seen and folder in checkpoints:
                listing = FolderListing(
                    frozenset(i.uid for i in items if i is not None),
                    next((i.uidvalidity for i in items if isinstance(i, MailRecord)), ""),
                )
            role = self.role(folder)
            pos = start
            while True:
                if fail is not None and yielded >= fail[0]:
                    raise fail[1]
                chunk = items[pos : pos + self.batch_size]
                pos += len(chunk)
                last = pos >= len(items)
                yield MailBatch(
                    folder,
                    role,
                    tuple(i for i in chunk if isinstance(i, MailRecord)),
                    tuple(i for i in chunk if isinstance(i, Skipped)),
                    f"{pos}-{removals}" if removals else str(pos),
                    sum(1 for i in chunk if i is not None),
                    listing=listing if last else None,
                )
                yielded += 1
                if last:
                    break
        if fail is not None and yielded >= fail[0]:
            raise fail[1]

    def close(self) -> None:
        self.closed = True


def _parse_checkpoint(value: str) -> tuple[int, int]:
    """(messages yielded, removals seen); (0, 0) for none or one not ours (read again)."""
    yielded, _, removals = value.partition("-")
    try:
        return int(yielded or 0), int(removals or 0)
    except ValueError:
        return 0, 0


class MemoryCalendarSource:
    """Calendars held in memory, occurrences already expanded (as a real source yields
    them), syncing incrementally like Google's syncToken or CalDAV's sync-collection.

    Every change (``add`` a new or changed occurrence, ``remove`` one) is numbered; a
    calendar's checkpoint is ``"<generation>:<number of the last change seen>"``, and a
    sync from it yields only the changes since, whatever their dates. A calendar with no
    checkpoint, or one from an older generation (``expire_checkpoints``: the server
    forgot its tokens), is listed in full over the window. ``remove_calendar`` makes a
    calendar gone: the next sync yields it once as an empty listing with checkpoint "".
    ``reopen`` gives a new source over the same calendars, as each run connects anew.
    """

    def __init__(self, name: str, events: Iterable[EventRecord] = ()) -> None:
        self.name = name
        self.closed = False
        self.syncs = 0
        self._state = _CalendarState()
        for e in events:
            self.add(e)

    def reopen(self) -> MemoryCalendarSource:
        """A new, open source over the same calendars (changes stay shared)."""
        other = MemoryCalendarSource(self.name)
        other._state = self._state
        return other

    def add(self, event: EventRecord) -> None:
        """Add an occurrence, or change the one with its calendar and uid."""
        event = dataclasses.replace(event, source=self.name)
        st = self._state
        st.calendars.setdefault(event.calendar, {})[event.uid] = event
        st.log(event.calendar, event.uid)

    def add_calendar(self, calendar: str) -> None:
        """An empty calendar (it gets a checkpoint like the others)."""
        self._state.calendars.setdefault(calendar, {})

    def remove(self, calendar: str, uid: str) -> None:
        """Delete an occurrence; KeyError if there is none."""
        events = self._state.calendars.get(calendar, {})
        if uid not in events:
            raise KeyError(f"no event {uid} in {calendar}")
        del events[uid]
        self._state.log(calendar, uid)

    def remove_calendar(self, calendar: str) -> None:
        """The calendar is deleted or unsubscribed; KeyError if there is none."""
        del self._state.calendars[calendar]

    def expire_checkpoints(self) -> None:
        """Honour no checkpoint given out so far (the next sync lists in full)."""
        self._state.generation += 1

    def fail_after(self, batches: int, error: ConnectorError | None = None) -> None:
        """Make the next sync (of this source or one reopened from it) raise ``error``
        after yielding ``batches`` batches."""
        self._state.fail = (
            batches,
            error or ConnectorError(self.name, "connection lost", retryable=True),
        )

    def sync(
        self, checkpoints: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        self._check(start, end)
        self.syncs += 1
        st = self._state
        fail, st.fail = st.fail, None
        yielded = 0
        mark = f"{st.generation}:{st.seq}"
        batches: list[EventBatch] = []
        for calendar, events in st.calendars.items():
            seen = _seen(checkpoints.get(calendar) or "", st.generation)
            if seen is None:
                listed = tuple(e for e in _sorted(events.values()) if _overlaps(e, start, end))
                batches.append(EventBatch(calendar, listed, checkpoint=mark, window=(start, end)))
                continue
            changed = sorted(
                {uid for seq, cal, uid in st.changes if cal == calendar and seq > seen}
            )
            if not changed:
                continue
            upserts = _sorted(events[uid] for uid in changed if uid in events)
            removed = tuple(uid for uid in changed if uid not in events)
            batches.append(EventBatch(calendar, tuple(upserts), removed, checkpoint=mark))
        for calendar in sorted(c for c, v in checkpoints.items() if v and c not in st.calendars):
            batches.append(EventBatch(calendar, checkpoint="", window=(start, end)))
        for batch in batches:
            if fail is not None and yielded >= fail[0]:
                raise fail[1]
            yield batch
            yielded += 1
        if fail is not None and yielded >= fail[0]:
            raise fail[1]

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        """Occurrences overlapping [start, end), by start time; zero-length ones at start."""
        self._check(start, end)
        events = (e for cal in self._state.calendars.values() for e in cal.values())
        for e in _sorted(events):
            if _overlaps(e, start, end):
                yield e

    def _check(self, start: datetime, end: datetime) -> None:
        if self.closed:
            raise ConnectorError(self.name, "the source is closed")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("a calendar window needs timezone-aware datetimes")

    def close(self) -> None:
        self.closed = True


@dataclasses.dataclass
class _CalendarState:
    """What the calendars hold and their numbered changes, shared by reopened sources."""

    calendars: dict[str, dict[str, EventRecord]] = dataclasses.field(default_factory=dict)
    changes: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)
    seq: int = 0
    generation: int = 1
    fail: tuple[int, ConnectorError] | None = None

    def log(self, calendar: str, uid: str) -> None:
        self.seq += 1
        self.changes.append((self.seq, calendar, uid))


def _seen(checkpoint: str, generation: int) -> int | None:
    """The last change a checkpoint saw, or None when it is not honoured (list in full)."""
    gen, _, seq = checkpoint.partition(":")
    try:
        return int(seq) if int(gen) == generation else None
    except ValueError:
        return None


def _sorted(events: Iterable[EventRecord]) -> list[EventRecord]:
    return sorted(events, key=lambda e: (e.start, e.uid))


def _overlaps(e: EventRecord, start: datetime, end: datetime) -> bool:
    return e.start < end and (e.end > start or e.start >= start)
