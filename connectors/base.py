"""The protocols every source implements. Fakes and real sources share them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Protocol

from connectors.records import EventBatch, EventRecord, MailBatch


class MailSource(Protocol):
    """A mailbox: yields batches of new messages per folder, each with a checkpoint."""

    name: str

    def sync(self, checkpoints: Mapping[str, str]) -> Iterator[MailBatch]:
        """Yield batches of messages newer than ``checkpoints[folder]``.

        Folders with no checkpoint are read from the start (bounded by the source's
        ``since``). A batch is yielded only once its records are complete, so the caller
        can commit records and checkpoint together. Raises ``ConnectorError`` subclasses.
        """
        ...

    def close(self) -> None: ...


class CalendarSource(Protocol):
    name: str

    def sync(
        self, checkpoints: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        """Yield batches of changes per calendar since ``checkpoints[calendar]``.

        A calendar with no checkpoint (or whose token the server no longer honours) is
        read in full over [start, end) and its batch carries ``window=(start, end)``.
        Raises ``ConnectorError`` subclasses.
        """
        ...

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        """Yield event occurrences overlapping [start, end), recurring ones expanded."""
        ...

    def close(self) -> None: ...
