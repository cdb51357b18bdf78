"""The mail-source contract, run against ImapMailSource and a real Dovecot."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from contract import Harness, MailSourceTests, MakeSource
from imap_helpers import make_source as imap_source
from servers import Dovecot

pytestmark = pytest.mark.server


class TestImapContract(MailSourceTests):
    @pytest.fixture
    def make_source(self, dovecot_server: Dovecot) -> MakeSource:
        def make(folders: Mapping[str, list[bytes]]) -> Harness:
            user = dovecot_server.add_user()
            with dovecot_server.client(user) as client:
                for folder, raws in folders.items():
                    if not client.folder_exists(folder):
                        client.create_folder(folder)
                    for raw in raws:
                        client.append(folder, raw)
            extra = [f for f in folders if f not in ("INBOX", "Sent")]
            source = imap_source(dovecot_server, user, folders=["INBOX", *extra])

            def add(folder: str, raw: bytes) -> None:
                dovecot_server.append(user, folder, [raw])

            def remove(folder: str, message_id: str) -> None:
                with dovecot_server.client(user) as client:
                    client.select_folder(folder)
                    uids = client.search(["HEADER", "Message-ID", f"<{message_id}>"])
                    assert len(uids) == 1
                    client.delete_messages(uids)
                    client.expunge()

            return Harness(source, add, remove)

        return make
