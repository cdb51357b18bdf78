"""Google OAuth for the Gmail API and Google Calendar sources: the token file, its
refresh, the granted scopes, and the installed-app flow behind ``followup auth NAME``.

The token file is the JSON ``connectors.oauth_token`` reads, plus the scopes Google
granted (the consent screen lets a user untick one)::

    {"access_token": "...", "refresh_token": "...", "expires_at": 1767225600,
     "token_uri": "https://oauth2.googleapis.com/token", "client_id": "...",
     "client_secret": "...", "scopes": ["https://www.googleapis.com/auth/gmail.metadata"]}

It is written atomically with mode 0600, refreshed before it expires, and rewritten
whenever google-auth refreshed the access token during a run. A refresh Google refuses
(``invalid_grant``: access revoked, or an app left in "Testing", whose refresh tokens die
after 7 days) becomes an ``AuthError`` that says "needs reconnect", never a traceback.
Nothing here logs a token or the client secret.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.oauth_flow import one_line
from connectors.oauth_token import EXPIRY_MARGIN_SECONDS, write_token_file

logger = logging.getLogger(__name__)

GMAIL_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"
CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
# A wider scope covers a narrower one: a token for gmail.readonly reads headers too.
IMPLIED_BY: dict[str, frozenset[str]] = {
    GMAIL_METADATA: frozenset(
        {
            GMAIL_READONLY,
            "https://www.googleapis.com/auth/gmail.modify",
            "https://mail.google.com/",
        }
    ),
    GMAIL_READONLY: frozenset(
        {"https://www.googleapis.com/auth/gmail.modify", "https://mail.google.com/"}
    ),
    CALENDAR_READONLY: frozenset({"https://www.googleapis.com/auth/calendar"}),
}
TOKEN_URI = "https://oauth2.googleapis.com/token"
AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
HTTP_TIMEOUT = 60.0
MISSING_EXTRA = (
    'the Google sources need the "google" extra: pip install "followup[google]" '
    "(google-api-python-client, google-auth, google-auth-oauthlib)"
)


def reconnect_hint(source: str) -> str:
    return f"needs reconnect: run followup auth {source}"


def _http_factory(timeout: float) -> Any:
    """The transport every Google call goes through (httplib2, as googleapiclient uses).

    Tests replace ``http_factory`` (this module's attribute) with one returning an
    ``googleapiclient.http.HttpMockSequence`` or a fake server: the test seam that keeps
    a whole ``followup sync`` offline. It is no config key.
    """
    import httplib2

    return httplib2.Http(timeout=int(timeout))


http_factory: Callable[[float], Any] = _http_factory


def require_google(source: str) -> None:
    """``SourceConfigError`` naming the extra when the Google libraries are missing."""
    try:
        import google.oauth2.credentials  # noqa: F401
        import google_auth_httplib2  # noqa: F401
        import googleapiclient.discovery  # noqa: F401
    except ImportError as e:
        raise SourceConfigError(source, MISSING_EXTRA) from e


# ------------------------------------------------------------------------ the token file


def read_google_token(source: str, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise AuthError(source, f"{reconnect_hint(source)} (no token file {path} yet)") from e
    except (OSError, ValueError) as e:
        raise AuthError(
            source, f"{reconnect_hint(source)} (token file {path} is not readable JSON)"
        ) from e
    if not isinstance(data, dict) or (
        not data.get("refresh_token") and not data.get("access_token")
    ):
        raise AuthError(source, f"{reconnect_hint(source)} (token file {path} holds no token)")
    if path.stat().st_mode & 0o077:
        logger.warning("%s: token file %s is readable by other users; chmod 600 it", source, path)
    return data


def granted_scopes(token: Mapping[str, Any]) -> tuple[str, ...]:
    """The scopes the token file says Google granted (``scopes`` list or ``scope`` string)."""
    scopes = token.get("scopes")
    if isinstance(scopes, list):
        return tuple(sorted(str(s) for s in scopes))
    scope = token.get("scope")
    if isinstance(scope, str):
        return tuple(sorted(scope.split()))
    return ()


class GoogleToken:
    """A token file as google-auth ``Credentials``, kept in step with the file.

    ``clock`` returns epoch seconds (tests freeze it). ``credentials()`` refreshes a token
    that expires within ``EXPIRY_MARGIN_SECONDS``; ``save()`` writes the file again when
    google-auth refreshed the access token meanwhile (a 401, or an expiry mid-run).
    """

    def __init__(self, source: str, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.source = source
        self.path = path
        self.clock = clock
        self._data: dict[str, Any] | None = None
        self._creds: Any = None
        self._saved_access: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = read_google_token(self.source, self.path)
            self._saved_access = self._data.get("access_token")
        return self._data

    @property
    def scopes(self) -> tuple[str, ...]:
        return granted_scopes(self.data)

    def require(self, scope: str, *, what: str) -> None:
        """``AuthError`` (needs reconnect) when the token lacks ``scope``."""
        scopes = self.scopes
        if scopes and scope not in scopes and not IMPLIED_BY.get(scope, frozenset()) & set(scopes):
            short = ", ".join(s.rsplit("/", 1)[-1] for s in scopes)
            raise AuthError(
                self.source,
                f"{reconnect_hint(self.source)} to grant {scope.rsplit('/', 1)[-1]} "
                f"({what}); the token grants {short} only",
            )

    def credentials(self, http: Any) -> Any:
        """google-auth ``Credentials`` with a valid access token (refreshed if due)."""
        from google.oauth2.credentials import Credentials

        if self._creds is None:
            data = self.data
            expires_at = data.get("expires_at")
            expiry = None
            if isinstance(expires_at, (int, float)) and not isinstance(expires_at, bool):
                # google-auth compares naive UTC datetimes.
                expiry = datetime.fromtimestamp(expires_at, UTC).replace(tzinfo=None)
            self._creds = Credentials(  # type: ignore[no-untyped-call]
                token=data.get("access_token"),
                refresh_token=data.get("refresh_token"),
                token_uri=data.get("token_uri") or TOKEN_URI,
                client_id=data.get("client_id"),
                client_secret=data.get("client_secret"),
                scopes=list(self.scopes) or None,
                expiry=expiry,
            )
        expires_at = self.data.get("expires_at")
        due = not self._creds.token or (
            isinstance(expires_at, (int, float))
            and expires_at - EXPIRY_MARGIN_SECONDS <= self.clock()
        )
        if due:
            self.refresh(http)
        return self._creds

    def refresh(self, http: Any) -> None:
        import google_auth_httplib2

        if not self._creds.refresh_token:
            raise AuthError(
                self.source,
                f"{reconnect_hint(self.source)} (the access token expired and the token "
                "file has no refresh token)",
            )
        with translate_auth_errors(self.source):
            self._creds.refresh(google_auth_httplib2.Request(http))
        self.save()

    def save(self) -> None:
        """Write the token file again if the access token changed since it was read."""
        creds = self._creds
        if creds is None or not creds.token or creds.token == self._saved_access:
            return
        data = dict(self.data)
        data["access_token"] = creds.token
        if creds.refresh_token:  # Google may rotate it
            data["refresh_token"] = creds.refresh_token
        if creds.expiry is not None:
            data["expires_at"] = int(creds.expiry.replace(tzinfo=UTC).timestamp())
        write_token_file(self.path, data)
        self._data = data
        self._saved_access = creds.token
        logger.info("%s: refreshed the Google access token", self.source)


@contextlib.contextmanager
def translate_auth_errors(source: str) -> Iterator[None]:
    """google-auth's refresh failures as our errors: invalid_grant -> needs reconnect."""
    from google.auth.exceptions import RefreshError, TransportError

    try:
        yield
    except RefreshError as e:
        detail = one_line(e.args[0] if e.args else e, 160)
        if getattr(e, "retryable", False):
            raise ConnectorError(
                source,
                f"Google could not refresh the token ({detail}): try again later",
                retryable=True,
            ) from e
        raise AuthError(
            source, f"{reconnect_hint(source)} (Google refused the token: {detail})"
        ) from e
    except TransportError as e:
        raise ConnectorError(
            source,
            f"could not reach Google to refresh the token: {one_line(e, 160)}",
            retryable=True,
        ) from e


def authorized_http(
    token: GoogleToken,
    timeout: float = HTTP_TIMEOUT,
    factory: Callable[[float], Any] | None = None,
) -> Any:
    """An httplib2 transport that signs each request and refreshes on 401.

    ``factory`` defaults to this module's ``http_factory`` (looked up now, so a test
    that replaced it is honoured)."""
    import google_auth_httplib2

    base = (factory or http_factory)(timeout)
    return google_auth_httplib2.AuthorizedHttp(token.credentials(base), http=base)


def build_service(api: str, version: str, http: Any) -> Any:
    """A googleapiclient service from the discovery document the library ships (offline)."""
    from googleapiclient.discovery import build

    return build(api, version, http=http, static_discovery=True, cache_discovery=False)


# ------------------------------------------------------------------ client and the flow


CLIENT_KEYS = frozenset({"oauth_client_file", "oauth_client_id", "oauth_client_secret_command"})


@dataclass(frozen=True, slots=True)
class GoogleClient:
    """An installed-app (Desktop) OAuth client: what the consent flow needs."""

    client_id: str
    client_secret: str | None
    auth_uri: str = AUTH_URI
    token_uri: str = TOKEN_URI

    def config(self) -> dict[str, Any]:
        installed: dict[str, Any] = {
            "client_id": self.client_id,
            "auth_uri": self.auth_uri,
            "token_uri": self.token_uri,
            "redirect_uris": ["http://127.0.0.1"],
        }
        if self.client_secret:
            installed["client_secret"] = self.client_secret
        return {"installed": installed}


def token_file_option(
    options: Mapping[str, Any], keys: frozenset[str], problems: list[str], example: str = ""
) -> Path:
    """The options every Google source checks first: no unknown key, and the required
    ``oauth_token_file`` (expanded). Problems are appended, one line each."""
    unknown = sorted(set(options) - keys)
    if unknown:
        problems.append(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(keys))}")
    raw = options.get("oauth_token_file")
    if not isinstance(raw, str) or not raw.strip():
        problems.append(
            f"oauth_token_file is required: where followup keeps the Google token{example}; "
            "followup auth NAME creates it"
        )
        return Path("token.json")
    return Path(raw).expanduser()


def client_problems(options: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in ("oauth_client_file", "oauth_client_id"):
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{key} must be a non-empty string")
    command = options.get("oauth_client_secret_command")
    if command is not None and not (
        (isinstance(command, str) and command.strip())
        or (isinstance(command, list) and command and all(isinstance(c, str) for c in command))
    ):
        problems.append("oauth_client_secret_command must be a string or a list of strings")
    if options.get("oauth_client_file") and options.get("oauth_client_id"):
        problems.append("set only one of oauth_client_file, oauth_client_id")
    return problems


def client_from_options(source: str, options: Mapping[str, Any]) -> GoogleClient:
    """The OAuth client from ``oauth_client_file`` (Google's downloaded client JSON) or
    ``oauth_client_id`` + ``oauth_client_secret_command``. ``SourceConfigError`` if none."""
    from connectors.oauth_client import _read_client_file
    from connectors.secrets import run_secret_command

    problems = client_problems(options)
    if problems:
        raise SourceConfigError(source, "\n".join(problems))
    if options.get("oauth_client_file"):
        path = Path(str(options["oauth_client_file"])).expanduser()
        inner = _read_client_file(source, path)
        return GoogleClient(
            client_id=str(inner["client_id"]),
            client_secret=inner.get("client_secret") or None,
            auth_uri=str(inner.get("auth_uri") or AUTH_URI),
            token_uri=str(inner.get("token_uri") or TOKEN_URI),
        )
    client_id = options.get("oauth_client_id")
    if not client_id:
        raise SourceConfigError(
            source,
            "no OAuth client: create a Desktop app client in your Google Cloud project and set "
            'oauth_client_file = "~/client_secret.json" (its downloaded JSON)',
        )
    secret = None
    command = options.get("oauth_client_secret_command")
    if command is not None:
        secret = run_secret_command(
            source, command, key="oauth_client_secret_command", what="the secret"
        ).strip()
    return GoogleClient(client_id=str(client_id), client_secret=secret)


class _Sink(io.TextIOBase):
    """Text printed by google-auth-oauthlib, passed on line by line (it uses print)."""

    def __init__(self, show: Callable[[str], None]) -> None:
        self._show = show
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            if line.strip():
                self._show(line)
        return len(text)


def ssh_hint(port: int) -> str:
    return (
        f"On a host without a browser: from your own machine run "
        f"ssh -L {port}:127.0.0.1:{port} THIS-HOST, open the URL there, and the browser's "
        "redirect reaches this process through the tunnel."
    )


def run_installed_app_flow(
    source: str,
    client: GoogleClient,
    scopes: Sequence[str],
    token_file: Path,
    *,
    show: Callable[[str], None],
    open_browser: bool = True,
    port: int = 0,
    timeout: float = 300.0,
    login_hint: str | None = None,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """The installed-app flow: loopback redirect on 127.0.0.1 with PKCE (S256), via
    google-auth-oauthlib. Writes the token file (0600, atomically) and returns its content.

    ``open_browser=False`` with a fixed ``port`` is the headless way (``show`` gets the
    URL and the SSH port-forward hint). Raises ``AuthError`` (denied, refused) or
    ``ConnectorError`` (no answer in time, port taken); never prints a token.
    """
    try:
        from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
    except ImportError as e:
        raise SourceConfigError(source, MISSING_EXTRA) from e

    flow = InstalledAppFlow.from_client_config(
        client.config(), scopes=list(scopes), autogenerate_code_verifier=True
    )
    prompt = "Open this URL in a browser and allow access:\n\n    {url}\n"
    if not open_browser:
        prompt += (
            f"\n{ssh_hint(port)}\n"
            if port
            else "\nFrom another machine: run again with a fixed --port and forward it with "
            "ssh -L PORT:127.0.0.1:PORT.\n"
        )
    extra: dict[str, str] = {"access_type": "offline", "prompt": "consent"}
    if login_hint:
        extra["login_hint"] = login_hint
    # Google may grant fewer scopes than asked (granular consent): record what it granted
    # instead of letting oauthlib raise on the difference.
    previous = os.environ.get("OAUTHLIB_RELAX_TOKEN_SCOPE")
    os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"
    try:
        with contextlib.redirect_stdout(_Sink(show)):
            creds = flow.run_local_server(
                host="127.0.0.1",
                port=port,
                open_browser=open_browser,
                authorization_prompt_message=prompt,
                success_message="followup received the authorisation. You can close this tab.",
                timeout_seconds=int(timeout),
                **extra,
            )
    except WSGITimeoutError as e:
        raise ConnectorError(
            source, f"no answer from the browser within {timeout:g} s: run followup auth again"
        ) from e
    except OSError as e:
        raise ConnectorError(
            source, f"cannot listen on 127.0.0.1 port {port}: {e.strerror or e}"
        ) from e
    except Exception as e:  # oauthlib's errors: access_denied, a refused code, a bad state
        raise AuthError(source, f"the authorisation failed: {one_line(e, 200)}") from e
    finally:
        if previous is None:
            os.environ.pop("OAUTHLIB_RELAX_TOKEN_SCOPE", None)
        else:
            os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = previous
    granted = getattr(creds, "granted_scopes", None) or creds.scopes or list(scopes)
    token: dict[str, Any] = {
        "access_token": creds.token,
        "token_uri": client.token_uri,
        "client_id": client.client_id,
        "scopes": sorted(granted),
    }
    if creds.refresh_token:
        token["refresh_token"] = creds.refresh_token
    if client.client_secret:
        token["client_secret"] = client.client_secret
    if creds.expiry is not None:
        token["expires_at"] = int(creds.expiry.replace(tzinfo=UTC).timestamp())
    else:
        token["expires_at"] = int(clock() + 3600)
    write_token_file(token_file, token)
    return token


def authorize_google_source(
    source: str,
    options: Mapping[str, Any],
    scopes: Sequence[str],
    *,
    show: Callable[[str], None],
    open_browser: bool = True,
    port: int = 0,
    timeout: float = 300.0,
) -> tuple[Path, dict[str, Any]]:
    """``followup auth NAME`` for a gmail or google source: the consent flow for
    ``scopes``, the token written to the source's ``oauth_token_file``. Returns the path
    and the token (the caller shows the granted scopes, never the token)."""
    raw = options.get("oauth_token_file")
    if not isinstance(raw, str) or not raw.strip():
        raise SourceConfigError(source, "oauth_token_file is required: where to keep the token")
    client = client_from_options(source, options)
    path = Path(raw).expanduser()
    username = options.get("username")
    token = run_installed_app_flow(
        source,
        client,
        scopes,
        path,
        show=show,
        open_browser=open_browser,
        port=port,
        timeout=timeout,
        login_hint=username if isinstance(username, str) else None,
    )
    return path, token
