"""Gmail and Google Calendar through the user's interfaces: a config file and the CLI.

The test seam is ``connectors.google_auth.http_factory`` (the transport every Google
call goes through), replaced here by the fake Gmail; nothing else is patched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gmail_fake import METADATA, READONLY, FakeGmail, write_token
from imap_helpers import invoke, write_config
from mailgen import ME, PEOPLE, make_message

from connectors import google_auth


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeGmail:
    gmail = FakeGmail(scopes=(METADATA,))
    for i in range(5):
        gmail.add(["INBOX"], make_message(i, sender=PEOPLE[i % 4], to=ME))
    gmail.add(["SENT"], make_message(20, sender=ME, to=PEOPLE[1]))
    monkeypatch.setattr(google_auth, "http_factory", lambda _timeout: gmail)
    return gmail


def gmail_table(token: Path, **extra: str) -> str:
    lines = ["[[mail]]", 'name = "gmail"', 'kind = "gmail"', f'oauth_token_file = "{token}"']
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def test_sync_json_reports_the_gmail_labels(tmp_path: Path, fake: FakeGmail) -> None:
    token = tmp_path / "google-token.json"
    write_token(token, scopes=(METADATA,))
    config = write_config(tmp_path, gmail_table(token))
    result = invoke(config, "sync", "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert (report["source"], report["kind"], report["ok"]) == ("gmail", "gmail", True)
    folders = {f["folder"]: f for f in report["folders"]}
    assert (folders["INBOX"]["new"], folders["SENT"]["new"]) == (5, 1)
    assert folders["SENT"]["role"] == "sent"
    again = json.loads(invoke(config, "sync", "--json").output)
    assert sum(f["new"] for f in again[0]["folders"]) == 0
    assert [p for _m, p in fake.calls].count("/gmail/v1/users/me/history") == 1


def test_revoked_token_is_one_line_needs_reconnect(tmp_path: Path, fake: FakeGmail) -> None:
    token = tmp_path / "google-token.json"
    write_token(token, scopes=(METADATA,))
    fake.access_tokens.clear()
    fake.refresh_tokens.clear()
    config = write_config(tmp_path, gmail_table(token))
    result = invoke(config, "sync", "--json")
    (report,) = json.loads(result.output)
    assert report["ok"] is False
    assert report["error"].startswith("gmail: needs reconnect: run followup auth gmail")
    assert "Traceback" not in result.output and "1//refresh" not in result.output
    plain = invoke(config, "sync")
    assert plain.exit_code != 0
    assert "needs reconnect: run followup auth gmail" in plain.output
    assert "Traceback" not in plain.output


def test_doctor_shows_granted_scopes_and_that_text_is_off(tmp_path: Path, fake: FakeGmail) -> None:
    token = tmp_path / "google-token.json"
    write_token(token, scopes=(METADATA,))
    config = write_config(tmp_path, gmail_table(token))
    result = invoke(config, "doctor", "--json")
    report = json.loads(result.output)
    (gmail,) = [s for s in report["sources"] if s["source"] == "gmail"]
    assert gmail["ok"] is True
    assert gmail["details"]["granted_scopes"] == [METADATA]
    assert "no requests or promises" in gmail["details"]["text_note"]
    human = invoke(config, "doctor").output
    assert "granted: gmail.metadata" in human
    assert "INBOX (inbox): 5 messages" in human
    assert 'message text is not read (scope = "metadata")' in human


def test_a_config_asking_for_q_or_spam_is_refused(tmp_path: Path, fake: FakeGmail) -> None:
    token = tmp_path / "google-token.json"
    config = write_config(tmp_path, gmail_table(token, labels='["INBOX", "SPAM"]'))
    result = invoke(config, "sync")
    assert result.exit_code == 2
    assert "SPAM is never read" in result.output


def test_readonly_config_reads_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gmail = FakeGmail(scopes=(READONLY,))
    gmail.add(["INBOX"], make_message(1, sender=PEOPLE[0], to=ME))
    monkeypatch.setattr(google_auth, "http_factory", lambda _timeout: gmail)
    token = tmp_path / "google-token.json"
    write_token(token, scopes=(READONLY,))
    config = write_config(tmp_path, gmail_table(token, scope='"readonly"', labels='["INBOX"]'))
    result = invoke(config, "sync", "--json")
    assert json.loads(result.output)[0]["ok"] is True
    import sqlite3

    with sqlite3.connect(tmp_path / "state.db") as conn:
        (excerpt,) = conn.execute("SELECT excerpt FROM message").fetchone()
    assert "can you send the report 1" in excerpt


def test_digest_footer_says_a_revoked_source_needs_reconnect(
    tmp_path: Path, fake: FakeGmail
) -> None:
    token = tmp_path / "google-token.json"
    write_token(token, scopes=(METADATA,))
    config = write_config(tmp_path, gmail_table(token))
    assert invoke(config, "run", "--no-send", "--now", "2024-03-20T08:00").exit_code == 0
    hint = "gmail needs reconnect: run followup auth gmail"
    assert hint not in invoke(config, "digest", "--now", "2024-03-20T08:00").output

    fake.access_tokens.clear()  # the user revoked the app's access at Google
    fake.refresh_tokens.clear()
    ran = invoke(config, "run", "--no-send", "--now", "2024-03-21T08:00")
    assert "Traceback" not in ran.output
    for fmt in ("text", "plain", "html"):
        shown = invoke(config, "digest", "--format", fmt, "--now", "2024-03-21T08:00").output
        assert shown.count(hint) == 1, (fmt, shown)
        assert "Traceback" not in shown and "1//refresh" not in shown
        assert "invalid_grant" not in shown and "revoked" not in shown  # not the stored error

    fake.refresh_tokens.add("1//refresh")  # reconnected: the next sync works again
    assert invoke(config, "run", "--no-send", "--now", "2024-03-22T08:00").exit_code == 0
    assert hint not in invoke(config, "digest", "--now", "2024-03-22T08:00").output
