"""OAuth2 as a piece any source can use: its config keys, settings and client.

A source that logs in with OAuth2 accepts ``AUTH_KEYS``: ``auth = "xoauth2"`` and
``oauth_token_file`` (the token JSON, see ``connectors.oauth_token``), plus the keys
below; it parses them with ``oauth_settings`` and returns the result from its
``oauth()`` method (``connectors.base.UsesOAuth``), which is all ``followup auth NAME``
needs: the flow (``connectors.oauth_flow``) and the token file are shared.

Keys (all optional; only ``followup auth`` needs them, a sync reads the token file):

- ``oauth_provider``: ``"google"`` or ``"microsoft"``; guessed from ``host``.
- ``oauth_client_id``: the app's client ID (registered with the provider).
- ``oauth_client_secret_command``: prints the client secret (Google installed apps have
  one; Microsoft public clients have none), run like ``password_command``.
- ``oauth_client_file``: Google's downloaded ``client_secret.json`` (ID + secret).
- ``oauth_auth_uri``, ``oauth_token_uri``, ``oauth_scope``: override the provider's
  endpoints and scope, for testing or for another provider.

The secret is read when the flow starts, never logged, and ends up only in the 0600
token file (the refresh needs it).
"""

from __future__ import annotations

import ipaddress
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.errors import SourceConfigError
from connectors.oauth_flow import HOST_PROVIDERS, PROVIDERS, OAuthClient
from connectors.secrets import run_secret_command

OAUTH_KEYS = frozenset(
    {
        "oauth_provider",
        "oauth_client_id",
        "oauth_client_secret_command",
        "oauth_client_file",
        "oauth_auth_uri",
        "oauth_token_uri",
        "oauth_scope",
    }
)
AUTH_KEYS = OAUTH_KEYS | {"auth", "oauth_token_file"}
"""The keys of a source that can log in with OAuth2 (``auth = "xoauth2"``)."""


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """How a source gets its OAuth2 token: where it lives and whom to ask for one.

    ``provider`` and ``scope`` are the source's defaults (IMAP guesses the provider from
    its host; a calendar source names its own scope); the ``oauth_*`` options override
    them. ``login_hint`` is the account the consent page should preselect.
    """

    token_file: Path
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    provider: str | None = None
    scope: str | None = None
    login_hint: str | None = None

    def client(self, source: str) -> OAuthClient:
        """The client to run the flow with (reads the client file, runs the secret
        command): ``SourceConfigError`` listing what is missing."""
        return oauth_client_from_options(
            source, self.options, provider=self.provider, scope=self.scope
        )

    def access_token(self, source: str) -> str:
        """A valid access token from the token file, refreshed (and saved) if expired."""
        from connectors.oauth_token import access_token

        return access_token(source, self.token_file)


def oauth_settings(
    options: Mapping[str, Any],
    problems: list[str],
    *,
    provider: str | None = None,
    scope: str | None = None,
    login_hint: str | None = None,
) -> OAuthSettings | None:
    """The OAuth settings of a source whose options say ``auth = "xoauth2"`` (None
    otherwise); each problem found is appended to ``problems``. Nothing is read or run."""
    if options.get("auth") != "xoauth2":
        return None
    raw = options.get("oauth_token_file")
    token_file = Path()
    if not isinstance(raw, str) or not raw:
        problems.append('auth = "xoauth2" needs oauth_token_file (the OAuth2 token JSON)')
    else:
        token_file = Path(raw).expanduser()
    problems.extend(oauth_option_problems(options))  # used by `followup auth` only
    return OAuthSettings(
        token_file,
        # host: what the provider is guessed from (and named by) when nothing says it.
        {k: v for k, v in options.items() if k in OAUTH_KEYS or k == "host"},
        provider=provider,
        scope=scope,
        login_hint=login_hint,
    )


def _is_command(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return (
        isinstance(value, Sequence) and bool(value) and all(isinstance(part, str) for part in value)
    )


def _endpoint_ok(url: str) -> bool:
    """https anywhere; plain http only to a loopback host (a test or local server)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def oauth_option_problems(options: Mapping[str, Any]) -> list[str]:
    """Check the oauth_* keys' types and values (nothing is run or read); one line each."""
    problems: list[str] = []
    provider = options.get("oauth_provider")
    if provider is not None and provider not in PROVIDERS:
        problems.append(
            f"oauth_provider must be one of {', '.join(sorted(PROVIDERS))}, not {provider!r}"
        )
    for key in ("oauth_client_id", "oauth_client_file", "oauth_scope"):
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{key} must be a non-empty string")
    command = options.get("oauth_client_secret_command")
    if command is not None and not _is_command(command):
        problems.append("oauth_client_secret_command must be a non-empty string or list of strings")
    if command is not None and options.get("oauth_client_file") is not None:
        problems.append(
            "set only one of oauth_client_secret_command, oauth_client_file "
            "(the file holds the secret)"
        )
    for key in ("oauth_auth_uri", "oauth_token_uri"):
        value = options.get(key)
        if value is not None and (not isinstance(value, str) or not _endpoint_ok(value)):
            problems.append(f"{key} must be an https:// URL (http:// only to a loopback host)")
    return problems


def guess_provider(host: str) -> str | None:
    return HOST_PROVIDERS.get(host.strip().lower().rstrip("."))


def oauth_client_from_options(
    source: str,
    options: Mapping[str, Any],
    *,
    provider: str | None = None,
    scope: str | None = None,
) -> OAuthClient:
    """The client to authorise ``source`` with: reads the client file, runs the secret
    command. ``SourceConfigError`` listing what is missing, one line each.

    ``provider`` and ``scope`` are the source's defaults; without ``provider`` it is
    guessed from an IMAP ``host`` option."""
    problems = oauth_option_problems(options)
    if problems:
        raise SourceConfigError(source, "\n".join(problems))
    host = str(options.get("host") or "")
    name = options.get("oauth_provider") or provider or guess_provider(host)
    default_scope = scope
    known = PROVIDERS.get(name) if name else None
    from_file: dict[str, Any] = {}
    if options.get("oauth_client_file"):
        from_file = _read_client_file(source, Path(str(options["oauth_client_file"])).expanduser())

    def pick(key: str, file_key: str, default: str | None) -> str | None:
        value = options.get(key) or from_file.get(file_key) or default
        return str(value) if value else None

    auth_uri = pick("oauth_auth_uri", "auth_uri", known.auth_uri if known else None)
    token_uri = pick("oauth_token_uri", "token_uri", known.token_uri if known else None)
    scope = pick("oauth_scope", "", default_scope or (known.scope if known else None))
    client_id = pick("oauth_client_id", "client_id", None)
    if known is None and not (auth_uri and token_uri and scope):
        problems.append(
            f'cannot tell the OAuth2 provider from host {host!r}: set oauth_provider = "google" '
            'or "microsoft" (or oauth_auth_uri, oauth_token_uri and oauth_scope)'
        )
    for key, value in (("oauth_auth_uri", auth_uri), ("oauth_token_uri", token_uri)):
        if value and not _endpoint_ok(value):  # from the client file
            problems.append(f"{key} {value!r} must be an https:// URL")
    if not client_id:
        problems.append(
            "oauth_client_id is required to authorise: register an app with the provider "
            "(Google: a Desktop app client; Microsoft: a public client with the redirect "
            'URI http://localhost), or for Google set oauth_client_file = "client_secret.json"'
        )
    if problems:
        raise SourceConfigError(source, "\n".join(problems))
    assert auth_uri and token_uri and scope and client_id
    secret: str | None = from_file.get("client_secret") or None
    if options.get("oauth_client_secret_command") is not None:
        secret = _run_secret_command(source, options["oauth_client_secret_command"])
    return OAuthClient(
        provider=name or urllib.parse.urlsplit(auth_uri).hostname or "oauth2",
        auth_uri=auth_uri,
        token_uri=token_uri,
        scope=scope,
        client_id=client_id,
        client_secret=secret,
        redirect_host=known.redirect_host if known else "127.0.0.1",
        extra_params=known.extra_params if known else (),
    )


def _read_client_file(source: str, path: Path) -> dict[str, Any]:
    """Google's client_secret.json: ``{"installed": {"client_id", "client_secret",
    "auth_uri", "token_uri", ...}}`` (or ``"web"``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SourceConfigError(source, f"oauth_client_file {path} does not exist") from e
    except (OSError, ValueError) as e:
        raise SourceConfigError(source, f"oauth_client_file {path} is not readable JSON") from e
    inner = (data.get("installed") or data.get("web")) if isinstance(data, dict) else None
    if not isinstance(inner, dict) or not inner.get("client_id"):
        raise SourceConfigError(
            source,
            f"oauth_client_file {path} has no installed.client_id: download the JSON of a "
            "Desktop app client from the Google Cloud console",
        )
    return inner


def _run_secret_command(source: str, command: str | Sequence[str]) -> str:
    return run_secret_command(
        source, command, key="oauth_client_secret_command", what="the secret"
    ).strip()
