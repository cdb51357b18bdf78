"""Gmail's thread ids in one form: hex, as the Gmail API's ``threadId`` and the web
client's links write them. IMAP's ``X-GM-THRID`` gives the same 64-bit number in decimal.

Rows stored before this form was settled keep their decimal ids (no migration rewrites
them); ``thread_key`` reads either, so old and new mail of one thread still meet.
"""

from __future__ import annotations

HEX_DIGITS = 16  # a 64-bit id in hex; its decimal form is 17 digits or more here


def thread_hex(value: object) -> str | None:
    """``X-GM-THRID`` (an int, or its decimal digits) as the API's hex ``threadId``."""
    try:
        number = int(str(value).strip(), 10)
    except ValueError:
        return None
    return format(number, "x") if number > 0 else None


def thread_key(stored: str) -> str:
    """The hex form of a stored thread id, whichever form it was stored in.

    A hex id is at most 16 characters; Gmail's ids are above 2**56, so their decimal
    form is at least 17 digits: a longer all-digit id can only be decimal.
    """
    if stored.isdigit() and len(stored) > HEX_DIGITS:
        return thread_hex(stored) or stored
    return stored.lower()


def stored_forms(key: str) -> tuple[str, ...]:
    """The forms a thread id with hex ``key`` may be stored in (hex, and old decimal)."""
    try:
        number = int(key, 16)
    except ValueError:
        return (key,)
    decimal = str(number)
    return (key, decimal) if len(decimal) > HEX_DIGITS else (key,)
