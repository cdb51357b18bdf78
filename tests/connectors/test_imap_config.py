"""ImapMailSource.from_config: every problem in one error, one line each."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.errors import SourceConfigError
from connectors.imap import ImapMailSource

GOOD = {"host": "imap.example.com", "username": "penny@example.com", "password_env": "PW"}


def _problems(**options: object) -> list[str]:
    with pytest.raises(SourceConfigError) as info:
        ImapMailSource.from_config("work", options)
    assert str(info.value).startswith("work: ")
    return info.value.message.splitlines()


def test_defaults() -> None:
    source = ImapMailSource.from_config("work", GOOD)
    s = source.settings
    assert (s.port, s.security, s.auth, s.folders, s.sent) == (
        993,
        "ssl",
        "password",
        ("INBOX",),
        (),
    )
    assert s.since is None and s.ca_file is None and s.timeout == 60
    assert ImapMailSource.from_config("w", {**GOOD, "security": "starttls"}).settings.port == 143


def test_every_problem_is_reported_at_once() -> None:
    assert _problems(
        security="tls",
        port=99999,
        folders="INBOX",
        since="last year",
        batch_size=0,
        colour="blue",
    ) == [
        "unknown option(s) colour; known: allow_insecure, auth, batch_size, ca_file, folders, "
        "host, oauth_auth_uri, oauth_client_file, oauth_client_id, "
        "oauth_client_secret_command, oauth_provider, oauth_scope, oauth_token_file, "
        "oauth_token_uri, password_command, password_env, password_keyring, port, "
        "security, sent, since, timeout, username",
        'host is required (e.g. host = "imap.example.com")',
        "username is required",
        "security must be one of ssl, starttls, none, not 'tls'",
        "port must be a number between 1 and 65535, not 99999",
        'no password source: set password_command (e.g. "pass show mail/work"), '
        "password_env or password_keyring",
        "since must be a date like 2024-01-01, not 'last year'",
        "batch_size must be a positive number, not 0",
    ]


def test_plain_text_needs_allow_insecure_and_a_loopback_host() -> None:
    assert _problems(**GOOD, security="none") == [
        'security = "none" sends the password in clear text: use "ssl" or "starttls", '
        "or set allow_insecure = true (loopback hosts only)"
    ]
    assert _problems(**GOOD, security="none", allow_insecure=True) == [
        'security = "none" is only allowed to a loopback host, not imap.example.com: '
        'use "ssl" or "starttls"'
    ]
    for host in ("127.0.0.1", "localhost", "::1"):
        options = {**GOOD, "host": host, "security": "none", "allow_insecure": True}
        assert ImapMailSource.from_config("work", options).settings.port == 143


def test_since_accepts_a_toml_date_or_a_string(tmp_path: Path) -> None:
    assert ImapMailSource.from_config("w", {**GOOD, "since": date(2024, 1, 1)}).since == date(
        2024, 1, 1
    )
    assert ImapMailSource.from_config("w", {**GOOD, "since": "2023-06-30"}).since == date(
        2023, 6, 30
    )


def test_xoauth2_needs_a_token_file_and_ca_file_must_exist(tmp_path: Path) -> None:
    base = {"host": "imap.gmail.com", "username": "penny@example.com"}
    assert _problems(**base, auth="xoauth2") == [
        'auth = "xoauth2" needs oauth_token_file (the OAuth2 token JSON)'
    ]
    source = ImapMailSource.from_config(
        "w", {**base, "auth": "xoauth2", "oauth_token_file": str(tmp_path / "t.json")}
    )
    assert source.settings.oauth_token_file == tmp_path / "t.json"
    assert _problems(**GOOD, ca_file=str(tmp_path / "missing.pem")) == [
        f"ca_file {tmp_path / 'missing.pem'} does not exist"
    ]
