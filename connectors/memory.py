"""In-memory sources with the real sources' behaviour, for tests of everything above them.

They honour checkpoints (a second sync yields only what was added since), batch like
the file sources, stamp records with their source/folder/role as real sources do, and
can be told to fail part-way through a sync, as a network source would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from connectors.errors import ConnectorError
from connectors.folders import guess_role
from connectors.mime import parse_message
from connectors.records import (
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
    """Event occurrences held in memory (already expanded, as a real source yields them)."""

    def __init__(self, name: str, events: Iterable[EventRecord] = ()) -> None:
        self.name = name
        self.closed = False
        self._events: list[EventRecord] = []
        for e in events:
            self.add(e)

    def add(self, event: EventRecord) -> None:
        self._events.append(dataclasses.replace(event, source=self.name))

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        """Occurrences overlapping [start, end), by start time; zero-length ones at start."""
        if self.closed:
            raise ConnectorError(self.name, "the source is closed")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("events_between needs timezone-aware datetimes")
        for e in sorted(self._events, key=lambda e: (e.start, e.uid)):
            if e.start < end and (e.end > start or e.start >= start):
                yield e

    def close(self) -> None:
        self.closed = True
