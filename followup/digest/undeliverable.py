"""A digest asked for that cannot be delivered: said once, with the fix."""

from __future__ import annotations

from followup.config import Config


def delivery_problem(config: Config) -> str | None:
    """The warning when ``[digest] to`` is set but neither SMTP nor an IMAP account can
    take the digest; None when it can be delivered (or none was asked for)."""
    d = config.digest
    if not d.to_given or d.smtp is not None or d.imap_account is not None:
        return None
    return (
        "Warning: [digest] to is set but the digest has no way to go out: add a "
        "[digest.smtp] server, or set [digest] imap_account to save it into an IMAP mailbox."
    )
