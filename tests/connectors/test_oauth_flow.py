"""The loopback OAuth2 flow against a fake provider on 127.0.0.1 that checks PKCE."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from oauth_fake import FakeProvider, browse

from connectors.errors import AuthError, SourceConfigError
from connectors.imap import ImapMailSource
from connectors.oauth_client import oauth_client_from_options
from connectors.oauth_flow import (
    PROVIDERS,
    FlowTimeout,
    LoopbackReceiver,
    OAuthClient,
    authorization_url,
    authorize,
    exchange_code,
    pkce_pair,
)


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    provider = FakeProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


def client_for(fake: FakeProvider, **overrides: object) -> OAuthClient:
    base = PROVIDERS["google"]
    fields: dict[str, object] = {
        "provider": "google",
        "auth_uri": fake.auth_uri,
        "token_uri": fake.token_uri,
        "scope": base.scope,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "redirect_host": base.redirect_host,
        "extra_params": base.extra_params,
    }
    fields.update(overrides)
    return OAuthClient(**fields)  # type: ignore[arg-type]


class Browser:
    """Opens the URL the flow shows, in a thread, as the user's browser would."""

    def __init__(self) -> None:
        self.url = ""
        self.page: tuple[int, str] | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, url: str) -> None:
        self.url = url
        self._thread = threading.Thread(target=self._go, daemon=True)
        self._thread.start()

    def _go(self) -> None:
        self.page = browse(self.url)

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join(10)


def test_pkce_challenge_is_the_s256_of_the_verifier() -> None:
    verifier, challenge = pkce_pair()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,128}", verifier)
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert challenge == expected.rstrip(b"=").decode()
    assert pkce_pair()[0] != verifier


def test_authorization_url_carries_the_request() -> None:
    client = OAuthClient(
        provider="google",
        auth_uri=PROVIDERS["google"].auth_uri,
        token_uri=PROVIDERS["google"].token_uri,
        scope=PROVIDERS["google"].scope,
        client_id="cid",
        extra_params=PROVIDERS["google"].extra_params,
    )
    url = authorization_url(client, "http://127.0.0.1:5000/", "st", "ch", "penny@example.com")
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == PROVIDERS["google"].auth_uri
    assert dict(urllib.parse.parse_qsl(parts.query)) == {
        "response_type": "code",
        "client_id": "cid",
        "redirect_uri": "http://127.0.0.1:5000/",
        "scope": "https://mail.google.com/",
        "state": "st",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        "login_hint": "penny@example.com",
    }


def test_flow_returns_the_token_file_content(fake: FakeProvider) -> None:
    browser = Browser()
    token = authorize(
        "work", client_for(fake), show_url=browser, timeout=10, clock=lambda: 1_000_000.0
    )
    browser.join()

    assert browser.page == (200, "followup received the authorisation. You can close this tab.\n")
    [access] = fake.issued
    assert token == {
        "access_token": access,
        "refresh_token": fake.refresh_tokens[0],
        "expires_at": 1_003_599,
        "token_uri": fake.token_uri,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "scope": "https://mail.google.com/",
    }
    [request] = fake.auth_requests
    assert request["redirect_uri"].startswith("http://127.0.0.1:")
    assert request["access_type"] == "offline"  # Google's switch for a refresh token


def test_public_client_sends_no_secret_and_redirects_to_localhost() -> None:
    fake = FakeProvider(client_secret=None).start()
    try:
        ms = PROVIDERS["microsoft"]
        client = client_for(
            fake,
            provider="microsoft",
            scope=ms.scope,
            client_secret=None,
            redirect_host=ms.redirect_host,
            extra_params=(),
        )
        browser = Browser()
        token = authorize("o365", client, show_url=browser, timeout=10, login_hint="a@example.com")
        browser.join()
    finally:
        fake.stop()
    assert "client_secret" not in token
    assert token["access_token"] in fake.issued
    assert fake.auth_requests[0]["redirect_uri"].startswith("http://localhost:")
    assert fake.auth_requests[0]["login_hint"] == "a@example.com"
    assert "client_secret" not in fake.token_requests[0]


def test_forged_state_is_rejected_before_any_exchange(fake: FakeProvider) -> None:
    fake.mode = "forge_state"
    browser = Browser()
    with pytest.raises(AuthError) as info:
        authorize("work", client_for(fake), show_url=browser, timeout=10)
    browser.join()
    assert str(info.value) == (
        "work: the browser came back with the wrong state (a stale or forged redirect); "
        "nothing was saved: start again"
    )
    assert fake.token_requests == []
    assert browser.page is not None and "did not get an authorisation" in browser.page[1]


def test_denied_consent_is_one_clear_line(fake: FakeProvider) -> None:
    fake.mode = "deny"
    browser = Browser()
    with pytest.raises(AuthError) as info:
        authorize("work", client_for(fake), show_url=browser, timeout=10)
    assert str(info.value) == (
        "work: access was denied in the browser (access_denied: The user denied the request.)"
    )
    assert fake.token_requests == []


def test_token_endpoint_error_is_surfaced(fake: FakeProvider) -> None:
    fake.token_error = (
        401,
        {"error": "invalid_client", "error_description": "The OAuth client was not found.\r\n"},
    )
    with pytest.raises(AuthError) as info:
        authorize("work", client_for(fake), show_url=Browser(), timeout=10)
    assert str(info.value) == (
        "work: the token endpoint refused the code "
        "(HTTP 401: invalid_client: The OAuth client was not found.)"
    )


def test_wrong_client_secret_is_refused_by_the_provider(fake: FakeProvider) -> None:
    with pytest.raises(AuthError, match=r"HTTP 401: invalid_client: Unauthorized client"):
        authorize("work", client_for(fake, client_secret="wrong"), show_url=Browser(), timeout=10)


def test_the_verifier_is_checked_against_the_challenge(fake: FakeProvider) -> None:
    client = client_for(fake)
    _, challenge = pkce_pair()
    with LoopbackReceiver("the-state") as receiver:
        url = authorization_url(client, receiver.redirect_uri, "the-state", challenge)
        assert browse(url)[0] == 200
        code = receiver.wait("work", 10)
    other_verifier, _ = pkce_pair()
    with pytest.raises(AuthError) as info:
        exchange_code("work", client, code, other_verifier, receiver.redirect_uri, now=0)
    assert str(info.value) == (
        "work: the token endpoint refused the code (HTTP 400: invalid_grant: "
        "PKCE verification failed.)"
    )
    assert fake.token_requests[0]["code_verifier"] == other_verifier
    assert fake.issued == {}


def test_nobody_in_the_browser_times_out(fake: FakeProvider) -> None:
    with pytest.raises(FlowTimeout) as info:
        authorize("work", client_for(fake), show_url=lambda url: None, timeout=0.3)
    assert str(info.value) == "work: no answer from the browser within 0.3 s"


def test_listener_ignores_other_requests_and_keeps_the_first_answer() -> None:
    with LoopbackReceiver("s1") as receiver:
        base = receiver.redirect_uri
        assert browse(base + "favicon.ico")[0] == 404
        assert browse(base)[0] == 400  # no code, no error: not the provider's answer
        assert browse(base + "?code=c1&state=s1")[0] == 200
        # A second answer (a reload, or someone racing the browser) changes nothing.
        assert "did not get" in browse(base + "?code=evil&state=s1")[1]
        assert receiver.wait("work", 1) == "c1"


# ----------------------------------------------------------------- client from options


def test_provider_is_guessed_from_the_host() -> None:
    gmail = oauth_client_from_options(
        "g",
        {
            "host": "imap.gmail.com",
            "oauth_client_id": "cid",
            "oauth_client_secret_command": ["printf", "sec"],
        },
    )
    assert (gmail.provider, gmail.auth_uri, gmail.scope, gmail.client_secret) == (
        "google",
        PROVIDERS["google"].auth_uri,
        "https://mail.google.com/",
        "sec",
    )
    outlook = oauth_client_from_options(
        "o", {"host": "outlook.office365.com", "oauth_client_id": "cid"}
    )
    assert outlook.provider == "microsoft"
    assert outlook.scope == "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
    assert outlook.client_secret is None
    assert outlook.redirect_host == "localhost"
    assert "sec" not in repr(gmail)  # the secret stays out of reprs (and so of logs)


def test_google_client_file_gives_id_and_secret(tmp_path: Path) -> None:
    path = tmp_path / "client_secret.json"
    path.write_text(
        json.dumps(
            {
                "installed": {
                    "client_id": "file-cid.apps.googleusercontent.com",
                    "client_secret": "file-secret",
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": "https://oauth2.googleapis.com/token",
                    "redirect_uris": ["http://localhost"],
                }
            }
        )
    )
    client = oauth_client_from_options(
        "g", {"host": "imap.gmail.com", "oauth_client_file": str(path)}
    )
    assert client.client_id == "file-cid.apps.googleusercontent.com"
    assert client.client_secret == "file-secret"
    assert client.auth_uri == "https://accounts.google.com/o/oauth2/auth"


def test_missing_client_and_unknown_provider_are_listed() -> None:
    with pytest.raises(SourceConfigError) as info:
        oauth_client_from_options("x", {"host": "imap.example.com"})
    lines = info.value.message.splitlines()
    assert lines[0].startswith("cannot tell the OAuth2 provider from host 'imap.example.com'")
    assert lines[1].startswith("oauth_client_id is required to authorise")


def test_failing_secret_command_names_the_setting() -> None:
    with pytest.raises(SourceConfigError) as info:
        oauth_client_from_options(
            "g",
            {
                "host": "imap.gmail.com",
                "oauth_client_id": "cid",
                "oauth_client_secret_command": "echo oops >&2; exit 3",
            },
        )
    assert str(info.value) == (
        "g: oauth_client_secret_command 'echo oops >&2; exit 3' failed with exit status 3: oops"
    )


def test_imap_config_validates_the_oauth_keys() -> None:
    options = {
        "host": "imap.example.com",
        "username": "penny@example.com",
        "auth": "xoauth2",
        "oauth_token_file": "~/t.json",
        "oauth_provider": "yahoo",
        "oauth_token_uri": "http://tokens.example.com/token",
        "oauth_client_secret_command": "pass show x",
        "oauth_client_file": "client.json",
    }
    with pytest.raises(SourceConfigError) as info:
        ImapMailSource.from_config("work", options)
    assert info.value.message.splitlines() == [
        "oauth_provider must be one of google, microsoft, not 'yahoo'",
        "set only one of oauth_client_secret_command, oauth_client_file "
        "(the file holds the secret)",
        "oauth_token_uri must be an https:// URL (http:// only to a loopback host)",
    ]
    ok = {k: v for k, v in options.items() if k not in ("oauth_provider", "oauth_client_file")}
    ok["oauth_token_uri"] = "https://login.example.com/token"
    assert ImapMailSource.from_config("work", ok).settings.auth == "xoauth2"
