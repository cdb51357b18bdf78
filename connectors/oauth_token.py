"""OAuth2 token files, for any source that logs in with a token (XOAUTH2 IMAP, Google).

The token file is JSON written by ``followup auth`` (or by hand from a provider's tool)::

    {"access_token": "...", "refresh_token": "...", "expires_at": 1767225600,
     "token_uri": "https://oauth2.googleapis.com/token",
     "client_id": "...", "client_secret": "..."}

An expired access token is refreshed with the refresh token (RFC 6749 §6) and the file
rewritten atomically with mode 0600, so no other user can read it and a crash never
leaves half a file. Nothing here logs a token.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.errors import AuthError, ConnectorError, SourceConfigError

logger = logging.getLogger(__name__)

TOKEN_FILE_MODE = 0o600
# Refresh a little before the provider's expiry so a long sync never starts stale.
EXPIRY_MARGIN_SECONDS = 120
REFRESH_TIMEOUT_SECONDS = 30


def write_token_file(path: Path, token: Mapping[str, Any]) -> None:
    """Write ``token`` to ``path`` atomically, readable by the owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    try:
        # mkstemp creates the file 0600 already; chmod anyway in case of an odd umask
        # handling on some platform, before any secret is written.
        os.fchmod(fd, TOKEN_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(dict(token), out, indent=2, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_token_file(source: str, path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise SourceConfigError(
            source, f"oauth_token_file {path} does not exist: create it with an OAuth2 token"
        ) from e
    except (OSError, ValueError) as e:
        raise SourceConfigError(source, f"oauth_token_file {path} is not readable JSON") from e
    if not isinstance(data, dict) or not data.get("access_token"):
        raise SourceConfigError(source, f"oauth_token_file {path} has no access_token")
    if path.stat().st_mode & 0o077:
        logger.warning(
            "%s: oauth_token_file %s is readable by other users; run chmod 600 on it",
            source,
            path,
        )
    return data


def access_token(source: str, path: Path, *, now: float | None = None) -> str:
    """A valid access token from the token file, refreshing (and saving) it if expired."""
    token = read_token_file(source, path)
    now = time.time() if now is None else now
    expires_at = token.get("expires_at")
    if isinstance(expires_at, (int, float)) and expires_at - EXPIRY_MARGIN_SECONDS <= now:
        token = refresh_token(source, token, now=now)
        write_token_file(path, token)
    return str(token["access_token"])


def refresh_token(source: str, token: Mapping[str, Any], *, now: float) -> dict[str, Any]:
    """Exchange the refresh token for a new access token at ``token_uri``."""
    missing = [k for k in ("refresh_token", "token_uri", "client_id") if not token.get(k)]
    if missing:
        raise AuthError(
            source,
            f"the OAuth2 access token has expired and the token file lacks "
            f"{', '.join(missing)} to refresh it: authorise followup again",
        )
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token["refresh_token"],
        "client_id": token["client_id"],
    }
    if token.get("client_secret"):
        form["client_secret"] = token["client_secret"]
    request = urllib.request.Request(
        str(token["token_uri"]),
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=REFRESH_TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        # 400/401 with invalid_grant: the user revoked access or the token aged out.
        raise AuthError(
            source,
            f"the OAuth2 provider refused to refresh the token (HTTP {e.code}): "
            f"authorise followup again",
        ) from e
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as e:
        raise ConnectorError(
            source, f"could not refresh the OAuth2 token: {e}", retryable=True
        ) from e
    if not isinstance(answer, dict) or not answer.get("access_token"):
        raise AuthError(source, "the OAuth2 provider's answer has no access_token")
    updated = dict(token)
    updated["access_token"] = answer["access_token"]
    if answer.get("refresh_token"):  # providers may rotate it
        updated["refresh_token"] = answer["refresh_token"]
    if isinstance(answer.get("expires_in"), (int, float)):
        updated["expires_at"] = int(now + answer["expires_in"])
    logger.info("%s: refreshed the OAuth2 access token", source)
    return updated
