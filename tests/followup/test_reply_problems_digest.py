"""What a reply asked for but could not be applied is told once, in the next digest email."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from smtp_testing import smtp_server

from followup.config import Config, DigestSettings, MeSettings, SmtpSettings
from followup.digest import ledger
from followup.digest.deliver import deliver_digest
from followup.digest.replies import apply_reply_commands
from followup.store.store import Store
from tests.followup.test_digest_replies import AT, DIGEST_ID, ME, number, reply, sync
from tests.followup.test_digest_replies import store as replies_store  # noqa: F401  (a fixture)

pytestmark = pytest.mark.server

LINE = "Could not apply from your reply of Tue 17 Mar: 'snoze 2 3d': unknown command"


def config(port: int) -> Config:
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", allow_insecure=True)
    return Config(
        me=MeSettings(name="Penny Example", addresses=(ME,), timezone="America/Chicago"),
        digest=DigestSettings(to=ME, sender=ME, smtp=smtp),
    )


def parts(raw: bytes) -> tuple[str, str]:
    import email
    import email.policy

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    plain = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return plain, html


def test_unknown_command_shows_once_in_the_next_digest(
    replies_store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    store = replies_store
    n = number(store, "reply:1")
    text = f"snoze 2 3d\nThanks, will do!\nsnooze {n} forever\ndone {n}\n"
    sync(store, reply("1", text))
    with smtp_server("none", tmp_path) as (rec, settings, _):
        cfg = config(settings.port)
        report = apply_reply_commands(store, cfg, AT + timedelta(hours=2))
        assert report.applied == 1
        assert report.problems == [
            "'snoze 2 3d': unknown command",
            f"'snooze {n} forever': not understood (e.g. 'snooze 2 3d', 'snooze 2 until Monday')",
        ]
        assert deliver_digest(store, cfg, AT + timedelta(days=1)).sent
        plain, html = parts(rec.messages[-1][2])
        assert plain.count(LINE) == 1
        assert "Thanks" not in plain
        assert f"snooze {n} forever" in plain
        assert html.count(LINE.replace("'", "&#39;")) == 1
        # Told once: the digest after that one has nothing to say about the reply.
        assert deliver_digest(store, cfg, AT + timedelta(days=2)).sent
        plain, html = parts(rec.messages[-1][2])
        assert "Could not apply" not in plain and "Could not apply" not in html
    assert DIGEST_ID in ledger.recent_digest_ids(store, AT, timedelta(days=1))
