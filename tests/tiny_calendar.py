"""A tiny calendar source written only to try the source contract's promise: adding a
source is one module, one registry line, its keys documented, one contract subclass.

Events come from a JSON file (``[{"uid", "summary", "start", "end", "attendees"}]``,
ISO times); it can log in with OAuth2 (``auth = "xoauth2"``) through the shared piece,
so ``followup auth NAME`` works for it as for IMAP. Its ``probe`` reads the token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from connectors.errors import ConnectorError, SourceConfigError
from connectors.oauth_client import AUTH_KEYS, OAuthSettings, oauth_settings
from connectors.records import Address, Attendee, EventBatch, EventRecord

SCOPE = "https://calendar.example.test/read"


class JsonCalendarSource:
    kind: ClassVar[str] = "jsonfile"
    KEYS: ClassVar[frozenset[str]] = frozenset({"path", "account"}) | AUTH_KEYS

    def __init__(self, name: str, path: Path, oauth: OAuthSettings | None = None) -> None:
        self.name, self.path, self._oauth, self._closed = name, path, oauth, False

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> Self:
        problems = [f"unknown key {k!r}" for k in options if k not in cls.KEYS]
        path = options.get("path")
        if not isinstance(path, str) or not path:
            problems.append('missing path = "..." (the JSON file of events)')
        oauth = oauth_settings(options, problems, scope=SCOPE, login_hint=options.get("account"))
        if problems:
            raise SourceConfigError.of(name, problems)
        return cls(name, Path(str(path)).expanduser(), oauth)

    def _read(self) -> tuple[bytes, list[EventRecord]]:
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        try:
            data = self.path.read_bytes()
            items = json.loads(data)
        except (OSError, ValueError) as e:
            raise ConnectorError(self.name, f"cannot read {self.path.name}: {e}") from e
        events = [
            EventRecord(
                source=self.name,
                calendar=self.path.stem,
                uid=str(i["uid"]),
                summary=str(i["summary"]),
                start=datetime.fromisoformat(i["start"]).astimezone(UTC),
                end=datetime.fromisoformat(i["end"]).astimezone(UTC),
                organizer=Address("", i["organizer"].lower()) if i.get("organizer") else None,
                attendees=tuple(Attendee(Address("", a.lower())) for a in i.get("attendees", ())),
            )
            for i in items
        ]
        return data, events

    def sync(
        self, checkpoints: Mapping[str, str], start: datetime, end: datetime
    ) -> Iterator[EventBatch]:
        data, events = self._read()
        mark = hashlib.sha256(data + f"{start}{end}".encode()).hexdigest()
        if checkpoints.get(self.path.stem) != mark:
            listed = tuple(e for e in events if e.start < end and e.end > start)
            yield EventBatch(self.path.stem, listed, checkpoint=mark, window=(start, end))
        for gone in sorted(c for c, v in checkpoints.items() if v and c != self.path.stem):
            yield EventBatch(gone, checkpoint="", window=(start, end))  # the store forgets it

    def events_between(self, start: datetime, end: datetime) -> Iterator[EventRecord]:
        yield from (e for e in self._read()[1] if e.start < end and e.end > start)

    def oauth(self) -> OAuthSettings | None:
        return self._oauth

    def probe(self) -> dict[str, Any]:
        if self._oauth is not None:
            self._oauth.access_token(self.name)  # a token that is there and fresh
        return {"calendar": self.path.stem, "events": len(self._read()[1])}

    def close(self) -> None:
        self._closed = True


if TYPE_CHECKING:
    from connectors.base import CalendarSourceClass

    _CONTRACT: CalendarSourceClass = JsonCalendarSource
