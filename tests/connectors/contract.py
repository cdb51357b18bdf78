"""The contract every mail source honours, run against each of them.

Subclass ``MailSourceTests`` in a test module and give it a ``make_source`` fixture: a
factory that takes ``{folder: [raw message bytes]}`` and returns a ``Harness`` holding
the source, a function that delivers one more message to a folder (as an MDA, an IMAP
APPEND or a test would) and one that deletes a message by its Message-ID (as a mail
client would: EXPUNGE, unlink, rewrite the mbox). Folders used: "INBOX", "Sent" and an
empty "Archive".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from mailgen import ME, PEOPLE, make_message

from connectors.base import MailSource
from connectors.errors import ConnectorError
from connectors.records import MailBatch, MailRecord, Skipped


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
