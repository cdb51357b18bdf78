"""Obtain a first OAuth2 token for XOAUTH2 with the loopback redirect (RFC 8252 + PKCE).

One code path for Google and Microsoft (and any provider that follows the RFCs):

1. listen on ``127.0.0.1`` on a free port; the redirect URI is that address;
2. show the user the authorization URL (``response_type=code``, a random ``state``, a
   PKCE S256 challenge, RFC 7636);
3. the browser comes back to the listener with ``code`` and ``state`` (or ``error``);
   a wrong ``state`` ends the flow (a stale or forged redirect, RFC 6749 §10.12);
4. exchange the code and the PKCE verifier at the token endpoint (RFC 6749 §4.1.3).

The result is the token file's content (see ``connectors.imap_auth``). Nothing here logs
or prints the code, a token or the client secret; the provider's error text is shown
on one line, cleaned of control characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from connectors.errors import AuthError, ConnectorError

logger = logging.getLogger(__name__)

DEFAULT_WAIT_SECONDS = 300.0
TOKEN_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider's endpoints and the scope that grants IMAP access."""

    name: str
    auth_uri: str
    token_uri: str
    scope: str
    # Microsoft matches a registered "http://localhost" redirect on any port, but not
    # "http://127.0.0.1"; Google accepts either. The listener is on 127.0.0.1 either way.
    redirect_host: str = "127.0.0.1"
    extra_params: tuple[tuple[str, str], ...] = ()


PROVIDERS: dict[str, Provider] = {
    "google": Provider(
        name="google",
        auth_uri="https://accounts.google.com/o/oauth2/v2/auth",
        token_uri="https://oauth2.googleapis.com/token",
        scope="https://mail.google.com/",
        # offline: a refresh token; consent: a refresh token again on a second run
        # (Google hands one out only when the consent screen was shown).
        extra_params=(("access_type", "offline"), ("prompt", "consent")),
    ),
    "microsoft": Provider(
        name="microsoft",
        # "common": work/school (Microsoft 365) and personal (Outlook.com) accounts.
        auth_uri="https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_uri="https://login.microsoftonline.com/common/oauth2/v2.0/token",
        scope="https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
        redirect_host="localhost",
    ),
}

# IMAP host -> provider, so most configs need no oauth_provider.
HOST_PROVIDERS: dict[str, str] = {
    "imap.gmail.com": "google",
    "imap.googlemail.com": "google",
    "outlook.office365.com": "microsoft",
    "imap-mail.outlook.com": "microsoft",
}


@dataclass(frozen=True, slots=True)
class OAuthClient:
    """Everything the flow needs: endpoints, scope and the app's client credentials."""

    provider: str
    auth_uri: str
    token_uri: str
    scope: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    redirect_host: str = "127.0.0.1"
    extra_params: tuple[tuple[str, str], ...] = ()


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(64)  # 86 characters, within the allowed 43-128
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def authorization_url(
    client: OAuthClient,
    redirect_uri: str,
    state: str,
    challenge: str,
    login_hint: str | None = None,
) -> str:
    """The URL the user opens to grant access (RFC 6749 §4.1.1 with PKCE)."""
    params = [
        ("response_type", "code"),
        ("client_id", client.client_id),
        ("redirect_uri", redirect_uri),
        ("scope", client.scope),
        ("state", state),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        *client.extra_params,
    ]
    if login_hint:
        params.append(("login_hint", login_hint))
    separator = "&" if urllib.parse.urlsplit(client.auth_uri).query else "?"
    return client.auth_uri + separator + urllib.parse.urlencode(params)


def one_line(text: object, limit: int = 300) -> str:
    """A provider's text fit for one line of terminal output (no control characters)."""
    cleaned = re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", str(text)).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


# ------------------------------------------------------------------ loopback listener


_PAGE_OK = "followup received the authorisation. You can close this tab."
_PAGE_FAILED = "followup did not get an authorisation. See the terminal for what went wrong."


class _Handler(BaseHTTPRequestHandler):
    server: _LoopbackServer
    # A browser may open a connection and send nothing (pre-connect): don't hang on it.
    timeout = 30

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/":  # /favicon.ico and the like
            self._reply(404, "Not found.")
            return
        params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if "code" not in params and "error" not in params:
            self._reply(400, "This is not an authorization response.")
            return
        first = self.server.claim(params)
        ok = first and "code" in params and self.server.state_matches(params.get("state"))
        try:
            self._reply(200, _PAGE_OK if ok else _PAGE_FAILED)
        finally:
            # Only now wake the flow: it may end the process, and the browser should
            # get its page first.
            if first:
                self.server.arrived.set()

    def _reply(self, status: int, text: str) -> None:
        body = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # The default logs the request line, which carries the code: log the path only.
        logger.debug("loopback listener: %s", urllib.parse.urlsplit(self.path).path)


class _LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, state: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.expected_state = state
        self.answer: dict[str, str] | None = None
        self.arrived = threading.Event()
        self._lock = threading.Lock()

    def claim(self, params: dict[str, str]) -> bool:
        """Keep the first authorization response; False for any later one."""
        with self._lock:
            if self.answer is not None:
                return False
            self.answer = params
        return True

    def state_matches(self, state: str | None) -> bool:
        return state is not None and hmac.compare_digest(state, self.expected_state)


class LoopbackReceiver:
    """An HTTP listener on 127.0.0.1 that waits for the provider's redirect.

    ``port=0`` picks a free port. Use as a context manager; ``redirect_uri`` is the URI
    to send in the authorization request, ``wait()`` the code that comes back.
    """

    def __init__(self, state: str, *, port: int = 0, redirect_host: str = "127.0.0.1") -> None:
        self._server = _LoopbackServer(port, state)
        self.redirect_uri = f"http://{redirect_host}:{self._server.server_address[1]}/"
        # A short poll: shutdown() waits for it, and the user waits for shutdown().
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="oauth-loopback", daemon=True
        )

    def __enter__(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, source: str, timeout: float) -> str:
        """The authorization code; ``ConnectorError``/``AuthError`` for anything else."""
        if not self._server.arrived.wait(timeout):
            raise FlowTimeout(source, f"no answer from the browser within {timeout:g} s")
        answer = self._server.answer or {}
        if "error" in answer:
            error = one_line(answer["error"], 80)
            detail = answer.get("error_description")
            suffix = f": {one_line(detail)}" if detail else ""
            if error == "access_denied":
                raise AuthError(source, f"access was denied in the browser ({error}{suffix})")
            raise AuthError(source, f"the provider answered {error}{suffix} instead of a code")
        if not self._server.state_matches(answer.get("state")):
            raise AuthError(
                source,
                "the browser came back with the wrong state (a stale or forged redirect); "
                "nothing was saved: start again",
            )
        return answer["code"]


class FlowTimeout(ConnectorError):
    """Nobody finished the authorisation in the browser in time."""


# ---------------------------------------------------------------------- token exchange


def exchange_code(
    source: str,
    client: OAuthClient,
    code: str,
    verifier: str,
    redirect_uri: str,
    *,
    now: float,
    timeout: float = TOKEN_TIMEOUT_SECONDS,
) -> dict[str, Any]:
    """Trade the code for tokens (RFC 6749 §4.1.3); return the token file's content."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": client.client_id,
        "code_verifier": verifier,
    }
    if client.client_secret:  # Microsoft public clients have none and must send none
        form["client_secret"] = client.client_secret
    request = urllib.request.Request(
        client.token_uri,
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        raise AuthError(
            source, f"the token endpoint refused the code (HTTP {e.code}{_error_text(e)})"
        ) from e
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise ConnectorError(
            source,
            f"could not reach the token endpoint {client.token_uri}: {one_line(reason)}",
            retryable=True,
        ) from e
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise AuthError(source, "the token endpoint's answer has no access_token")
    token_type = str(answer.get("token_type", "Bearer"))
    if token_type.lower() != "bearer":
        raise AuthError(source, f"the token endpoint handed out a {one_line(token_type)} token")
    token: dict[str, Any] = {
        "access_token": answer["access_token"],
        "token_uri": client.token_uri,
        "client_id": client.client_id,
        "scope": str(answer.get("scope") or client.scope),
    }
    if answer.get("refresh_token"):
        token["refresh_token"] = answer["refresh_token"]
    expires_in = answer.get("expires_in")
    if isinstance(expires_in, str) and expires_in.isdigit():  # some send it as a string
        expires_in = int(expires_in)
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        token["expires_at"] = int(now + expires_in)
    if client.client_secret:  # the refresh (connectors.imap_auth) needs it too
        token["client_secret"] = client.client_secret
    return token


def _error_text(error: urllib.error.HTTPError) -> str:
    """': invalid_grant: <description>' from an RFC 6749 §5.2 error body, if there is one."""
    try:
        body = json.loads(error.read().decode("utf-8", errors="replace"))
    except (OSError, ValueError):
        return ""
    if not isinstance(body, dict) or not body.get("error"):
        return ""
    text = f": {one_line(body['error'], 80)}"
    if body.get("error_description"):
        text += f": {one_line(body['error_description'])}"
    return text


# --------------------------------------------------------------------------- the flow


def authorize(
    source: str,
    client: OAuthClient,
    *,
    show_url: Callable[[str], None],
    timeout: float = DEFAULT_WAIT_SECONDS,
    login_hint: str | None = None,
    port: int = 0,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Run the whole flow and return the token file's content (nothing is written here).

    ``show_url`` gets the authorization URL once the listener is up (print it, open a
    browser). Waits up to ``timeout`` seconds for the redirect. Raises ``AuthError``
    (denied, wrong state, code refused), ``FlowTimeout`` or ``ConnectorError``.
    """
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    try:
        receiver = LoopbackReceiver(state, port=port, redirect_host=client.redirect_host)
    except OSError as e:
        raise ConnectorError(
            source, f"cannot listen on 127.0.0.1 port {port} for the redirect: {e.strerror or e}"
        ) from e
    with receiver:
        logger.debug(
            "%s: waiting for the %s redirect at %s", source, client.provider, receiver.redirect_uri
        )
        show_url(authorization_url(client, receiver.redirect_uri, state, challenge, login_hint))
        code = receiver.wait(source, timeout)
    logger.debug("%s: authorization code received; exchanging it", source)
    return exchange_code(source, client, code, verifier, receiver.redirect_uri, now=clock())
