"""The installed-app flow (google-auth-oauthlib, loopback redirect, PKCE) against the fake
OAuth provider of tests/oauth_fake.py, and `followup auth NAME` for a gmail source."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from imap_helpers import invoke, write_config
from oauth_fake import FakeProvider, browse

from connectors.errors import AuthError
from connectors.google_auth import (
    CALENDAR_READONLY,
    GMAIL_METADATA,
    GoogleClient,
    run_installed_app_flow,
)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    # The fake's token endpoint is plain http on 127.0.0.1; oauthlib insists on https.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake = FakeProvider().start()
    try:
        yield fake
    finally:
        fake.stop()


def browser(shown: list[str]) -> tuple[list[str], object]:
    """A ``show`` that records the lines and plays the browser on the URL line."""
    pages: list[str] = []

    def show(line: str) -> None:
        shown.append(line)
        url = line.strip()
        if url.startswith("http://127.0.0.1") and "/auth?" in url:
            threading.Thread(target=lambda: pages.append(browse(url)[1]), daemon=True).start()

    return pages, show


def client(p: FakeProvider) -> GoogleClient:
    return GoogleClient(p.client_id, p.client_secret, auth_uri=p.auth_uri, token_uri=p.token_uri)


def test_flow_writes_the_token_with_granted_scopes(tmp_path: Path, provider: FakeProvider) -> None:
    shown: list[str] = []
    _pages, show = browser(shown)
    path = tmp_path / "google-token.json"
    token = run_installed_app_flow(
        "gmail",
        client(provider),
        [GMAIL_METADATA, CALENDAR_READONLY],
        path,
        show=show,
        open_browser=False,
        port=0,
        timeout=20,
        login_hint="penny@example.com",
    )
    saved = json.loads(path.read_text())
    assert saved == token
    assert path.stat().st_mode & 0o777 == 0o600
    assert saved["scopes"] == sorted([GMAIL_METADATA, CALENDAR_READONLY])
    assert saved["refresh_token"] in provider.refresh_tokens
    assert saved["expires_at"] > 0
    (request,) = provider.auth_requests
    assert request["code_challenge_method"] == "S256"  # PKCE (the fake checks the verifier)
    assert request["access_type"] == "offline" and request["login_hint"] == "penny@example.com"
    assert request["redirect_uri"].startswith("http://127.0.0.1:")
    text = "\n".join(shown)
    assert saved["access_token"] not in text and saved["refresh_token"] not in text


def test_a_denied_consent_is_an_auth_error(tmp_path: Path, provider: FakeProvider) -> None:
    provider.mode = "deny"
    _pages, show = browser([])
    with pytest.raises(AuthError, match=r"the authorisation failed: .*access_denied"):
        run_installed_app_flow(
            "gmail",
            client(provider),
            [GMAIL_METADATA],
            tmp_path / "t.json",
            show=show,
            open_browser=False,
            timeout=20,
        )
    assert not (tmp_path / "t.json").exists()


def test_headless_with_a_port_shows_the_ssh_hint(tmp_path: Path, provider: FakeProvider) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    shown: list[str] = []
    _pages, show = browser(shown)
    run_installed_app_flow(
        "gmail",
        client(provider),
        [GMAIL_METADATA],
        tmp_path / "t.json",
        show=show,
        open_browser=False,
        port=port,
        timeout=20,
    )
    assert f"ssh -L {port}:127.0.0.1:{port}" in "\n".join(shown)
    assert provider.auth_requests[0]["redirect_uri"] == f"http://127.0.0.1:{port}/"


def test_followup_auth_for_a_gmail_source(
    tmp_path: Path, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_file = tmp_path / "client_secret.json"
    client_file.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": provider.client_id,
                    "client_secret": provider.client_secret,
                    "auth_uri": provider.auth_uri,
                    "token_uri": provider.token_uri,
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    token = tmp_path / "google-token.json"
    tables = (
        f'[[mail]]\nname = "gmail"\nkind = "gmail"\noauth_token_file = "{token}"\n'
        f'oauth_client_file = "{client_file}"\nscope = "readonly"\n',
        f'[[calendar]]\nname = "cal"\nkind = "google"\noauth_token_file = "{token}"\n',
    )
    config = write_config(tmp_path, *tables)
    import webbrowser

    opened: list[str] = []

    def fake_open(url: str, new: int = 0, autoraise: bool = True) -> bool:
        opened.append(url)
        threading.Thread(target=browse, args=(url,), daemon=True).start()
        return True

    class Browser:
        open = staticmethod(fake_open)

    monkeypatch.setattr(webbrowser, "get", lambda _name=None: Browser)
    result = invoke(config, "auth", "gmail", "--no-verify", "--timeout", "20")
    assert result.exit_code == 0, result.output
    assert "granted: calendar.readonly, gmail.readonly" in result.output
    assert len(opened) == 1
    saved = json.loads(token.read_text())
    assert token.stat().st_mode & 0o777 == 0o600
    assert "https://www.googleapis.com/auth/gmail.readonly" in saved["scopes"]


def test_without_the_google_extra_the_config_error_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "googleapiclient.discovery", None)  # import fails
    config = write_config(
        tmp_path,
        f'[[mail]]\nname = "gmail"\nkind = "gmail"\noauth_token_file = "{tmp_path}/t.json"\n',
    )
    result = invoke(config, "sync")
    assert result.exit_code == 2
    assert 'need the "google" extra: pip install "followup[google]"' in result.output
