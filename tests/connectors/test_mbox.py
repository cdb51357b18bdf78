"""MboxSource beyond the shared contract: layouts, checkpoints, config errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from contract import run
from mailgen import make_message

from connectors.errors import SourceConfigError
from connectors.mbox import MboxSource, find_mbox_folders
from connectors.records import Skipped

FROM_LINE = b"From ana@example.com Tue Mar  5 10:00:00 2024\n"


def lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n")


def mbox_bytes(*raws: bytes, from_line: bytes = FROM_LINE) -> bytes:
    return b"".join(from_line + lf(raw).rstrip(b"\n") + b"\n\n" for raw in raws)


def source(path: Path, **options: object) -> MboxSource:
    return MboxSource.from_config("archive", {"path": str(path), **options})


def test_single_file_is_one_folder_named_after_its_stem(tmp_path: Path) -> None:
    f = tmp_path / "sent_items.mbox"
    f.write_bytes(mbox_bytes(make_message(1), make_message(2)))
    result = run(source(f))
    assert [(b.folder, b.role) for b in result.batches] == [("sent_items", "sent")]
    assert [r.subject for r in result.records] == ["Message 1", "Message 2"]


def test_directory_layouts(tmp_path: Path) -> None:
    (tmp_path / "inbox.mbox").write_bytes(mbox_bytes(make_message(1)))
    (tmp_path / "Inbox").write_bytes(mbox_bytes(make_message(2)))  # Thunderbird: no suffix
    (tmp_path / "Inbox.msf").write_bytes(b"// index, not mail")
    (tmp_path / "notes.txt").write_bytes(b"just a text file\n")
    (tmp_path / "empty.mbox").write_bytes(b"")
    (tmp_path / "Archives.sbd").mkdir()
    (tmp_path / "Archives.sbd" / "2023").write_bytes(mbox_bytes(make_message(3)))
    (tmp_path / ".hidden.mbox").write_bytes(mbox_bytes(make_message(4)))
    assert sorted(find_mbox_folders(tmp_path)) == ["Archives/2023", "Inbox", "empty", "inbox"]
    roles = {b.folder: b.role for b in run(source(tmp_path)).batches}
    assert roles == {
        "Archives/2023": "archive",
        "Inbox": "inbox",
        "empty": "other",
        "inbox": "inbox",
    }


def test_appended_messages_are_read_alone(tmp_path: Path) -> None:
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(*(make_message(i) for i in range(5))))
    src = source(f)
    first = run(src)
    with f.open("ab") as out:
        out.write(mbox_bytes(make_message(5), make_message(6)))
    second = run(src, first.checkpoints)
    assert [r.subject for r in second.records] == ["Message 5", "Message 6"]
    assert run(src, second.checkpoints).records == []


def test_rewritten_file_is_read_again_with_the_same_uids(tmp_path: Path) -> None:
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(*(make_message(i) for i in range(4))))
    src = source(f)
    first = run(src)
    uids = {r.message_id: r.uid for r in first.records}
    f.write_bytes(mbox_bytes(*(make_message(i) for i in (0, 2, 3))))  # message 1 deleted
    second = run(src, first.checkpoints)
    assert [r.subject for r in second.records] == ["Message 0", "Message 2", "Message 3"]
    assert all(uids[r.message_id] == r.uid for r in second.records)


def test_same_size_rewrite_is_noticed(tmp_path: Path) -> None:
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(make_message(1, subject="aaaa")))
    src = source(f)
    first = run(src)
    f.write_bytes(mbox_bytes(make_message(1, subject="bbbb")))
    assert [r.subject for r in run(src, first.checkpoints).records] == ["bbbb"]


def test_resume_after_a_crash_mid_folder(tmp_path: Path) -> None:
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(*(make_message(i) for i in range(7))))
    src = MboxSource(source(f).name, source(f).options, batch_size=3)
    batches = src.sync({})
    committed = next(batches)  # the app commits one batch, then the process dies
    assert [r.subject for r in committed.records] == ["Message 0", "Message 1", "Message 2"]
    rest = run(src, {"inbox": committed.checkpoint})
    assert [r.subject for r in rest.records] == [f"Message {i}" for i in range(3, 7)]
    assert [len(b.records) for b in rest.batches] == [3, 1]


def test_from_line_date_is_the_fallback(tmp_path: Path) -> None:
    undated = b"From: ana@example.com\nSubject: undated\nMessage-ID: <u@example.com>\n\nHi\n"
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(undated, from_line=b"From MAILER-DAEMON Mon Apr  8 14:19:13 2022\n"))
    (r,) = run(source(f)).records
    assert r.date == datetime(2022, 4, 8, 14, 19, 13, tzinfo=UTC)


def test_body_lines_starting_with_from_do_not_split_messages(tmp_path: Path) -> None:
    body = "First line.\n\nFrom what I hear, the deck is done.\n>From the archive: yes.\n"
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(make_message(1, body=body), make_message(2)))
    records = run(source(f)).records
    assert [r.subject for r in records] == ["Message 1", "Message 2"]
    assert "From what I hear, the deck is done." in records[0].excerpt


def test_not_an_mbox_file_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "inbox.mbox"
    f.write_bytes(lf(make_message(1)))  # an .eml saved with the wrong name
    src = source(f)
    result = run(src)
    assert result.records == []
    assert result.skipped == [
        Skipped("inbox", "", "not an mbox file (it does not start with a 'From ' line)")
    ]
    assert run(src, result.checkpoints).skipped == []  # said once, until the file changes


def test_repeated_message_id_gets_its_own_uid(tmp_path: Path) -> None:
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(make_message(1), make_message(1)))
    a, b = run(source(f)).records
    assert a.message_id == b.message_id
    assert b.uid == a.uid + "-2"


def test_size_is_the_message_size(tmp_path: Path) -> None:
    raw = lf(make_message(1))
    f = tmp_path / "inbox.mbox"
    f.write_bytes(mbox_bytes(raw))
    (r,) = run(source(f)).records
    assert r.size == len(raw.rstrip(b"\n")) + 2  # the message and the blank separator line


def test_since_and_folders_options(tmp_path: Path) -> None:
    (tmp_path / "inbox.mbox").write_bytes(
        mbox_bytes(
            make_message(1, date=datetime(2023, 12, 31, 23, 0, tzinfo=UTC)),
            make_message(2, date=datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
        )
    )
    (tmp_path / "other.mbox").write_bytes(mbox_bytes(make_message(3)))
    result = run(source(tmp_path, since=date(2024, 1, 1), folders=["INBOX"]))
    assert [r.subject for r in result.records] == ["Message 2"]
    assert [(b.folder, b.seen) for b in result.batches] == [("inbox", 2)]


def test_missing_folder_raises_after_the_others(tmp_path: Path) -> None:
    (tmp_path / "inbox.mbox").write_bytes(mbox_bytes(make_message(1)))
    src = source(tmp_path, folders=["inbox", "Nope"])
    seen = []
    with pytest.raises(SourceConfigError) as e:
        for batch in src.sync({}):
            seen.append(batch.folder)
    assert seen == ["inbox"]
    assert str(e.value) == (f"archive: folder 'Nope' not found in {str(tmp_path)!r}; found: inbox")


def test_sent_option_sets_the_role(tmp_path: Path) -> None:
    (tmp_path / "outgoing.mbox").write_bytes(mbox_bytes(make_message(1)))
    (tmp_path / "Sent.mbox").write_bytes(mbox_bytes(make_message(2)))
    roles = {b.folder: b.role for b in run(source(tmp_path, sent=["Outgoing"])).batches}
    assert roles == {"outgoing": "sent", "Sent": "other"}


def test_tilde_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "mail.mbox").write_bytes(mbox_bytes(make_message(1)))
    src = MboxSource.from_config("home", {"path": "~/mail.mbox"})
    assert src.options.path == tmp_path / "mail.mbox"
    assert len(run(src).records) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, 'missing path = "..." (the mbox to read, e.g. "~/mail/archive.mbox")'),
        ({"path": "/nonexistent/mail.mbox"}, "path '/nonexistent/mail.mbox' does not exist"),
        (
            {"path": ".", "sent": 3},
            'sent must be a list of folder names, e.g. sent = ["Sent"]',
        ),
        (
            {"path": ".", "since": "last year"},
            "since: expected a date like 2024-01-01, got 'last year'",
        ),
        (
            {"path": ".", "max_excerpt": -1},
            "max_excerpt must be a whole number of characters >= 0, not -1",
        ),
        (
            {"path": ".", "host": "x"},
            "unknown key 'host'; known: archive, folders, max_excerpt, path, sent, since",
        ),
    ],
)
def test_config_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(SourceConfigError) as e:
        MboxSource.from_config("archive", options)
    assert e.value.source == "archive"
    assert e.value.message == message


def test_config_errors_are_all_reported_at_once() -> None:
    with pytest.raises(SourceConfigError) as e:
        MboxSource.from_config(
            "archive", {"path": "/nonexistent", "folders": "x", "max_excerpt": "9"}
        )
    assert e.value.message.splitlines() == [
        "path '/nonexistent' does not exist",
        "max_excerpt must be a whole number of characters >= 0, not '9'",
    ]


def test_since_accepts_toml_values(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(b"")
    for value in (
        date(2024, 1, 1),
        datetime(2024, 1, 1),
        "2024-01-01",
        "2024-01-01T00:00:00+00:00",
    ):
        src = MboxSource.from_config("a", {"path": str(tmp_path), "since": value})
        assert src.options.since == datetime(2024, 1, 1, tzinfo=UTC)
