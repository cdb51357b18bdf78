"""Database errors in words safe for a terminal, a log or cron mail."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from followup.errors import StoreError

logger = logging.getLogger(__name__)

# What a database write can raise besides bugs: SQLAlchemy's errors, and the driver's
# own encoding or value errors (sqlite3 raises UnicodeEncodeError unwrapped).
_DB_FAILURES = (SQLAlchemyError, UnicodeError, ValueError)


def _is_data_error(e: BaseException) -> bool:
    """True when the database refused the data (a value, a constraint), not the work:
    worth retrying message by message. A lost connection, a full disk or a lock is not."""
    if isinstance(e, IntegrityError | DataError):
        return True
    if isinstance(e, DBAPIError):
        return False
    # A bind parameter refused before the database saw it, or by the driver's encoder.
    return isinstance(e, StatementError | UnicodeError | ValueError)


_MAX_ERROR_CHARS = 200


def db_error_text(e: BaseException) -> str:
    """One line about a database error, safe for a terminal, a log or cron mail.

    The error class and the first line of the database's (or the driver's) own message:
    no SQL, no parameters, and none of PostgreSQL's DETAIL lines, which echo row values
    ("Failing row contains (...)"). Cut to a couple of hundred characters.
    """
    orig = getattr(e, "orig", None)
    inner = orig if isinstance(orig, BaseException) else e
    message = str(inner)
    if isinstance(e, StatementError) and inner is e:
        message = ""  # its text is the statement and its parameters
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = "".join(ch if ch.isprintable() else " " for ch in first)[:_MAX_ERROR_CHARS]
    name = type(inner).__name__
    return f"{name}: {first}" if first else name


def _store_error(what: str, e: BaseException) -> StoreError:
    """The StoreError for ``e``; raised ``from None`` by callers, because a traceback of
    the original (the daemon logs one) shows the database's DETAIL lines, which can echo
    mail. The original is logged at debug level only."""
    logger.debug("%s", what, exc_info=e)
    return StoreError(f"{what}: {db_error_text(e)}")
