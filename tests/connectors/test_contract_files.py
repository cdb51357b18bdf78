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

            return Harness(MboxSource.from_config("files", {"path": str(tmp_path)}), add)

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

            return Harness(
                MaildirSource.from_config("files", {"path": str(root)}),
                lambda folder, raw: box(folder).add(raw),
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
            return Harness(source, lambda folder, raw: source.add_raw(folder, raw) and None)

        return make
