"""The contracts every mail source and every calendar source honour, run against each.

Subclass ``MailSourceTests`` in a test module and give it a ``make_source`` fixture: a
factory that takes ``{folder: [raw message bytes]}`` and returns a ``Harness`` holding
the source, a function that delivers one more message to a folder (as an MDA, an IMAP
APPEND or a test would) and one that deletes a message by its Message-ID (as a mail
client would: EXPUNGE, unlink, rewrite the mbox). Folders used: "INBOX", "Sent" and an
empty "Archive".

Calendars: subclass ``CalendarSourceTests`` and give it a ``make_calendar`` fixture: a
factory that takes the events to start with (``EventSpec``) and returns a
``CalendarHarness`` holding the source, the calendar's name, and functions that put an
event (add, or change the one with that uid) and delete one, behind the source's back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from mailgen import ME, PEOPLE, make_message

from connectors.base import CalendarSource, MailSource
from connectors.errors import ConnectorError
from connectors.records import EventBatch, EventRecord, MailBatch, MailRecord, Skipped


@dataclass
class Harness:
    source: MailSource
    add: Callable[[str, bytes], None]
    remove: Callable[[str, str], None]  # (folder, Message-ID without <>)


MakeSource = Callable[[Mapping[str, list[bytes]]], Harness]


@dataclass
class SyncResult:
    batches: list[MailBatch]
    checkpoints: dict[str, str]

    @property
    def records(self) -> list[MailRecord]:
        return [r for b in self.batches for r in b.records]

    @property
    def skipped(self) -> list[Skipped]:
        return [s for b in self.batches for s in b.skipped]

    def ids(self, folder: str | None = None) -> set[str]:
        return {r.message_id for r in self.records if folder in (None, r.folder)}


def run(source: MailSource, checkpoints: Mapping[str, str] | None = None) -> SyncResult:
    """Sync as the application does: each batch's checkpoint replaces the folder's."""
    state = dict(checkpoints or {})
    batches = []
    for batch in source.sync(dict(state)):
        batches.append(batch)
        state[batch.folder] = batch.checkpoint
    return SyncResult(batches, state)


Mirror = dict[str, set[tuple[str, str]]]  # folder -> {(uidvalidity, uid)}


def mirror(result: SyncResult, held: Mirror | None = None) -> Mirror:
    """What a store holds after ``result``: each batch's records added, then the
    messages its listing no longer names (at the listing's UIDVALIDITY) removed."""
    held = {f: set(k) for f, k in (held or {}).items()}
    for batch in result.batches:
        box = held.setdefault(batch.folder, set())
        box.update((r.uidvalidity, r.uid) for r in batch.records)
        listing = batch.listing
        if listing is not None:
            box -= {(uv, u) for uv, u in box if uv == listing.uidvalidity and u not in listing.uids}
    return held


def inbox_message(n: int, **kw: object) -> bytes:
    return make_message(n, sender=PEOPLE[n % 4], to=ME, **kw)  # type: ignore[arg-type]


def sent_message(n: int) -> bytes:
    return make_message(n, sender=ME, to=PEOPLE[n % 4], subject=f"Sent {n}")


def standard_folders() -> dict[str, list[bytes]]:
    return {
        "INBOX": [inbox_message(i, html=i % 3 == 1) for i in range(6)],
        "Sent": [sent_message(i) for i in range(100, 103)],
        "Archive": [],
    }


def message_ids(raws: Iterable[bytes]) -> set[str]:
    out = set()
    for raw in raws:
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                out.add(line.split(b":", 1)[1].strip().strip(b"<>").decode())
    return out


class MailSourceTests:
    """Behaviour shared by every MailSource (Maildir, mbox, memory, IMAP...)."""

    @pytest.fixture
    def make_source(self) -> MakeSource:
        raise NotImplementedError("define make_source in the subclass")

    def test_first_sync_yields_every_message_once(self, make_source: MakeSource) -> None:
        folders = standard_folders()
        result = run(make_source(folders).source)
        assert result.ids("INBOX") == message_ids(folders["INBOX"])
        assert result.ids("Sent") == message_ids(folders["Sent"])
        assert len(result.records) == 9  # no duplicates
        assert result.skipped == []

    def test_roles(self, make_source: MakeSource) -> None:
        result = run(make_source(standard_folders()).source)
        roles = {b.folder: b.role for b in result.batches}
        assert roles["INBOX"] == "inbox"
        assert roles["Sent"] == "sent"
        assert roles["Archive"] == "archive"
        assert all(r.role == roles[r.folder] for r in result.records)

    def test_every_folder_gets_a_checkpoint(self, make_source: MakeSource) -> None:
        result = run(make_source(standard_folders()).source)
        assert set(result.checkpoints) >= {"INBOX", "Sent", "Archive"}
        assert all(result.checkpoints[f] for f in ("INBOX", "Sent", "Archive"))

    def test_second_sync_yields_nothing(self, make_source: MakeSource) -> None:
        source = make_source(standard_folders()).source
        first = run(source)
        second = run(source, first.checkpoints)
        assert second.records == []
        assert second.skipped == []

    def test_new_mail_appears_once(self, make_source: MakeSource) -> None:
        harness = make_source(standard_folders())
        first = run(harness.source)
        new = inbox_message(50, subject="Brand new")
        harness.add("INBOX", new)
        second = run(harness.source, first.checkpoints)
        (new_id,) = message_ids([new])
        assert new_id in second.ids("INBOX")
        assert [r.subject for r in second.records if r.message_id == new_id] == ["Brand new"]
        assert second.ids("Sent") <= first.ids("Sent")  # nothing new invented elsewhere
        third = run(harness.source, second.checkpoints)
        assert third.records == []

    def test_new_mail_in_a_second_folder(self, make_source: MakeSource) -> None:
        harness = make_source(standard_folders())
        first = run(harness.source)
        harness.add("Sent", sent_message(200))
        second = run(harness.source, first.checkpoints)
        assert message_ids([sent_message(200)]) <= second.ids("Sent")
        assert {r.role for r in second.records if r.folder == "Sent"} == {"sent"}

    def test_uids_are_stable_and_unique(self, make_source: MakeSource) -> None:
        source = make_source(standard_folders()).source
        a = run(source).records
        b = run(source).records  # from scratch again
        key = {(r.folder, r.uidvalidity, r.uid): r.message_id for r in a}
        assert len(key) == len(a)
        assert key == {(r.folder, r.uidvalidity, r.uid): r.message_id for r in b}
        assert all(r.uid for r in a)

    def test_records_are_well_formed(self, make_source: MakeSource) -> None:
        source = make_source(standard_folders()).source
        records = run(source).records
        assert records
        for r in records:
            assert r.source == source.name
            assert r.date.tzinfo is UTC
            assert datetime(2024, 1, 1, tzinfo=UTC) < r.date < datetime(2025, 1, 1, tzinfo=UTC)
            assert r.sender is not None
            assert r.sender.email == r.sender.email.lower()
            for a in (*r.to, *r.cc, *r.bcc, *r.reply_to):
                assert a.email == a.email.lower()
            assert r.message_id and "<" not in r.message_id
            assert "can you send the report" in r.excerpt
            assert r.size > 0
        sent = [r for r in records if r.folder == "Sent"]
        assert {r.sender.email for r in sent if r.sender} == {ME[1]}
        by_id = {r.message_id: r for r in records}
        assert by_id["msg0@example.com"].subject == "Message 0"
        assert by_id["msg0@example.com"].to[0].email == ME[1]
        assert by_id["msg0@example.com"].date == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)

    def test_message_without_date_is_kept_or_skipped_with_a_reason(
        self, make_source: MakeSource
    ) -> None:
        raw = (
            b"From: ana@example.com\r\nTo: penny@example.com\r\nSubject: undated\r\n"
            b"Message-ID: <undated@example.com>\r\n\r\nNo date at all.\r\n"
        )
        folders = standard_folders()
        folders["INBOX"].append(raw)
        result = run(make_source(folders).source)
        assert len(result.ids("INBOX")) == 7 or len(result.skipped) == 1
        for r in result.records:
            assert r.date.tzinfo is UTC  # a fallback date (file time, INTERNALDATE)
        for s in result.skipped:
            assert s.folder == "INBOX"
            assert "Date" in s.reason

    def test_a_closed_source_refuses_to_sync(self, make_source: MakeSource) -> None:
        source = make_source(standard_folders()).source
        first = run(source)
        source.close()
        source.close()  # closing twice is harmless
        for checkpoints in ({}, first.checkpoints):
            with pytest.raises(ConnectorError, match="closed"):
                run(source, checkpoints)

    def test_deleted_message_is_mirrored_once(self, make_source: MakeSource) -> None:
        harness = make_source(standard_folders())
        first = run(harness.source)
        held = mirror(first)
        by_id = {r.message_id: (r.uidvalidity, r.uid) for r in first.records}

        harness.remove("INBOX", "msg2@example.com")
        second = run(harness.source, first.checkpoints)
        after = mirror(second, held)

        assert after["INBOX"] == held["INBOX"] - {by_id["msg2@example.com"]}
        assert after["Sent"] == held["Sent"]
        assert [b.folder for b in second.batches if b.listing is not None] == ["INBOX"]
        # Deletions alone cost nothing more on the next run.
        third = run(harness.source, second.checkpoints)
        assert all(b.listing is None for b in third.batches)
        assert mirror(third, after) == after

    def test_no_listing_without_a_deletion(self, make_source: MakeSource) -> None:
        harness = make_source(standard_folders())
        first = run(harness.source)
        assert all(b.listing is None for b in first.batches)  # nothing stored to prune
        second = run(harness.source, first.checkpoints)
        assert all(b.listing is None for b in second.batches)

    def test_deletion_and_new_mail_together(self, make_source: MakeSource) -> None:
        harness = make_source(standard_folders())
        first = run(harness.source)
        held = mirror(first)
        harness.remove("INBOX", "msg0@example.com")
        harness.remove("INBOX", "msg5@example.com")
        new = inbox_message(60, subject="Arrived meanwhile")
        harness.add("INBOX", new)

        second = run(harness.source, first.checkpoints)
        after = mirror(second, held)

        inbox = [r for r in first.records + second.records if r.folder == "INBOX"]
        ids = {(r.uidvalidity, r.uid): r.message_id for r in inbox}
        assert {ids[k] for k in after["INBOX"]} == message_ids(
            [inbox_message(i) for i in (1, 2, 3, 4)]
        ) | message_ids([new])
        assert after["Sent"] == held["Sent"]

    def test_emptied_folder_is_mirrored_empty(self, make_source: MakeSource) -> None:
        harness = make_source(standard_folders())
        first = run(harness.source)
        for mid in sorted(message_ids(standard_folders()["Sent"])):
            harness.remove("Sent", mid)
        after = mirror(run(harness.source, first.checkpoints), mirror(first))
        assert after["Sent"] == set()
        assert len(after["INBOX"]) == 6


# -- calendars -----------------------------------------------------------------------------

WINDOW = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


@dataclass(frozen=True)
class EventSpec:
    """A single (not recurring) event, as the suite asks a harness to put it on the
    calendar; the harness writes it in its source's own form (VEVENT, API JSON...)."""

    uid: str
    summary: str
    start: datetime
    minutes: int = 60
    organizer: str | None = None
    attendees: tuple[str, ...] = ()


@dataclass
class CalendarHarness:
    """A calendar source over one calendar, and how to change that calendar behind it.

    ``calendar`` is the name the source's records and batches give it. ``put`` adds an
    event or changes the one with its uid; ``delete`` removes one by uid.
    """

    source: CalendarSource
    calendar: str
    put: Callable[[EventSpec], None]
    delete: Callable[[str], None]


MakeCalendar = Callable[[Sequence[EventSpec]], CalendarHarness]


def standard_events() -> list[EventSpec]:
    day = WINDOW[0]
    return [
        EventSpec(
            "intro",
            "Acme intro call",
            day.replace(day=3, hour=15),
            30,
            organizer=ME[1],
            attendees=(ME[1], "ana@example.com"),
        ),
        EventSpec("board", "Board prep", day.replace(day=10, hour=9), attendees=(ME[1],)),
        EventSpec("review", "Quarterly review", day.replace(day=20, hour=13), 90),
        # Outside the window: never listed.
        EventSpec("later", "Planning in May", day.replace(month=5, day=4, hour=10)),
    ]


@dataclass
class CalendarSync:
    batches: list[EventBatch]
    checkpoints: dict[str, str]

    @property
    def events(self) -> list[EventRecord]:
        return [e for b in self.batches for e in b.events]


def sync_calendar(
    source: CalendarSource,
    checkpoints: Mapping[str, str] | None = None,
    window: tuple[datetime, datetime] = WINDOW,
) -> CalendarSync:
    """Sync as the application does: each batch's checkpoint replaces the calendar's
    (an empty one forgets it)."""
    state = dict(checkpoints or {})
    batches = []
    for batch in source.sync(dict(state), *window):
        batches.append(batch)
        if batch.checkpoint:
            state[batch.calendar] = batch.checkpoint
        else:
            state.pop(batch.calendar, None)
    return CalendarSync(batches, state)


CalendarMirror = dict[str, dict[str, EventRecord]]  # calendar -> {occurrence uid: record}


def mirror_calendar(result: CalendarSync, held: CalendarMirror | None = None) -> CalendarMirror:
    """What a store holds after ``result`` (as followup.store.calendar_sync applies it)."""
    out = {c: dict(v) for c, v in (held or {}).items()}
    for b in result.batches:
        box = out.setdefault(b.calendar, {})
        if b.window is not None:
            listed = {e.uid for e in b.events}
            start, end = b.window
            for uid in [u for u, e in box.items() if start <= e.start < end and u not in listed]:
                del box[uid]
        for uid in b.removed:
            box.pop(uid, None)
        box.update((e.uid, e) for e in b.events)
    return out


def summaries(held: CalendarMirror, calendar: str) -> list[str]:
    return sorted(e.summary for e in held.get(calendar, {}).values())


class CalendarSourceTests:
    """Behaviour shared by every CalendarSource (ICS, memory, Google, CalDAV...).

    A subclass gives ``make_calendar``: a factory taking the events to start with and
    returning a ``CalendarHarness``.
    """

    @pytest.fixture
    def make_calendar(self) -> MakeCalendar:
        raise NotImplementedError("define make_calendar in the subclass")

    def test_first_sync_lists_the_window_once(self, make_calendar: MakeCalendar) -> None:
        h = make_calendar(standard_events())
        result = sync_calendar(h.source)
        got = sorted(e.summary for e in result.events)
        assert got == ["Acme intro call", "Board prep", "Quarterly review"]
        assert [b.window for b in result.batches if b.calendar == h.calendar] == [WINDOW]
        assert result.checkpoints.get(h.calendar)

    def test_records_are_well_formed(self, make_calendar: MakeCalendar) -> None:
        h = make_calendar(standard_events())
        events = {e.summary: e for e in sync_calendar(h.source).events}
        for e in events.values():
            assert e.source == h.source.name
            assert e.calendar == h.calendar
            assert e.start.tzinfo is UTC and e.end.tzinfo is UTC
            assert e.end >= e.start
            assert e.uid
            for a in e.attendees:
                assert a.address.email == a.address.email.lower()
        intro = events["Acme intro call"]
        assert (intro.start, intro.end) == (
            datetime(2026, 3, 3, 15, tzinfo=UTC),
            datetime(2026, 3, 3, 15, 30, tzinfo=UTC),
        )
        assert intro.organizer is not None and intro.organizer.email == ME[1]
        assert "ana@example.com" in {a.address.email for a in intro.attendees}
        assert len({e.uid for e in events.values()}) == len(events)

    def test_a_sync_from_its_checkpoints_changes_nothing(self, make_calendar: MakeCalendar) -> None:
        h = make_calendar(standard_events())
        first = sync_calendar(h.source)
        second = sync_calendar(h.source, first.checkpoints)
        assert all(not b.events and not b.removed and b.window is None for b in second.batches)
        assert mirror_calendar(second, mirror_calendar(first)) == mirror_calendar(first)

    def test_an_added_event_arrives_once(self, make_calendar: MakeCalendar) -> None:
        h = make_calendar(standard_events())
        first = sync_calendar(h.source)
        h.put(EventSpec("new", "Pricing call", datetime(2026, 3, 12, 16, tzinfo=UTC)))
        second = sync_calendar(h.source, first.checkpoints)
        held = mirror_calendar(second, mirror_calendar(first))
        assert summaries(held, h.calendar) == [
            "Acme intro call",
            "Board prep",
            "Pricing call",
            "Quarterly review",
        ]
        third = sync_calendar(h.source, second.checkpoints)
        assert mirror_calendar(third, held) == held

    def test_a_changed_event_replaces_the_old_one(self, make_calendar: MakeCalendar) -> None:
        h = make_calendar(standard_events())
        first = sync_calendar(h.source)
        moved = datetime(2026, 3, 11, 10, tzinfo=UTC)
        h.put(EventSpec("board", "Board prep (moved)", moved, attendees=(ME[1],)))
        held = mirror_calendar(sync_calendar(h.source, first.checkpoints), mirror_calendar(first))
        assert summaries(held, h.calendar) == [
            "Acme intro call",
            "Board prep (moved)",
            "Quarterly review",
        ]
        (board,) = [e for e in held[h.calendar].values() if e.summary.startswith("Board")]
        assert board.start == moved

    def test_a_deleted_event_goes(self, make_calendar: MakeCalendar) -> None:
        h = make_calendar(standard_events())
        first = sync_calendar(h.source)
        h.delete("review")
        second = sync_calendar(h.source, first.checkpoints)
        held = mirror_calendar(second, mirror_calendar(first))
        assert summaries(held, h.calendar) == ["Acme intro call", "Board prep"]

    def test_a_checkpoint_it_does_not_know_means_a_full_listing(
        self, make_calendar: MakeCalendar
    ) -> None:
        h = make_calendar(standard_events())
        first = sync_calendar(h.source)
        stale = sync_calendar(h.source, {h.calendar: "not-a-checkpoint-of-this-source"})
        assert [b.window for b in stale.batches if b.calendar == h.calendar] == [WINDOW]
        assert mirror_calendar(stale) == mirror_calendar(first)

    def test_a_closed_source_refuses_to_sync(self, make_calendar: MakeCalendar) -> None:
        h = make_calendar(standard_events())
        first = sync_calendar(h.source)
        h.source.close()
        h.source.close()  # closing twice is harmless
        for checkpoints in ({}, first.checkpoints):
            with pytest.raises(ConnectorError, match="closed"):
                sync_calendar(h.source, checkpoints)

    def test_a_calendar_gone_from_the_source_is_emptied_once(
        self, make_calendar: MakeCalendar
    ) -> None:
        # A checkpoint for a calendar the source no longer has (deleted, or dropped from
        # the config): one empty listing with checkpoint "", so the store forgets it.
        h = make_calendar(standard_events())
        first = sync_calendar(h.source)
        retired = {**first.checkpoints, "retired": first.checkpoints[h.calendar]}
        held = mirror_calendar(first)
        held["retired"] = dict(held[h.calendar])
        second = sync_calendar(h.source, retired)
        gone = [b for b in second.batches if b.calendar == "retired"]
        assert [(b.window, b.events, b.checkpoint) for b in gone] == [(WINDOW, (), "")]
        assert "retired" not in second.checkpoints
        after = mirror_calendar(second, held)
        assert after["retired"] == {}
        assert after[h.calendar] == held[h.calendar]
        third = sync_calendar(h.source, second.checkpoints)
        assert [b for b in third.batches if b.calendar == "retired"] == []
