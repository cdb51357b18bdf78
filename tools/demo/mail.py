"""Building blocks of the demo mailbox: people, threads, MIME rendering and the maildir.

Everything here is deterministic: no clock, no random boundaries, no host names.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy, utils
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from tools.demo.clock import UTC


@dataclass(frozen=True)
class Person:
    """A correspondent. ``style`` decides how their client quotes and signs:
    gmail ("On ... wrote:" + "> "), outlook ("-----Original Message-----"),
    apple ("Sent from my iPhone"), html (HTML-only, no quote)."""

    name: str
    email: str
    tz: str = "America/Chicago"
    title: str = ""
    org: str = ""
    phone: str = ""
    style: str = "gmail"
    signoff: str = "Best"
    disclaimer: str = ""

    @property
    def first(self) -> str:
        return self.name.split()[0]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[1]

    def address(self) -> Address:
        local, domain = self.email.rsplit("@", 1)
        return Address(display_name=self.name, username=local, domain=domain)

    def signature(self) -> str:
        if self.style == "apple":
            return f"{self.first}\n\nSent from my iPhone"
        lines = [self.name]
        if self.title or self.org:
            sep = " | " if self.style == "outlook" else ", "
            lines.append(sep.join(x for x in (self.title, self.org) if x))
        if self.phone:
            lines.append(("T: " if self.style == "outlook" else "") + self.phone)
        if self.style == "outlook":
            sig = f"{self.signoff} regards,\n" + "\n".join(lines)
            if self.disclaimer:
                sig += "\n\n" + self.disclaimer
            return sig
        return f"{self.signoff},\n{self.first}\n\n-- \n" + "\n".join(lines)


@dataclass
class Mail:
    """One message before rendering. ``text`` is what the writer typed (no quote, no
    signature); ``body`` is the full plain text as sent."""

    seq: int
    sender: Person
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    date: datetime
    subject: str
    text: str
    body: str
    msg_id: str
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    html: str | None = None
    html_only: bool = False
    charset: str = "utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    folder: str | None = None  # None: decided by date/sender when writing
    raw: bytes | None = None  # set for messages built by hand (bounce)
    to_raw: str | None = None  # a To header written as is (e.g. undisclosed-recipients)


def outlook_date(dt: datetime) -> str:
    """'Friday, February 27, 2026 10:12 AM' as Outlook writes it in quoted headers."""
    hour = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    return f"{dt:%A}, {dt:%B} {dt.day}, {dt.year} {hour}:{dt:%M} {ampm}"


def gmail_date(dt: datetime) -> str:
    """'Mon, Mar 9, 2026 at 10:15 AM' as Gmail writes it in its attribution line."""
    hour = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    return f"{dt:%a}, {dt:%b} {dt.day}, {dt.year} at {hour}:{dt:%M} {ampm}"


def quote_gmail(prev: Mail, reader_tz: ZoneInfo) -> str:
    when = gmail_date(prev.date.astimezone(reader_tz))
    lines = [f"> {ln}" if ln else ">" for ln in prev.body.splitlines()]
    return f"On {when} {prev.sender.name} <{prev.sender.email}> wrote:\n" + "\n".join(lines)


def quote_outlook(prev: Mail, reader_tz: ZoneInfo) -> str:
    to = "; ".join(f"{p.name} <{p.email}>" for p in prev.to)
    head = [
        "-----Original Message-----",
        f"From: {prev.sender.name} <{prev.sender.email}>",
        f"Sent: {outlook_date(prev.date.astimezone(reader_tz))}",
        f"To: {to}",
    ]
    if prev.cc:
        head.append("Cc: " + "; ".join(f"{p.name} <{p.email}>" for p in prev.cc))
    head.append(f"Subject: {prev.subject}")
    return "\n".join(head) + "\n\n" + prev.body


def text_to_html(text: str) -> str:
    """A plain HTML rendering of typed text: one <p> per paragraph, <br> per line."""
    from html import escape

    paras = [p for p in text.split("\n\n") if p.strip()]
    inner = "\n".join(
        "<p>" + "<br>\n".join(escape(ln) for ln in p.split("\n")) + "</p>" for p in paras
    )
    return (
        '<html><head><meta charset="utf-8"></head>\n'
        f'<body><div style="font-family: Arial, sans-serif; font-size: 14px">\n{inner}\n'
        "</div></body></html>\n"
    )


class MailBox:
    """Collects every message of the demo in creation order; assigns Message-IDs."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    def _msg_id(self, sender: Person, when: datetime) -> str:
        stamp = when.astimezone(UTC).strftime("%Y%m%d%H%M%S")
        return f"<{stamp}.{len(self.mails) + 1:04d}.demo@mail.{sender.domain}>"

    def add(self, mail: Mail) -> Mail:
        self.mails.append(mail)
        return mail

    def new(
        self,
        sender: Person,
        to: Sequence[Person],
        when: datetime,
        subject: str,
        text: str,
        *,
        cc: Sequence[Person] = (),
        sign: bool = True,
        html: str | None = None,
        html_only: bool | None = None,
        charset: str = "utf-8",
        headers: Iterable[tuple[str, str]] = (),
        attachments: Iterable[tuple[str, str, bytes]] = (),
        folder: str | None = None,
        in_reply_to: str | None = None,
        references: Sequence[str] = (),
        quote: str = "",
    ) -> Mail:
        body = text
        if sign:
            body = body.rstrip("\n") + "\n\n" + sender.signature()
        if quote:
            body = body.rstrip("\n") + "\n\n" + quote
        body = body.rstrip("\n") + "\n"
        if html_only is None:
            html_only = sender.style == "html"
        if html_only and html is None:
            html = text_to_html(body)
        return self.add(
            Mail(
                seq=len(self.mails) + 1,
                sender=sender,
                to=tuple(to),
                cc=tuple(cc),
                date=when,
                subject=subject,
                text=text,
                body=body,
                msg_id=self._msg_id(sender, when),
                in_reply_to=in_reply_to,
                references=tuple(references),
                html=html,
                html_only=html_only,
                charset=charset,
                headers=tuple(headers),
                attachments=tuple(attachments),
                folder=folder,
            )
        )


@dataclass
class Thread:
    """A conversation: ``post`` starts it, ``reply`` answers the last message.

    ``no_refs`` on a reply imitates Outlook clients that drop In-Reply-To/References
    and only keep "RE:" and the quoted original.
    """

    box: MailBox
    subject: str
    mails: list[Mail] = field(default_factory=list)

    def post(
        self, sender: Person, to: Sequence[Person], when: datetime, text: str, **kw: object
    ) -> Mail:
        mail = self.box.new(sender, to, when, self.subject, text, **kw)  # type: ignore[arg-type]
        self.mails.append(mail)
        return mail

    def reply(
        self,
        sender: Person,
        when: datetime,
        text: str,
        *,
        to: Sequence[Person] | None = None,
        cc: Sequence[Person] = (),
        no_refs: bool = False,
        style: str | None = None,
        **kw: object,
    ) -> Mail:
        prev = self.mails[-1]
        if when <= prev.date:
            raise ValueError(f"reply before the message it answers: {self.subject!r} {when}")
        style = style or sender.style
        recipients = tuple(to) if to is not None else (prev.sender,)
        if style == "outlook":
            subject = "RE: " + self.subject
            quote = quote_outlook(prev, sender.zone)
        else:
            subject = "Re: " + self.subject
            quote = "" if style == "html" else quote_gmail(prev, sender.zone)
        refs = () if no_refs else (*prev.references, prev.msg_id)
        mail = self.box.new(
            sender,
            recipients,
            when,
            subject,
            text,
            cc=cc,
            quote=quote,
            in_reply_to=None if no_refs else prev.msg_id,
            references=refs,
            html_only=style == "html",
            **kw,  # type: ignore[arg-type]
        )
        self.mails.append(mail)
        return mail


# --- rendering -------------------------------------------------------------------------


def render(mail: Mail, me_emails: frozenset[str]) -> bytes:
    """The message as bytes (LF line ends, fixed MIME boundaries)."""
    if mail.raw is not None:
        return mail.raw
    msg = EmailMessage()
    if mail.sender.email not in me_emails:
        msg["Return-Path"] = f"<{mail.sender.email}>"
    msg["From"] = mail.sender.address()
    if mail.to_raw is not None:
        msg["To"] = mail.to_raw
    else:
        msg["To"] = [p.address() for p in mail.to]
    if mail.cc:
        msg["Cc"] = [p.address() for p in mail.cc]
    msg["Subject"] = mail.subject
    msg["Date"] = utils.format_datetime(mail.date.astimezone(mail.sender.zone))
    msg["Message-ID"] = mail.msg_id
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        msg["References"] = " ".join(mail.references)
    for name, value in mail.headers:
        msg[name] = value
    if mail.html_only:
        assert mail.html is not None
        msg.set_content(mail.html, subtype="html", charset=mail.charset)
    else:
        msg.set_content(mail.body, charset=mail.charset)
        if mail.html is not None:
            msg.add_alternative(mail.html, subtype="html")
    for filename, ctype, data in mail.attachments:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    # The stdlib draws multipart boundaries at random; fix them so output is stable.
    for n, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_demo_{mail.seq:04d}_{n}")
    return msg.as_bytes(policy=policy.default)


def write_maildir(
    root: Path,
    mails: Sequence[Mail],
    me_emails: frozenset[str],
    archive_before: datetime,
    unread_since: datetime,
) -> dict[str, int]:
    """Write a maildir++ tree: INBOX at ``root``, ``.Sent`` and ``.Archive`` below.

    File names carry no ":2,S" info suffix: colons are not portable (Windows, zip) and
    Maildir readers accept names without it. Each folder gets at least one message in
    both ``cur/`` and ``new/`` because git cannot store an empty directory, and a
    placeholder file there would be read as a message by stdlib ``mailbox.Maildir``.
    ``tmp/`` holds a ``.keep`` file (readers never list tmp/).
    """
    if root.exists():
        shutil.rmtree(root)
    counts: dict[str, int] = {}
    placed: dict[str, list[tuple[Mail, bytes]]] = {"": [], "Sent": [], "Archive": []}
    for mail in sorted(mails, key=lambda m: (m.date, m.seq)):
        folder = mail.folder
        if folder is None:
            if mail.sender.email in me_emails:
                folder = "Sent"
            elif mail.date < archive_before:
                folder = "Archive"
            else:
                folder = ""
        placed[folder].append((mail, render(mail, me_emails)))
    for folder, items in placed.items():
        base = root / f".{folder}" if folder else root
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        (base / "tmp" / ".keep").write_bytes(b"")
        if folder:
            (base / "maildirfolder").write_bytes(b"")  # maildir++ marks its subfolders so
        for i, (mail, data) in enumerate(items):
            # Unread: recent INBOX mail; elsewhere only the newest message sits in new/
            # (a server-side filter delivered it), so that new/ exists in git.
            unread = mail.date >= unread_since if folder == "" else i == len(items) - 1
            epoch = int(mail.date.timestamp())
            name = f"{epoch}.M{mail.seq:04d}P1000Q1.demo"
            (base / ("new" if unread else "cur") / name).write_bytes(data)
        counts[folder or "INBOX"] = len(items)
    return counts
