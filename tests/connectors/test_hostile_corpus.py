"""The hostile corpus through the MIME builder, Maildir and mbox: stored clean or skipped.

The same corpus goes through a real Dovecot in test_hostile_imap.py and through the CLI
and both databases in tests/followup/test_sync_hostile.py.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hostile_mail import (
    SKIPPED,
    add_latin1_named_file,
    assert_clean,
    corpus,
    mbox_bytes,
    ordinary,
    write_maildir,
)

from connectors.maildir import MaildirSource
from connectors.mbox import MboxSource
from connectors.mime import parse_message
from connectors.records import MailBatch, MailRecord, Skipped

FALLBACK = datetime(2026, 3, 1, tzinfo=UTC)
MESSAGES = corpus()


def test_the_corpus_has_every_class_of_attack() -> None:
    assert len(MESSAGES) >= 30
    assert MESSAGES["empty"] == b""
    assert len(MESSAGES["huge-subject"]) > 1_000_000 - 1000


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_each_message_is_built_clean_or_skipped_with_its_reason(name: str) -> None:
    result = parse_message(
        MESSAGES[name], source="s", folder="INBOX", role="inbox", uid=name, fallback_date=FALLBACK
    )
    if name in SKIPPED:
        assert result == Skipped("INBOX", name, SKIPPED[name])
    else:
        assert isinstance(result, MailRecord), result
        assert_clean(result)


def test_sanitised_fields_keep_what_can_be_kept() -> None:
    def build(name: str) -> MailRecord:
        r = parse_message(MESSAGES[name], source="s", folder="F", role="inbox", uid="1",
                          fallback_date=FALLBACK)  # fmt: skip
        assert isinstance(r, MailRecord)
        return r

    assert build("utf7-subject").subject == "\ufffd\ufffd"
    assert build("nul-raw-subject").subject == "Beforeafter"
    assert build("nul-encoded").subject == "ab"
    assert build("nul-encoded").sender is not None
    assert build("nul-encoded").sender.name == "EveNull"  # type: ignore[union-attr]
    assert build("huge-subject").subject == "S" * 998
    many = build("many-recipients")
    assert len(many.to) == 200 and many.to[0].email == "penny@example.com"
    refs = build("many-references").references
    assert refs[0] == "ref0@thread.example" and refs[-1] == "ref9999@thread.example"
    long_id = build("long-message-id").message_id
    assert len(long_id) == 250 and long_id == build("long-message-id").message_id
    assert build("long-address").sender is None
    # A Date header outside 1970-2200 is not believed: the fallback date is used.
    assert build("date-year-9999").date == FALLBACK
    assert build("date-year-9999-utc").date == FALLBACK
    # Backslash-escape "charsets" are not decoded as escapes.
    assert build("unicode-escape-subject").subject.startswith("\\ud800")


def _collect(batches: list[MailBatch]) -> tuple[list[MailRecord], list[Skipped]]:
    records = [r for b in batches for r in b.records]
    skipped = [s for b in batches for s in b.skipped]
    return records, skipped


def _by_name(uid: str) -> str:
    return uid.split(".")[1]


def test_maildir_stores_or_skips_every_hostile_file(tmp_path: Path) -> None:
    root = write_maildir(tmp_path / "Mail", MESSAGES)
    add_latin1_named_file(root, ordinary(1, "Contract", "Could you sign it?", FALLBACK, "p@e.x"))
    source = MaildirSource.from_config("local", {"path": str(root)})
    batches = list(source.sync({}))
    records, skipped = _collect(batches)
    assert sum(b.seen for b in batches) == len(MESSAGES) + 1
    latin1 = [r for r in records if "caf" in r.uid]
    assert [r.uid for r in latin1] == ["1700000000.caf\\xe9-cr\\xe8me.host"]
    assert {_by_name(s.uid): s.reason for s in skipped} == SKIPPED
    stored = {_by_name(r.uid) for r in records if r not in latin1}
    assert stored == set(MESSAGES) - set(SKIPPED)
    for r in records:
        assert_clean(r)
        r.uid.encode("utf-8")
    # The checkpoint is plain text and a second sync reads nothing again.
    checkpoint = batches[-1].checkpoint
    checkpoint.encode("ascii")
    assert _collect(list(source.sync({"INBOX": checkpoint}))) == ([], [])


def test_maildir_folder_with_a_non_utf8_name(tmp_path: Path) -> None:
    root = write_maildir(tmp_path / "Mail", {})
    sub = os.fsencode(root) + b"/.Archiv-\xe9t\xe9"
    for d in (b"cur", b"new", b"tmp"):
        os.makedirs(sub + b"/" + d)
    with open(sub + b"/cur/1.a.host:2,S", "wb") as f:
        f.write(ordinary(2, "Invoice", "Can you check the invoice?", FALLBACK, "p@e.x"))
    source = MaildirSource.from_config("local", {"path": str(root)})
    batches = list(source.sync({}))
    folders = {b.folder for b in batches if b.records}
    assert folders == {"Archiv-\\xe9t\\xe9"}


def test_mbox_stores_or_skips_every_hostile_message(tmp_path: Path) -> None:
    path = tmp_path / "hostile.mbox"
    path.write_bytes(mbox_bytes(MESSAGES))
    source = MboxSource.from_config("arch", {"path": str(path)})
    batches = list(source.sync({}))
    records, skipped = _collect(batches)
    assert len(records) + len(skipped) == len(MESSAGES)
    assert sorted(s.reason for s in skipped) == sorted(SKIPPED.values())
    assert len(records) == len(MESSAGES) - len(SKIPPED)
    for r in records:
        assert_clean(r)
    assert _collect(list(source.sync({"hostile": batches[-1].checkpoint}))) == ([], [])


def test_mbox_folder_file_with_a_non_utf8_name(tmp_path: Path) -> None:
    root = tmp_path / "mboxes"
    root.mkdir()
    raw = mbox_bytes({"a": ordinary(3, "Slides", "Can you send the slides?", FALLBACK, "p@e.x")})
    with open(os.fsencode(root) + b"/Pr\xe9sentations.mbox", "wb") as f:
        f.write(raw)
    source = MboxSource.from_config("arch", {"path": str(root)})
    batches = list(source.sync({}))
    assert [(b.folder, len(b.records)) for b in batches] == [("Pr\\xe9sentations", 1)]
    assert batches[0].records[0].folder == "Pr\\xe9sentations"
    again = list(source.sync({"Pr\\xe9sentations": batches[-1].checkpoint}))
    assert _collect(again) == ([], [])
