"""The daily digest email: once a day per recipient, at the configured local time.

``deliver_digest`` is the runner's deliver step. It sends when all of these hold: a
recipient and an SMTP server are configured, the local time is past ``[digest] at``, no
digest went to that recipient today (the user's local day), and something needs the
user (or ``send_empty``). The day is recorded in the store inside the SMTP transaction,
before the final "." commits it, so a crash cannot send twice.

It must run under the run lock (``followup run`` and the daemon hold it): a ``sending``
row found then belongs to a run that is gone, killed between the record and the final
"." or cut off by the server after DATA, and nobody knows whether the message arrived.
That digest is sent once more with the same Message-ID (a mail client folds the two
copies); if that attempt too ends unclear, the day counts as sent. So no day is skipped
silently, and a digest recorded as ``sent`` is never sent again.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any

from connectors.errors import ConnectorError
from followup.config import Config, SmtpSettings
from followup.digest import ledger
from followup.digest.items import sort_key
from followup.digest.replies import reply_problems_since_last_digest
from followup.digest.send import DeliveryError, build_message, send_smtp
from followup.digest.source_state import reconnect_lines
from followup.errors import UserError
from followup.nudges import OpenNudge
from followup.ranking import select_shown
from followup.store.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What the deliver step did. ``reason`` is one short line for logs and the CLI."""

    sent: bool
    reason: str
    day: date | None = None
    to: str = ""
    message_id: str | None = None
    count: int = 0
    error: str | None = None

    def summary(self) -> str:
        if self.sent:
            verb = "saved to" if self.reason == "saved" else "sent to"
            return f"Digest {verb} {self.to} ({self.count} nudges)."
        if self.error:
            return f"Digest not sent: {self.error}"
        return f"Digest not sent: {self.reason}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "reason": self.reason,
            "day": self.day.isoformat() if self.day else None,
            "to": self.to,
            "message_id": self.message_id,
            "count": self.count,
            "error": self.error,
        }


def smtp_password(settings: SmtpSettings) -> str | None:
    """The SMTP password from password_command / password_env / password_keyring."""
    if not settings.username:
        return None
    from connectors.errors import ConnectorError
    from connectors.secrets import password_spec_from_options, resolve_password

    options = {
        "password_command": settings.password_command,
        "password_env": settings.password_env,
        "password_keyring": settings.password_keyring,
    }
    try:
        spec = password_spec_from_options("digest.smtp", options)
        return resolve_password("digest.smtp", spec, settings.username)
    except ConnectorError as e:
        raise UserError(f"[digest.smtp] {e.message}") from e


def deliver_digest(
    store: Store,
    config: Config,
    now: datetime,
    nudges: Sequence[OpenNudge] | None = None,
    *,
    force: bool = False,
    ssl_context: ssl.SSLContext | None = None,
) -> DeliveryResult:
    """Send today's digest if it is due; see the module docstring for when.

    ``nudges`` defaults to the open nudges in the store. ``force`` ignores the time of
    day (not the once-a-day rule). Delivery errors are returned (``error``), not raised,
    so the rest of the run's report survives; settings that cannot work raise UserError.
    """
    settings = config.digest
    if not settings.to:
        return DeliveryResult(False, "no recipient: set [digest] to")
    if settings.smtp is None and settings.imap_account is None:
        return DeliveryResult(
            False, "no SMTP server: set [digest.smtp] or [digest] imap_account", to=settings.to
        )
    tz = config.me.tz
    local = now.astimezone(tz)
    day = local.date()
    if not force and local.time() < settings.at:
        return DeliveryResult(False, f"due at {settings.at:%H:%M}", day=day, to=settings.to)
    row = ledger.day_row(store, day, settings.to)
    done = ("sent",) if settings.smtp is None else ("sent", "resending")
    if row is not None and row.status in done:
        return DeliveryResult(False, "already sent today", day=day, to=settings.to)
    if nudges is None:
        from followup.store.nudges import list_nudges

        nudges = list_nudges(store, now)
    open_ = sorted((n for n in nudges if n.state == "open"), key=sort_key)
    if not open_ and not settings.send_empty:
        return DeliveryResult(False, "nothing needs you", day=day, to=settings.to)
    if row is not None and row.status != "failed":
        logger.warning(
            "The digest for %s was handed over but never confirmed (the run was cut off, "
            "or the server dropped the connection); it is sent once more with the same "
            "Message-ID",
            day,
        )

    message = build_message(
        open_,
        now,
        tz,
        sender=settings.sender or settings.to,
        to=settings.to,
        subject=settings.subject,
        max_items=settings.max_items,
        message_id=row.message_id if row is not None else None,
        notes=reply_problems_since_last_digest(store, day, tz),
        footer=reconnect_lines(store),
        caps=settings.caps,
        min_score=settings.min_score,
    )
    message_id = str(message["Message-ID"]).strip()
    keys = [n.nudge.key for n in select_shown(open_, now, config).shown]
    replacing = row.status if row is not None and row.status != "failed" else None
    if settings.smtp is None:
        return _save_to_imap(
            store, config, message, message_id, keys, day, now, len(open_), replacing
        )
    password = smtp_password(settings.smtp)
    recorded = False

    def record() -> None:
        nonlocal recorded
        ledger.record_digest(store, day, settings.to, message_id, keys, now, replacing=replacing)
        recorded = True

    try:
        send_smtp(
            message, settings.smtp, password=password, ssl_context=ssl_context, before_commit=record
        )
    except ledger.AlreadySentError:
        # Another run took the day between our check and our record: it sends, we don't.
        return DeliveryResult(False, "already sent today", day=day, to=settings.to)
    except DeliveryError as e:
        if recorded and e.answered:
            # The server refused the message: nothing was delivered, a later run may retry.
            ledger.mark_digest(store, message_id, "failed", now)
        elif recorded and replacing is None:
            logger.warning(
                "The connection failed after the digest was handed over; it may have been "
                "delivered: the next run sends it once more with the same Message-ID"
            )
        elif recorded:
            logger.warning(
                "The connection failed again after the digest was handed over; it is not "
                "sent a third time today"
            )
        logger.error("%s", e)
        return DeliveryResult(False, "failed", day=day, to=settings.to, error=str(e))
    ledger.mark_digest(store, message_id, "sent", now)
    logger.info("Digest for %s sent to %s with %d nudges", day, settings.to, len(keys))
    return DeliveryResult(
        True, "sent", day=day, to=settings.to, message_id=message_id, count=len(open_)
    )


def _save_to_imap(
    store: Store,
    config: Config,
    message: EmailMessage,
    message_id: str,
    keys: list[str],
    day: date,
    now: datetime,
    count: int,
    replacing: str | None,
) -> DeliveryResult:
    """For users without SMTP: APPEND the digest to a folder of one of their IMAP
    accounts. Recorded first, like the SMTP path; the append looks for the day's
    Message-ID in the folder first, so a retry after an unclear failure (or after a
    dead run) never saves a second copy."""
    from connectors.base import Appending
    from followup.sync import open_mail_source

    settings = config.digest
    # The config checked that this names an IMAP account.
    account = next(m for m in config.mail if m.name == settings.imap_account)
    try:
        ledger.record_digest(store, day, settings.to, message_id, keys, now, replacing=replacing)
    except ledger.AlreadySentError:
        return DeliveryResult(False, "already sent today", day=day, to=settings.to)
    try:
        source = open_mail_source(account)
        try:
            if not isinstance(source, Appending):
                # The config allows IMAP accounts only, and IMAP appends: a bug if here.
                raise ConnectorError(account.name, f"a {account.kind} source cannot save mail")
            source.append(settings.imap_folder, bytes(message), when=now, message_id=message_id)
        finally:
            source.close()
    except ConnectorError as e:
        ledger.mark_digest(store, message_id, "failed", now)
        logger.error("%s", e)
        return DeliveryResult(False, "failed", day=day, to=settings.to, error=str(e))
    ledger.mark_digest(store, message_id, "sent", now)
    logger.info("Digest for %s saved to %s/%s", day, account.name, settings.imap_folder)
    return DeliveryResult(
        True,
        "saved",
        day=day,
        to=f"{account.name}/{settings.imap_folder}",
        message_id=message_id,
        count=count,
    )
