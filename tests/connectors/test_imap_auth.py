"""OAuth2 token file: refreshed against a real HTTP endpoint, rewritten 0600 atomically."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
from imap_helpers import make_source, records, run_sync
from mailgen import make_message
from servers import Dovecot
from tcp_proxy import DroppingProxy

from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.oauth_token import access_token, write_token_file


class _TokenEndpoint(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, list[str]]]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = parse_qs(self.rfile.read(length).decode())
        _TokenEndpoint.requests.append(form)
        body = json.dumps(
            {"access_token": "fresh-token", "expires_in": 3600, "token_type": "Bearer"}
            if self.status == 200
            else {"error": "invalid_grant"}
        ).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def token_uri() -> Iterator[str]:
    _TokenEndpoint.requests = []
    _TokenEndpoint.status = 200
    server = HTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/token"
    finally:
        server.shutdown()
        server.server_close()


def _token(path: Path, token_uri: str, expires_at: float) -> None:
    write_token_file(
        path,
        {
            "access_token": "old-token",
            "refresh_token": "refresh-me",
            "expires_at": expires_at,
            "token_uri": token_uri,
            "client_id": "client-1",
        },
    )


def test_token_file_is_written_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "tokens" / "work.json"
    write_token_file(path, {"access_token": "a"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"access_token": "a"}
    assert [p.name for p in path.parent.iterdir()] == ["work.json"]  # no temp file left


def test_valid_token_is_used_without_refresh(tmp_path: Path, token_uri: str) -> None:
    path = tmp_path / "t.json"
    _token(path, token_uri, expires_at=10_000)
    assert access_token("work", path, now=1_000) == "old-token"
    assert _TokenEndpoint.requests == []


def test_expired_token_is_refreshed_and_saved(tmp_path: Path, token_uri: str) -> None:
    path = tmp_path / "t.json"
    _token(path, token_uri, expires_at=1_000)
    assert access_token("work", path, now=1_000) == "fresh-token"
    assert _TokenEndpoint.requests == [
        {
            "grant_type": ["refresh_token"],
            "refresh_token": ["refresh-me"],
            "client_id": ["client-1"],
        }
    ]
    saved = json.loads(path.read_text())
    assert saved["access_token"] == "fresh-token"
    assert saved["refresh_token"] == "refresh-me"
    assert saved["expires_at"] == 4_600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_revoked_refresh_token_is_an_auth_error(tmp_path: Path, token_uri: str) -> None:
    _TokenEndpoint.status = 400
    path = tmp_path / "t.json"
    _token(path, token_uri, expires_at=0)
    with pytest.raises(AuthError) as info:
        access_token("work", path, now=1_000)
    assert str(info.value) == (
        "work: the OAuth2 provider refused to refresh the token (HTTP 400): "
        "authorise followup again"
    )
    assert json.loads(path.read_text())["access_token"] == "old-token"


def test_missing_token_file(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match="does not exist: create it"):
        access_token("work", tmp_path / "none.json")


class _Introspection(BaseHTTPRequestHandler):
    """RFC 7662 token introspection, as Dovecot's oauth2 passdb asks it."""

    tokens: ClassVar[dict[str, str]] = {}

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        token = parse_qs(self.rfile.read(length).decode()).get("token", [""])[0]
        user = self.tokens.get(token)
        body = json.dumps({"active": True, "username": user} if user else {"active": False})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def oauth_dovecot() -> Iterator[Dovecot]:
    http = HTTPServer(("127.0.0.1", 0), _Introspection)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    server = Dovecot.create(
        oauth2_introspection_url=f"http://127.0.0.1:{http.server_address[1]}/introspect"
    )
    try:
        yield server
    finally:
        server.destroy()
        http.shutdown()
        http.server_close()


@pytest.mark.server
def test_xoauth2_login_with_a_refreshed_token(
    tmp_path: Path, oauth_dovecot: Dovecot, token_uri: str
) -> None:
    user = oauth_dovecot.add_user()
    oauth_dovecot.append(user, "INBOX", [make_message(1)])
    _Introspection.tokens = {"fresh-token": user.name}  # what the token endpoint hands out
    path = tmp_path / "token.json"
    _token(path, token_uri, expires_at=0)  # expired: the sync must refresh it first
    source = make_source(
        oauth_dovecot,
        user,
        auth="xoauth2",
        oauth_token_file=str(path),
        password_command=None,
    )

    batches, _ = run_sync(source)

    assert [r.message_id for r in records(batches)] == ["msg1@example.com"]
    assert json.loads(path.read_text())["access_token"] == "fresh-token"


@pytest.mark.server
def test_xoauth2_rejected_token_is_an_auth_error(tmp_path: Path, oauth_dovecot: Dovecot) -> None:
    user = oauth_dovecot.add_user()
    _Introspection.tokens = {}
    path = tmp_path / "token.json"
    write_token_file(path, {"access_token": "revoked"})
    source = make_source(
        oauth_dovecot, user, auth="xoauth2", oauth_token_file=str(path), password_command=None
    )
    with pytest.raises(AuthError) as info:
        run_sync(source)
    assert str(info.value) == (
        f"work: 127.0.0.1 refused the login for {user.name}: check the username and the "
        f"OAuth2 token (oauth_token_file {path})"
    )


@pytest.mark.server
def test_xoauth2_connection_dropped_during_authenticate_is_retryable(
    tmp_path: Path, oauth_dovecot: Dovecot
) -> None:
    user = oauth_dovecot.add_user()
    _Introspection.tokens = {"good": user.name}
    path = tmp_path / "token.json"
    write_token_file(path, {"access_token": "good"})
    with DroppingProxy(oauth_dovecot.imap_port, trigger=b" AUTHENTICATE ") as proxy:
        source = make_source(
            oauth_dovecot,
            user,
            port=proxy.port,
            auth="xoauth2",
            oauth_token_file=str(path),
            password_command=None,
        )
        with pytest.raises(ConnectorError) as info:
            run_sync(source)
        assert proxy.drops == 1
    assert not isinstance(info.value, AuthError)
    assert info.value.retryable
    assert str(info.value) == (
        f"work: the connection to 127.0.0.1:{proxy.port} dropped during login "
        "(closed by the server): try again later"
    )
