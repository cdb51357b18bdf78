"""The digest email: building the message and sending it by SMTP.

Nothing taken from mail ever reaches a header except through the Subject, which is
built by us and cleaned (``clean_line``: no CR/LF or control characters); every header
is then written by ``email.policy.SMTP``, which refuses line breaks in header values.
Names, subjects and sentences from hostile mail only appear in the bodies, HTML-escaped
in the HTML part.
"""

from __future__ import annotations

import dataclasses
import email.policy
import ipaddress
import logging
import re
import secrets
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Protocol
from zoneinfo import ZoneInfo

from followup.digest.items import build_view, clean_line, is_plain_address
from followup.digest.render import render_view
from followup.errors import FollowupError, UserError

logger = logging.getLogger(__name__)

DIGEST_HEADER = "X-Followup-Digest"
DEFAULT_SUBJECT = "followup: {count} things for {date}"


class DeliveryError(FollowupError):
    """The digest could not be sent.

    ``retryable``: network trouble or a temporary (4xx) refusal. ``answered``: the server
    replied with a refusal, so the message was certainly not accepted; when False the
    connection failed and, past the final ".", the message may have been delivered.
    """

    def __init__(self, message: str, *, retryable: bool = False, answered: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.answered = answered


class SmtpSettingsLike(Protocol):
    """What ``send_smtp`` reads from ``followup.config.SmtpSettings``."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def security(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def allow_insecure(self) -> bool: ...
    @property
    def timeout(self) -> float: ...


def parse_address(value: str, key: str) -> Address:
    """``"Penny <penny@example.com>"`` or a bare address -> Address; UserError if not one."""
    if any(c in value for c in "\r\n\0"):
        raise UserError(f"{key}: line breaks are not allowed in an address")
    found = getaddresses([value])
    name, addr = found[0] if len(found) == 1 else ("", "")
    if not is_plain_address(addr) or "," in value:
        raise UserError(f"{key}: {value!r} is not an email address, e.g. penny@example.com")
    local, _, domain = addr.partition("@")
    return Address(display_name=clean_line(name, 80), username=local, domain=domain)


def make_subject(template: str | None, *, count: int, date: str, summary: str) -> str:
    """Fill ``{count}``, ``{date}`` and ``{summary}`` and return one clean header line.

    Plain replacement rather than ``str.format``: a user's subject may contain braces.
    """
    subject = template or DEFAULT_SUBJECT
    for name, value in (("{count}", str(count)), ("{date}", date), ("{summary}", summary)):
        subject = subject.replace(name, value)
    return clean_line(subject, 150) or "followup digest"


def build_message(
    nudges: Sequence[object],
    now: datetime,
    tz: ZoneInfo,
    *,
    sender: str,
    to: str,
    subject: str | None = None,
    max_items: int | None = None,
    message_id: str | None = None,
    notes: Sequence[str] = (),
    footer: Sequence[str] = (),
    caps: Mapping[str, int] | None = None,
    min_score: float = 0.0,
) -> EmailMessage:
    """The digest as a multipart/alternative message (plain text + HTML).

    ``nudges`` are ``OpenNudge`` objects; ``subject`` is a template (``{count}``,
    ``{date}``, ``{summary}``). Headers: From, To, Subject, Date (``now`` in the user's
    zone), a fresh Message-ID on the sender's domain, ``X-Followup-Digest: YYYY-MM-DD``
    (the user's local day) and ``Auto-Submitted: auto-generated`` (RFC 3834) so that
    vacation responders stay quiet and followup's own filter never nudges about it.
    ``message_id`` (bare or in angle brackets) is given when the day's digest is sent
    again: the same Message-ID lets mail clients fold the copies.
    """
    view = build_view(
        nudges,  # type: ignore[arg-type]
        now,
        tz,
        max_items=max_items,
        caps=caps,
        min_score=min_score,
    )
    view = dataclasses.replace(
        view,
        notes=tuple(clean_line(n, 300) for n in notes),
        footer=tuple(clean_line(n, 300) for n in footer),
    )
    from_addr = parse_address(sender, "digest.from")
    to_addr = parse_address(to, "digest.to")
    local_now = now.astimezone(tz)

    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = make_subject(
        subject, count=view.total, date=view.short_day, summary=view.summary
    )
    msg["Date"] = format_datetime(local_now)
    # Short enough not to be folded; random, so a reply's In-Reply-To cannot be guessed.
    fresh = f"digest.{local_now:%Y%m%d}.{secrets.token_hex(10)}@{from_addr.domain}"
    msg["Message-ID"] = f"<{''.join((message_id or fresh).split()).strip('<>')}>"
    msg[DIGEST_HEADER] = local_now.date().isoformat()
    msg["Auto-Submitted"] = "auto-generated"
    plain = re.sub(r"\n{3,}", "\n\n", render_view(view, "digest.txt")).strip() + "\n"
    # Quoted-printable keeps long lines (mailto: links) intact through any relay.
    msg.set_content(plain, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(
        render_view(view, "digest.html"), subtype="html", charset="utf-8", cte="quoted-printable"
    )
    return msg


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def send_smtp(
    message: EmailMessage,
    settings: SmtpSettingsLike,
    *,
    password: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    before_commit: Callable[[], None] | None = None,
) -> None:
    """Send ``message`` by SMTP with ``settings`` (``[digest.smtp]``).

    ``security``: "ssl" (implicit TLS), "starttls" (refused if the server does not offer
    it), or "none", which is only allowed to a loopback host with ``allow_insecure``.
    Certificates are verified (``ssl_context`` overrides the system trust store).

    ``before_commit`` runs once the server has taken the whole message but before the
    final "." that commits the SMTP transaction (RFC 5321 §4.1.1.4). The caller records
    the digest there: if recording fails, the connection is dropped without the "." and
    the server discards the message, so a crash can neither send twice nor skip a day.

    Raises ``DeliveryError`` (one clear line) or ``UserError`` for settings that cannot work.
    """
    host, port, security = settings.host, settings.port, settings.security
    where = f"{host}:{port}"
    if security not in ("ssl", "starttls", "none"):
        raise UserError(
            f'digest.smtp.security must be "ssl", "starttls" or "none", not {security!r}'
        )
    if security == "none" and not (settings.allow_insecure and is_loopback(host)):
        raise UserError(
            f'digest.smtp.security = "none" sends in clear text; it is only allowed to a '
            f'loopback host with allow_insecure = true, not {host!r}: use "ssl" or "starttls"'
        )
    if settings.username and password is None:
        raise UserError(
            f"No password for [digest.smtp] user {settings.username!r}: "
            "set password_command, password_env or password_keyring"
        )
    context = ssl_context or ssl.create_default_context()
    client: smtplib.SMTP | None = None
    try:
        if security == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=settings.timeout)
        client.ehlo()
        if security == "starttls":
            if not client.has_extn("starttls"):
                raise DeliveryError(
                    f"Could not send the digest: {where} does not offer STARTTLS; "
                    'use security = "ssl" or another server'
                )
            client.starttls(context=context)
            client.ehlo()
        if settings.username:
            assert password is not None
            client.login(settings.username, password)
        _transmit(client, message, before_commit)
        logger.info("Digest %s sent via %s", message["Message-ID"], where)
    except smtplib.SMTPAuthenticationError as e:
        raise DeliveryError(
            f"Could not send the digest: {where} refused the login for {settings.username!r} "
            f"({e.smtp_code} {_text(e.smtp_error)}); check username and the password "
            "in [digest.smtp]"
        ) from e
    except smtplib.SMTPRecipientsRefused as e:
        refused = ", ".join(f"{a} ({c} {_text(m)})" for a, (c, m) in e.recipients.items())
        raise DeliveryError(f"Could not send the digest: {where} refused {refused}") from e
    except smtplib.SMTPResponseException as e:
        raise DeliveryError(
            f"Could not send the digest: {where} answered {e.smtp_code} {_text(e.smtp_error)}",
            retryable=400 <= e.smtp_code < 500,
        ) from e
    except ssl.SSLCertVerificationError as e:
        raise DeliveryError(
            f"Could not send the digest: the certificate of {where} could not be verified "
            f"({e.verify_message}); check digest.smtp.host",
            answered=False,
        ) from e
    except (OSError, smtplib.SMTPException) as e:
        detail = str(e) or e.__class__.__name__
        raise DeliveryError(
            f"Could not send the digest via {where}: {detail}", retryable=True, answered=False
        ) from e
    finally:
        if client is not None:
            _close(client)


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return clean_line(text, 200)


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _transmit(
    client: smtplib.SMTP, message: EmailMessage, before_commit: Callable[[], None] | None
) -> None:
    """MAIL, RCPT, DATA like ``smtplib.send_message``, with a hook before the final dot."""
    sender = message["From"].addresses[0].addr_spec
    recipients = [a.addr_spec for a in message["To"].addresses]
    data = message.as_bytes(policy=email.policy.SMTP)
    code, resp = client.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, resp, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for rcpt in recipients:
        code, resp = client.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, resp)
    if refused:
        client.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, resp = client.docmd("DATA")
    if code != 354:
        raise smtplib.SMTPDataError(code, resp)
    # Dot-stuffing (RFC 5321 §4.5.2): a line starting with "." gets another one.
    body = re.sub(rb"(?m)^\.", b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    try:
        client.send(body)
        if before_commit is not None:
            before_commit()
        client.send(b".\r\n")
        code, resp = client.getreply()
    except BaseException:
        # Inside DATA no command (not even QUIT) can be sent: dropping the connection
        # without the final "." makes the server discard the message.
        client.close()
        raise
    if code != 250:
        raise smtplib.SMTPDataError(code, resp)
