"""MaildirSource beyond the shared contract: layouts, flags, checkpoints, bad files."""

from __future__ import annotations

import mailbox
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from contract import run
from mailgen import make_message

import connectors.maildir
from connectors.errors import SourceConfigError
from connectors.maildir import MaildirSource, find_maildir_folders
from connectors.records import Skipped


def source(path: Path, **options: object) -> MaildirSource:
    return MaildirSource.from_config("md", {"path": str(path), **options})


def test_maildir_plus_plus_tree(tmp_path: Path) -> None:
    inbox = mailbox.Maildir(tmp_path / "Maildir")
    inbox.add(make_message(1))
    inbox.add_folder("Sent").add(make_message(2))
    inbox.add_folder("Archive.2023").add(make_message(3))
    inbox.add_folder("Trash")
    assert sorted(find_maildir_folders(tmp_path / "Maildir")) == [
        "Archive/2023",
        "INBOX",
        "Sent",
        "Trash",
    ]
    result = run(source(tmp_path / "Maildir"))
    assert {b.folder: b.role for b in result.batches} == {
        "INBOX": "inbox",
        "Sent": "sent",
        "Archive/2023": "archive",
        "Trash": "other",
    }
    assert {r.folder: r.subject for r in result.records} == {
        "INBOX": "Message 1",
        "Sent": "Message 2",
        "Archive/2023": "Message 3",
    }


def test_directory_of_maildirs(tmp_path: Path) -> None:
    mailbox.Maildir(tmp_path / "INBOX").add(make_message(1))
    mailbox.Maildir(tmp_path / "Sent Items").add(make_message(2))
    (tmp_path / "Archive").mkdir()
    mailbox.Maildir(tmp_path / "Archive" / "2023").add(make_message(3))
    (tmp_path / "notes").mkdir()
    assert sorted(find_maildir_folders(tmp_path)) == ["Archive/2023", "INBOX", "Sent Items"]
    roles = {b.folder: b.role for b in run(source(tmp_path)).batches}
    assert roles == {"Archive/2023": "archive", "INBOX": "inbox", "Sent Items": "sent"}


def test_not_a_maildir(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    with pytest.raises(SourceConfigError) as e:
        source(tmp_path / "plain")
    assert e.value.message == (
        f"path {str(tmp_path / 'plain')!r} is not a Maildir (no cur/ and new/) "
        "and holds no Maildir folders"
    )
    (tmp_path / "file").write_text("x")
    with pytest.raises(SourceConfigError) as e:
        source(tmp_path / "file")
    assert e.value.message == f"path {str(tmp_path / 'file')!r} is not a directory"


def test_uid_is_the_key_without_flags_and_survives_reading(tmp_path: Path) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    key = box.add(make_message(1))
    src = source(tmp_path)
    first = run(src)
    assert [r.uid for r in first.records] == [key]
    # A mail client reads it: new/ -> cur/ with the Seen flag.
    msg = box[key]
    msg.set_subdir("cur")
    msg.add_flag("S")
    box[key] = msg
    assert os.listdir(tmp_path / "cur")[0].endswith(":2,S")
    again = run(src, first.checkpoints)
    assert {r.uid for r in again.records} <= {key}  # re-read at most, never a new uid
    assert run(src, again.checkpoints).records == []


def test_new_mail_is_read_without_rereading_everything(tmp_path: Path) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    for i in range(30):
        box.add(make_message(i))
    src = source(tmp_path)
    first = run(src)
    new_key = box.add(make_message(99))
    second = run(src, first.checkpoints)
    assert new_key in {r.uid for r in second.records}
    # Files changed in the same clock tick as the newest one are read again; not all 30.
    assert len(second.records) < 30


def test_resume_after_a_crash_mid_folder(tmp_path: Path) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    keys = [box.add(make_message(i)) for i in range(7)]
    opts = source(tmp_path).options
    src = MaildirSource("md", opts, batch_size=3)
    committed = next(src.sync({}))
    assert len(committed.records) == 3
    rest = run(src, {"INBOX": committed.checkpoint})
    done = {r.uid for r in committed.records} | {r.uid for r in rest.records}
    assert done == set(keys)
    assert run(src, rest.checkpoints).records == []


def test_mtime_is_the_fallback_date(tmp_path: Path) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    key = box.add(b"From: ana@example.com\nSubject: undated\n\nNo date.\n")
    path = next((tmp_path / "new").iterdir())
    stamp = datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    (r,) = run(source(tmp_path)).records
    assert r.uid == key
    assert r.date == datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    good = box.add(make_message(1))
    bad = box.add(make_message(2))
    real_open = open

    def fake_open(path: str, *args: object, **kw: object):  # type: ignore[no-untyped-def]
        if bad in os.fspath(path):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(connectors.maildir, "open", fake_open, raising=False)
    result = run(source(tmp_path))
    assert [r.uid for r in result.records] == [good]
    assert result.skipped == [Skipped("INBOX", bad, "unreadable file: Permission denied")]


def test_file_renamed_after_listing_is_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    key = box.add(make_message(1))
    real_list = connectors.maildir._list

    def list_then_rename(folder: Path):  # type: ignore[no-untyped-def]
        entries = real_list(folder)
        for e in entries:  # another client marks it read between listing and reading
            os.rename(e.path, tmp_path / "cur" / f"{e.uid}:2,S")
        return entries

    monkeypatch.setattr(connectors.maildir, "_list", list_then_rename)
    (r,) = run(source(tmp_path)).records
    assert r.uid == key
    assert r.subject == "Message 1"


def test_file_deleted_after_listing_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    box.add(make_message(1))
    real_list = connectors.maildir._list

    def list_then_delete(folder: Path):  # type: ignore[no-untyped-def]
        entries = real_list(folder)
        for e in entries:
            os.unlink(e.path)
        return entries

    monkeypatch.setattr(connectors.maildir, "_list", list_then_delete)
    result = run(source(tmp_path))
    assert result.records == []
    assert result.skipped == []
    assert result.batches[0].seen == 1


def test_since(tmp_path: Path) -> None:
    tmp_path = tmp_path / "md"  # a directory mailbox.Maildir creates
    box = mailbox.Maildir(tmp_path)
    box.add(make_message(1, date=datetime(2023, 6, 1, tzinfo=UTC)))
    box.add(make_message(2, date=datetime(2024, 6, 1, tzinfo=UTC)))
    assert [r.subject for r in run(source(tmp_path, since="2024-01-01")).records] == ["Message 2"]


def _settle(folder: Path, seconds: int = 60) -> None:
    """Date new/ and cur/ back, as a mailbox untouched for a while."""
    for sub in ("new", "cur"):
        st = os.stat(folder / sub)
        os.utime(folder / sub, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


def test_a_settled_unchanged_folder_is_not_listed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "md"
    box = mailbox.Maildir(folder)
    for i in range(5):
        box.add(make_message(i))
    src = source(folder)
    fresh = run(src)
    # Directories changed just now: their mtimes are not trusted, nor recorded.
    assert len(fresh.checkpoints["INBOX"].split()) == 4
    _settle(folder)
    settled = run(src, fresh.checkpoints)
    assert [b.records for b in settled.batches] == [()]  # the checkpoint alone, updated
    assert len(settled.checkpoints["INBOX"].split()) == 6

    def refuse(path: Path) -> list[object]:
        raise AssertionError("an unchanged settled folder was listed")

    monkeypatch.setattr(connectors.maildir, "_list", refuse)
    assert run(src, settled.checkpoints).batches == []
    monkeypatch.undo()

    # A delivery, and a flag change (a rename in cur/), change the directories' mtimes.
    key = box.add(make_message(7))
    after = run(src, settled.checkpoints)
    assert key in {r.uid for r in after.records}
    _settle(folder)
    flagged = run(src, after.checkpoints)
    (name,) = [n for n in os.listdir(folder / "new") if n.startswith(key)]
    os.rename(folder / "new" / name, folder / "cur" / f"{name}:2,S")
    renamed = run(src, flagged.checkpoints)
    assert [b.records for b in flagged.batches] == [()]  # settled: mtimes recorded
    assert key in {r.uid for r in renamed.records}  # listed again: its ctime changed


def test_new_mail_alone_costs_no_listing_and_a_file_gone_still_does(tmp_path: Path) -> None:
    """A folder that only gained mail since its checkpoint sends no listing of its uids
    (nothing can be gone); one that lost a file, or whose files changed, sends one."""
    import time

    folder = tmp_path / "md"
    box = mailbox.Maildir(folder)
    keys = [box.add(make_message(i)) for i in range(10)]
    src = source(folder)
    first = run(src)
    time.sleep(0.05)  # past the clock tick of the newest file read

    new = [box.add(make_message(i)) for i in range(10, 12)]
    second = run(src, first.checkpoints)
    assert set(new) <= {r.uid for r in second.records}
    assert [b.listing for b in second.batches] == [None] * len(second.batches)

    time.sleep(0.05)
    box.remove(keys[3])
    third_new = box.add(make_message(12))
    third = run(src, second.checkpoints)
    listing = third.batches[0].listing
    assert listing is not None
    assert listing.uids == frozenset(keys + new + [third_new]) - {keys[3]}

    time.sleep(0.05)  # a flag change only: a rename, nothing gone, but listed to be sure
    (name,) = [n for n in os.listdir(folder / "new") if n.startswith(keys[5])]
    os.rename(folder / "new" / name, folder / "cur" / f"{name}:2,S")
    fourth = run(src, third.checkpoints)
    assert fourth.batches[0].listing is not None
    assert keys[5] in fourth.batches[0].listing.uids
    assert run(src, fourth.checkpoints).records == []
