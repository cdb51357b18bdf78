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


# Mail providers anyone can sign up at: sharing one with the user makes no colleague.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "aol.com", "fastmail.com", "gmail.com", "gmx.com", "gmx.de", "gmx.net",
        "googlemail.com", "hey.com", "hotmail.com", "icloud.com", "live.com", "mac.com",
        "mail.com", "mail.ru", "me.com", "msn.com", "outlook.com", "pm.me", "proton.me",
        "protonmail.com", "qq.com", "t-online.de", "tutanota.com", "web.de", "yahoo.com",
        "yandex.com", "yandex.ru", "zoho.com",
    }
)  # fmt: skip


# Providers that also run country domains (yahoo.co.uk, hotmail.fr, gmx.at).
_PROVIDER_BRANDS = frozenset(
    {"aol", "gmail", "gmx", "googlemail", "hotmail", "icloud", "live", "outlook", "yahoo", "yandex"}
)


def own_domains(addresses: tuple[str, ...]) -> tuple[str, ...]:
    """The organisation domains of ``addresses`` (the default of ``[me] domains``): each
    address's domain, except public providers and their country variants."""
    out: list[str] = []
    for a in addresses:
        domain = a.rpartition("@")[2]
        if domain and not _public(domain) and domain not in out:
            out.append(domain)
    return tuple(out)


def _public(domain: str) -> bool:
    brand, _, rest = domain.partition(".")
    country = bool(rest) and all(len(label) <= 3 for label in rest.split("."))
    return domain in PUBLIC_MAIL_DOMAINS or (brand in _PROVIDER_BRANDS and country)
