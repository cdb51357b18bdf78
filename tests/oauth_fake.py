"""A fake OAuth2 provider on 127.0.0.1 that checks what the real ones check, and a browser.

``FakeProvider`` serves
- ``GET /auth``: the authorization endpoint. Rejects an unknown client_id, a redirect URI
  that is not loopback http, a missing state or a PKCE method other than S256 with an
  error page (as Google and Microsoft do); otherwise redirects to the redirect URI with
  a one-time code (or ``error=access_denied`` when ``mode = "deny"``, or a forged state
  when ``mode = "forge_state"``).
- ``POST /token``: the token endpoint (RFC 6749 §4.1.3). Checks the code, client_id,
  client secret (a public client must send none), redirect_uri and the PKCE verifier
  against the challenge; answers the tokens or ``{error, error_description}``.
- ``POST /introspect``: RFC 7662 for Dovecot's oauth2 passdb, so the issued access token
  logs ``username`` in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeProvider:
    client_id: str = "client-123.apps.example"
    client_secret: str | None = "client-secret-s3cr3t"
    username: str = "penny@example.com"
    mode: str = "allow"  # allow | deny | forge_state
    token_error: tuple[int, dict[str, str]] | None = None
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    issued: dict[str, str] = field(default_factory=dict)  # access token -> username
    refresh_tokens: list[str] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    auth_requests: list[dict[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> FakeProvider:
        provider = self

        class Handler(_Handler):
            fake = provider

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def auth_uri(self) -> str:
        return self.base + "/auth"

    @property
    def token_uri(self) -> str:
        return self.base + "/token"

    @property
    def introspection_url(self) -> str:
        return self.base + "/introspect"

    # -- endpoints --------------------------------------------------------------------

    def authorize(self, q: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """(status, headers, body) for GET /auth."""
        self.auth_requests.append(q)
        redirect = q.get("redirect_uri", "")
        parts = urllib.parse.urlsplit(redirect)
        if q.get("client_id") != self.client_id:
            return 400, {}, "invalid_client: unknown client_id"
        if (
            parts.scheme != "http"
            or parts.hostname not in ("127.0.0.1", "localhost")
            or not parts.port
        ):
            return 400, {}, "redirect_uri_mismatch"
        if q.get("response_type") != "code" or not q.get("scope") or not q.get("state"):
            return 400, {}, "invalid_request"
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return 400, {}, "invalid_request: PKCE S256 required"
        if self.mode == "deny":
            answer = {
                "error": "access_denied",
                "error_description": "The user denied the request.",
                "state": q["state"],
            }
        else:
            code = "code-" + secrets.token_urlsafe(16)
            self.codes[code] = {
                "client_id": q["client_id"],
                "redirect_uri": redirect,
                "challenge": q["code_challenge"],
                "scope": q["scope"],
            }
            state = "forged-state" if self.mode == "forge_state" else q["state"]
            answer = {"code": code, "state": state}
        location = redirect + "?" + urllib.parse.urlencode(answer)
        return 302, {"Location": location}, ""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if self.token_error is not None:
            return self.token_error

        def error(code: str, description: str) -> tuple[int, dict[str, Any]]:
            return 400, {"error": code, "error_description": description}

        if form.get("grant_type") != "authorization_code":
            return error("unsupported_grant_type", "grant_type must be authorization_code")
        grant = self.codes.pop(form.get("code", ""), None)  # one use only
        if grant is None:
            return error("invalid_grant", "The code is unknown or was already used.")
        if form.get("client_id") != grant["client_id"]:
            return error("invalid_client", "client_id does not match the code")
        if self.client_secret is None and "client_secret" in form:
            return error("invalid_request", "Client is public so no client_secret is allowed.")
        if self.client_secret is not None and form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized client."}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return error("invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return error("invalid_grant", "PKCE verification failed.")
        access = "ya29.access-" + secrets.token_urlsafe(24)
        refresh = "1//refresh-" + secrets.token_urlsafe(24)
        self.issued[access] = self.username
        self.refresh_tokens.append(refresh)
        return 200, {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": grant["scope"],
        }

    def introspect(self, form: dict[str, str]) -> dict[str, Any]:
        user = self.issued.get(form.get("token", ""))
        return {"active": True, "username": user} if user else {"active": False}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProvider

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/auth":
            self._send(404, {}, "not found")
            return
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        self._send(*self.fake.authorize(query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):  # client authentication by HTTP Basic (RFC 6749 §2.3.1)
            user, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            form.setdefault("client_id", urllib.parse.unquote_plus(user))
            form.setdefault("client_secret", urllib.parse.unquote_plus(secret))
        if self.path == "/token":
            status, body = self.fake.token(form)
        elif self.path == "/introspect":
            status, body = 200, self.fake.introspect(form)
        else:
            status, body = 404, {"error": "not_found"}
        self._send(status, {"Content-Type": "application/json"}, json.dumps(body))

    def _send(self, status: int, headers: dict[str, str], body: str) -> None:
        data = body.encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def browse(url: str) -> tuple[int, str]:
    """Play the browser: GET ``url``, follow redirects; the last page's status and text."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
