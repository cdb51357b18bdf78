"""The mail-source contract for the Maildir, mbox and in-memory sources."""

from __future__ import annotations

import mailbox
from collections.abc import Mapping
from pathlib import Path

import pytest
from contract import Harness, MailSourceTests, MakeSource

from connectors.maildir import MaildirSource
from connectors.mbox import MboxSource
from connectors.memory import MemoryMailSource


class TestMboxContract(MailSourceTests):
    @pytest.fixture
    def make_source(self, tmp_path: Path) -> MakeSource:
        def make(folders: Mapping[str, list[bytes]]) -> Harness:
            for folder, raws in folders.items():
                box = mailbox.mbox(tmp_path / f"{folder}.mbox")
                for raw in raws:
                    box.add(raw)
                box.close()

            def add(folder: str, raw: bytes) -> None:
                box = mailbox.mbox(tmp_path / f"{folder}.mbox")
                box.add(raw)  # appended at the end, as an MDA does
                box.close()

            def remove(folder: str, message_id: str) -> None:
                box = mailbox.mbox(tmp_path / f"{folder}.mbox")
                box.lock()
                box.remove(_key(box, message_id))
                box.close()  # rewrites the file, as a mail client does

            return Harness(MboxSource.from_config("files", {"path": str(tmp_path)}), add, remove)

        return make


class TestMaildirContract(MailSourceTests):
    @pytest.fixture
    def make_source(self, tmp_path: Path) -> MakeSource:
        root = tmp_path / "Maildir"

        def box(folder: str) -> mailbox.Maildir:
            inbox = mailbox.Maildir(root, create=True)
            if folder == "INBOX":
                return inbox
            return inbox.add_folder(folder)  # Maildir++: .Sent, .Archive

        def make(folders: Mapping[str, list[bytes]]) -> Harness:
            for folder, raws in folders.items():
                b = box(folder)
                for raw in raws:
                    b.add(raw)

            def remove(folder: str, message_id: str) -> None:
                b = box(folder)
                b.remove(_key(b, message_id))  # unlinks the file

            return Harness(
                MaildirSource.from_config("files", {"path": str(root)}),
                lambda folder, raw: box(folder).add(raw),
                remove,
            )

        return make


class TestMemoryContract(MailSourceTests):
    @pytest.fixture
    def make_source(self) -> MakeSource:
        def make(folders: Mapping[str, list[bytes]]) -> Harness:
            source = MemoryMailSource("files", {f: [] for f in folders})
            for folder, raws in folders.items():
                for raw in raws:
                    source.add_raw(folder, raw)

            def remove(folder: str, message_id: str) -> None:
                (uid,) = [
                    r.uid
                    for b in source.sync({})
                    for r in b.records
                    if b.folder == folder and r.message_id == message_id
                ]
                source.remove(folder, uid)

            return Harness(source, lambda folder, raw: source.add_raw(folder, raw) and None, remove)

        return make


def _key(box: mailbox.Mailbox, message_id: str) -> str:  # type: ignore[type-arg]
    (key,) = [k for k, m in box.items() if m["Message-ID"] == f"<{message_id}>"]
    return key
