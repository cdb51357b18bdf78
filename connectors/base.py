"""The written contract of a source: what every source is, and what some can also do.

A source module gives a class that is a ``MailSourceClass`` or ``CalendarSourceClass``
(``kind``, ``KEYS``, ``from_config``) whose instances are a ``MailSource`` or a
``CalendarSource``. Fakes (``connectors.memory``) and real sources share these protocols;
``tests/connectors/contract.py`` holds the behaviour every one of them honours.

Optional capabilities are runtime-checkable protocols the application tests with
``isinstance``: ``Probing`` (``followup doctor``), ``ListsFolders`` (doctor, for sources
that cannot log in anywhere), ``Appending`` (saving the digest to a mailbox) and
``UsesOAuth`` (``followup auth NAME``). A source has a capability by having the method;
there is nothing to register.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from connectors.records import EventBatch, EventRecord, MailBatch

if TYPE_CHECKING:
    from connectors.oauth_client import OAuthSettings


class MailSource(Protocol):
    """A mailbox: yields batches of new messages per folder, each with a checkpoint."""

    name: str

    def sync(self, checkpoints: Mapping[str, str]) -> Iterator[MailBatch]:
        """Yield batches of messages newer than ``checkpoints[folder]``.

        Folders with no checkpoint are read from the start (bounded by the source's
        ``since``). A batch is yielded only once its records are complete, so the caller
        can commit records and checkpoint together. Raises ``ConnectorError`` subclasses;
        after ``close`` it raises ``ConnectorError`` too.
        """
        ...

    def close(self) -> None:
        """Release connections; harmless twice. A closed source refuses to sync."""
        ...


class CalendarSource(Protocol):
    name: str

    def sync(
        self, checkpoints: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        """Yield batches of changes per calendar since ``checkpoints[calendar]``.

        A calendar with no checkpoint (or whose token the server no longer honours) is
        read in full over [start, end) and its batch carries ``window=(start, end)``.
        A calendar that has a checkpoint but is gone from the source is yielded once as
        an empty listing (``window`` set, no events) with ``checkpoint=""``: the store
        drops its events in the window and forgets its checkpoint. A calendar with
        nothing new may yield nothing at all. Raises ``ConnectorError`` subclasses.
        """
        ...

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        """Yield event occurrences overlapping [start, end), recurring ones expanded."""
        ...

    def close(self) -> None:
        """Release connections; harmless twice. A closed source refuses to sync."""
        ...


class MailSourceClass(Protocol):
    """What the registry maps a ``[[mail]]`` ``kind`` to: a class, checked by mypy."""

    kind: str
    """The config's ``kind = "..."`` for this class."""
    KEYS: frozenset[str]
    """Every option key the source accepts besides ``name`` and ``kind``."""

    def from_config(self, name: str, options: Mapping[str, Any]) -> MailSource:
        """The source for a config table's options (``name``/``kind`` removed).

        Raises one ``SourceConfigError`` whose ``problems`` list every problem, so the
        config reports them all at once with the rest of the file's. Opens nothing: a
        source connects on first use.
        """
        ...


class CalendarSourceClass(Protocol):
    """What the registry maps a ``[[calendar]]`` ``kind`` to."""

    kind: str
    KEYS: frozenset[str]

    def from_config(self, name: str, options: Mapping[str, Any]) -> CalendarSource:
        """As ``MailSourceClass.from_config``."""
        ...


# -- optional capabilities ---------------------------------------------------------------


@runtime_checkable
class Probing(Protocol):
    """Can log in and describe itself without syncing or changing anything (doctor)."""

    def probe(self) -> Mapping[str, Any]:
        """What the source sees (folders, capabilities...). Raises ``ConnectorError``."""
        ...


@runtime_checkable
class ListsFolders(Protocol):
    """Can name its folders (or calendars) without syncing (doctor, for file sources)."""

    def folders(self) -> Iterable[str]: ...


@runtime_checkable
class Appending(Protocol):
    """Can save a message into one of its folders (the digest, for users without SMTP)."""

    def append(
        self,
        folder: str,
        message: bytes,
        *,
        when: datetime | None = None,
        message_id: str | None = None,
    ) -> bool:
        """Save ``message`` unread; False if one with ``message_id`` was there already."""
        ...


@runtime_checkable
class UsesOAuth(Protocol):
    """Logs in with an OAuth2 token that ``followup auth NAME`` obtains."""

    def oauth(self) -> OAuthSettings | None:
        """Where the token lives and how to get one; None when this source's config
        logs in another way (a password, no login at all)."""
        ...
