"""One check for an email address the user typed (CLI arguments, config, reply commands)."""

from __future__ import annotations

import re
import unicodedata

# A bare local@domain.tld, nothing a header or a URL could misread.
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")
MAX_LENGTH = 254  # RFC 5321's limit on a forward path


def is_address(value: str) -> bool:
    """True for a bare ``local@domain.tld`` with no control or format characters."""
    return (
        len(value) <= MAX_LENGTH
        and bool(_EMAIL.match(value))
        and not any(unicodedata.category(c) in ("Cc", "Cf") for c in value)
    )


def address_problem(value: object, key: str) -> str | None:
    """None for a good address, else the one line saying what is wrong with it."""
    if isinstance(value, str) and is_address(value.strip()):
        return None
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return f"{key}: {shown} is not an email address, e.g. dana@example.com"
