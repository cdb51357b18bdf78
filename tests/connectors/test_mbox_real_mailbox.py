"""The mbox source on a real, public mailbox (../shared/data; skipped where absent)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
from contract import run

from connectors.mbox import MboxSource

pytestmark = pytest.mark.data
logger = logging.getLogger(__name__)

# Message counts per folder, as documented with the data.
EXPECTED = {"inbox": 393, "sent_items": 365, "deleted_items": 284, "calendar": 44, "to_do": 27}


@pytest.fixture
def mailbox_dir(shared_data: Path) -> Path:
    path = shared_data / "mailbox" / "enron-keiser-k"
    if not path.is_dir():
        pytest.skip("the real mailbox is not in the development data here")
    return path


def test_every_message_parses(mailbox_dir: Path) -> None:
    result = run(MboxSource.from_config("real", {"path": str(mailbox_dir)}))
    per_folder = Counter(r.folder for r in result.records)
    skipped = Counter(s.folder for s in result.skipped)
    for s in result.skipped:
        logger.warning("skipped %s/%s: %s", s.folder, s.uid, s.reason)
    assert {f: per_folder[f] + skipped[f] for f in EXPECTED} == EXPECTED
    assert sum(skipped.values()) == 0
    roles = {b.folder: b.role for b in result.batches}
    assert roles == {
        "inbox": "inbox",
        "sent_items": "sent",
        "deleted_items": "other",
        "calendar": "other",
        "to_do": "other",
    }
    assert len({(r.folder, r.uid) for r in result.records}) == len(result.records)
    assert all(r.date.year in (2000, 2001, 2002) for r in result.records)


def test_owner_is_the_sender_of_sent_items(mailbox_dir: Path) -> None:
    records = run(MboxSource.from_config("real", {"path": str(mailbox_dir)})).records
    senders = Counter(r.sender.email for r in records if r.folder == "sent_items" and r.sender)
    owner, count = senders.most_common(1)[0]
    assert count >= 0.95 * EXPECTED["sent_items"]
    # ...and the same address receives the inbox's mail.
    inbox = [r for r in records if r.folder == "inbox"]
    to_owner = [r for r in inbox if owner in {a.email for a in (*r.to, *r.cc, *r.bcc)}]
    assert len(to_owner) >= 0.5 * len(inbox)
