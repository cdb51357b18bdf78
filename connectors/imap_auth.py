"""Logging in to IMAP: telling a refused login from a dropped one.

A LOGIN or AUTHENTICATE that fails is either refused (the server answered NO: the
credentials are wrong, retrying will not help) or cut off (the connection closed, was
reset or went silent before the answer: retry later, the credentials were never judged).
imapclient raises ``LoginError`` for both, so ``login_drop`` looks at what it wraps.

OAuth2 access tokens for XOAUTH2 (Gmail, Microsoft 365) come from a token file
(``connectors.oauth_token``, shared with every source that uses OAuth).
"""

from __future__ import annotations

import logging
import ssl

from imapclient.exceptions import IMAPClientAbortError

# The token functions moved to connectors.oauth_token; kept importable from here.
from connectors.oauth_token import access_token, read_token_file, write_token_file

__all__ = ["NO_ANSWER", "access_token", "login_drop", "read_token_file", "write_token_file"]

logger = logging.getLogger(__name__)

NO_ANSWER = "no answer within"


def login_drop(error: BaseException, timeout: float) -> str | None:
    """Why the connection went while logging in, or None when the server answered.

    Follows the exception chain: imapclient turns imaplib's ``abort`` (EOF, a cut-off
    line, BYE) into ``LoginError`` inside an ``except``, while a reset or a timeout
    reaches us as the raw ``OSError``. TLS errors are left to their own message.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return None
        if isinstance(current, TimeoutError):
            return f"{NO_ANSWER} {timeout:g} s"
        if isinstance(current, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return "reset"
        if isinstance(current, (IMAPClientAbortError, EOFError)):
            return "closed by the server"
        if isinstance(current, OSError):
            return current.strerror or type(current).__name__
        current = current.__cause__ or current.__context__
    return None
