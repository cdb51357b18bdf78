"""The mail-source contract for the Gmail API source, against the fake Gmail.

The real googleapiclient does the work (discovery document, batch requests, the
signing and parsing); ``gmail_fake`` answers as the Gmail API documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from contract import Harness, MailSourceTests, MakeSource
from gmail_fake import FakeGmail, write_token

from connectors.gmail import GmailSource
from connectors.gmail_settings import settings_from_options

# The contract's folders as Gmail labels: "Archive" is a user label of that name.
LABELS = {"INBOX": ["INBOX"], "Sent": ["SENT"], "Archive": ["Label_1"]}


def gmail_source(fake: FakeGmail, tmp_path: Path, **options: object) -> GmailSource:
    token = tmp_path / "gmail-token.json"
    if not token.exists():
        write_token(token, scopes=fake.scopes)
    opts = {"oauth_token_file": str(token), "scope": "readonly", **options}
    return GmailSource(
        "files",
        settings_from_options("files", opts),
        http_factory=lambda _timeout: fake,
        sleep=lambda _s: None,
    )


class TestGmailContract(MailSourceTests):
    @pytest.fixture
    def make_source(self, tmp_path: Path) -> MakeSource:
        def make(folders: Mapping[str, list[bytes]]) -> Harness:
            fake = FakeGmail()
            for folder, raws in folders.items():
                for raw in raws:
                    fake.add(LABELS[folder], raw)

            def remove(folder: str, message_id: str) -> None:
                fake.delete(fake.find(message_id))

            source = gmail_source(fake, tmp_path, labels=list(folders))
            return Harness(source, lambda folder, raw: fake.add(LABELS[folder], raw), remove)

        return make
