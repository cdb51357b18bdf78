"""IMAP mail source: read-only, incremental, batched (imapclient).

Per folder the source keeps a checkpoint ``{"uidvalidity", "last_uid", "highestmodseq",
"messages"}`` (JSON). A run first asks ``STATUS (MESSAGES UIDVALIDITY UIDNEXT
HIGHESTMODSEQ)``: an unchanged folder costs that one round trip. Otherwise it
``EXAMINE``\\s the folder (read-only select), searches the UIDs above
``last_uid`` (and ``SINCE`` the configured date), and fetches them in batches of explicit
UIDs:

1. header fields + BODYSTRUCTURE + RFC822.SIZE (+ Gmail thread id and labels), sent
   before the previous batch is parsed and stored, so the server works meanwhile;
2. only the first few KB of the chosen text part (``BODY.PEEK[1.1]<0.4096>``);
3. rarely, INTERNALDATE (no Date header) or the body start (no Message-ID),

so attachments are never downloaded (see ``imap_fetch``). Every fetch uses
``BODY.PEEK``; nothing sets a flag, and no command that changes the mailbox is sent.
Each batch carries the folder's new checkpoint, so the caller commits records and
checkpoint together and a killed run resumes after the last committed batch. A changed
UIDVALIDITY re-reads the folder (first batch marked ``uidvalidity_changed``); the store
dedupes by Message-ID.

Deletions are mirrored without QRESYNC (imapclient cannot ``SELECT ... (QRESYNC ...)``):
when the folder holds fewer messages than the last sync left plus the new ones, one
``UID SEARCH ALL`` lists it, and the folder's last batch carries that listing so the store
drops what is no longer there. Only a count that does not add up costs the listing.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import imapclient
from imapclient import imap_utf7
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError

from connectors.errors import AuthError, ConnectorError, SourceConfigError
from connectors.fileconfig import since_date
from connectors.folders import guess_role
from connectors.gmail_ids import thread_hex
from connectors.imap_auth import NO_ANSWER, login_drop
from connectors.imap_fetch import Fetched, PendingFetch, fetch_batch, fetch_extras, start_fetch
from connectors.imap_parts import TextPart
from connectors.mime import (
    ParsedHeaders,
    build_record,
    invitation_of,
    parse_headers,
    text_excerpt,
)
from connectors.oauth_client import AUTH_KEYS, OAuthSettings, guess_provider, oauth_settings
from connectors.records import FolderListing, FolderRole, MailBatch, MailRecord, Skipped
from connectors.secrets import PasswordSpec, password_spec_from_options, resolve_password

logger = logging.getLogger(__name__)

SECURITY_MODES = ("ssl", "starttls", "none")
AUTH_MODES = ("password", "xoauth2")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
DEFAULT_BATCH_SIZE = 500
DEFAULT_TIMEOUT = 60.0
EXCERPT_CHARS = 4096
# Gmail's web client opens a thread by its id in hex (X-GM-THRID is that number).
GMAIL_THREAD_LINK = "https://mail.google.com/mail/#all/"
# Tried in order when no folder carries the SPECIAL-USE \Sent flag (RFC 6154).
SENT_FALLBACK_NAMES = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "[Gmail]/Sent Mail",
    "[Google Mail]/Sent Mail",
    "INBOX.Sent",
    "INBOX/Sent",
    "INBOX.Sent Items",
    "INBOX.Sent Messages",
)

ClientFactory = Callable[..., imapclient.IMAPClient]


# ------------------------------------------------------------------------ checkpoints


@dataclass(frozen=True, slots=True)
class FolderCheckpoint:
    """Where a folder's sync stands: every UID <= ``last_uid`` has been read.

    ``messages`` is how many messages the folder held, all of them accounted for (the
    store mirrors their deletions up to then); None mid-folder or in a checkpoint older
    than deletion mirroring, which makes the next sync list the folder once.
    """

    uidvalidity: int
    last_uid: int
    highestmodseq: int | None = None
    messages: int | None = None

    def dumps(self) -> str:
        return json.dumps(
            {
                "uidvalidity": self.uidvalidity,
                "last_uid": self.last_uid,
                "highestmodseq": self.highestmodseq,
                "messages": self.messages,
            },
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, value: str | None) -> FolderCheckpoint | None:
        """Parse a checkpoint; None (read from the start) if empty or not ours."""
        if not value:
            return None
        try:
            data = json.loads(value)
            modseq = data.get("highestmodseq")
            messages = data.get("messages")
            return cls(
                uidvalidity=int(data["uidvalidity"]),
                last_uid=int(data["last_uid"]),
                highestmodseq=int(modseq) if modseq is not None else None,
                messages=int(messages) if messages is not None else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            logger.warning("Ignoring an unreadable IMAP checkpoint %r; rereading", value[:80])
            return None


# ---------------------------------------------------------------------------- settings


@dataclass(frozen=True, slots=True)
class ImapSettings:
    host: str
    username: str
    port: int = 993
    security: str = "ssl"
    allow_insecure: bool = False
    password: PasswordSpec = field(default_factory=PasswordSpec)
    auth: str = "password"
    oauth_token_file: Path | None = None
    oauth: OAuthSettings | None = None
    folders: tuple[str, ...] = ("INBOX",)
    sent: tuple[str, ...] = ()
    since: date | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    ca_file: Path | None = None
    timeout: float = DEFAULT_TIMEOUT


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _str_list(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return None


def settings_from_options(name: str, options: Mapping[str, Any]) -> ImapSettings:
    """Validate an ``[[mail]]`` table; ``SourceConfigError`` with one line per problem."""
    problems: list[str] = []
    unknown = sorted(set(options) - ImapMailSource.KEYS)
    if unknown:
        known = ", ".join(sorted(ImapMailSource.KEYS))
        problems.append(f"unknown option(s) {', '.join(unknown)}; known: {known}")
    host = options.get("host")
    if not isinstance(host, str) or not host:
        problems.append('host is required (e.g. host = "imap.example.com")')
        host = ""
    username = options.get("username")
    if not isinstance(username, str) or not username:
        problems.append("username is required")
        username = ""
    security = options.get("security", "ssl")
    if security not in SECURITY_MODES:
        problems.append(f"security must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        security = "ssl"
    allow_insecure = options.get("allow_insecure", False)
    if not isinstance(allow_insecure, bool):
        problems.append("allow_insecure must be true or false")
        allow_insecure = False
    if security == "none":
        if not allow_insecure:
            problems.append(
                'security = "none" sends the password in clear text: use "ssl" or '
                '"starttls", or set allow_insecure = true (loopback hosts only)'
            )
        elif host and not _is_loopback(host):
            problems.append(
                f'security = "none" is only allowed to a loopback host, not {host}: '
                'use "ssl" or "starttls"'
            )
    port = options.get("port", DEFAULT_PORTS[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        problems.append(f"port must be a number between 1 and 65535, not {port!r}")
        port = DEFAULT_PORTS[security]
    auth = options.get("auth", "password")
    if auth not in AUTH_MODES:
        problems.append(f"auth must be one of {', '.join(AUTH_MODES)}, not {auth!r}")
        auth = "password"
    password = PasswordSpec()
    try:
        password = password_spec_from_options(name, options)
    except SourceConfigError as e:
        problems.extend(e.message.splitlines())
    oauth = oauth_settings(
        {**options, "auth": auth}, problems, provider=guess_provider(host), login_hint=username
    )
    token_file = oauth.token_file if oauth is not None else None
    if oauth is None and not password.configured:
        problems.append(
            'no password source: set password_command (e.g. "pass show mail/work"), '
            "password_env or password_keyring"
        )
    folders = _str_list(options.get("folders", ["INBOX"]))
    if folders is None:
        problems.append('folders must be a list of folder names, e.g. ["INBOX", "Archive"]')
        folders = ("INBOX",)
    sent = _str_list(options.get("sent", []) or [])
    if sent is None:
        problems.append('sent must be a list of folder names, e.g. ["Sent Items"]')
        sent = ()
    since: date | None = None
    if options.get("since") is not None:
        try:
            since = since_date(options["since"])
        except ValueError:
            problems.append(f"since must be a date like 2024-01-01, not {options['since']!r}")
    batch_size = options.get("batch_size", DEFAULT_BATCH_SIZE)
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        problems.append(f"batch_size must be a positive number, not {batch_size!r}")
        batch_size = DEFAULT_BATCH_SIZE
    ca_file: Path | None = None
    if options.get("ca_file") is not None:
        ca_file = Path(str(options["ca_file"])).expanduser()
        if not ca_file.is_file():
            problems.append(f"ca_file {ca_file} does not exist")
    timeout = options.get("timeout", DEFAULT_TIMEOUT)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        problems.append(f"timeout must be a positive number of seconds, not {timeout!r}")
        timeout = DEFAULT_TIMEOUT
    if problems:
        raise SourceConfigError(name, "\n".join(problems))
    return ImapSettings(
        host=host,
        username=username,
        port=port,
        security=security,
        allow_insecure=allow_insecure,
        password=password,
        auth=auth,
        oauth_token_file=token_file,
        oauth=oauth,
        folders=folders,
        sent=sent,
        since=since,
        batch_size=batch_size,
        ca_file=ca_file,
        timeout=float(timeout),
    )


# ----------------------------------------------------------------------------- folders


@dataclass(frozen=True, slots=True)
class FolderPlan:
    name: str
    role: FolderRole


def _flags(entry_flags: Sequence[Any]) -> set[str]:
    return {(f.decode() if isinstance(f, bytes) else str(f)).lower() for f in entry_flags}


def _role_for(name: str, flags: set[str]) -> FolderRole:
    """A folder's role: its SPECIAL-USE flag when it has one, else a guess by name."""
    if name.upper() == "INBOX":
        return "inbox"
    if "\\sent" in flags:
        return "sent"
    if "\\all" in flags or "\\archive" in flags:
        return "archive"
    if flags & {"\\trash", "\\junk", "\\drafts"}:
        return "other"
    return guess_role(name)


def find_sent_folder(listing: Sequence[tuple[Any, Any, str]]) -> str | None:
    """The folder flagged \\Sent (RFC 6154), else the first of the usual names present,
    else any folder whose name says sent ("INBOX.Gesendet", "Archive/Sent Items")."""
    selectable = [
        (_flags(entry_flags), name)
        for entry_flags, _delim, name in listing
        if "\\noselect" not in _flags(entry_flags)
    ]
    for flags, name in selectable:
        if "\\sent" in flags:
            return name
    by_lower = {name.lower(): name for _, name in selectable}
    for candidate in SENT_FALLBACK_NAMES:
        found = by_lower.get(candidate.lower())
        if found is not None:
            return found
    guessed = sorted(name for flags, name in selectable if _role_for(name, flags) == "sent")
    return guessed[0] if guessed else None


# ------------------------------------------------------------------------------ source


class ImapMailSource:
    """An IMAP account as a ``MailSource``. See the module docstring for the protocol use.

    ``client_factory`` builds the connection (``imapclient.IMAPClient``'s signature);
    tests pass a subclass to count commands.
    """

    kind: ClassVar[str] = "imap"
    KEYS: ClassVar[frozenset[str]] = frozenset(
        {
            "host",
            "port",
            "security",
            "allow_insecure",
            "username",
            "password_command",
            "password_env",
            "password_keyring",
            "folders",
            "sent",
            "since",
            "batch_size",
            "ca_file",
            "timeout",
            *AUTH_KEYS,
        }
    )

    def __init__(
        self,
        name: str,
        settings: ImapSettings,
        *,
        client_factory: ClientFactory | None = None,
        excerpt_chars: int = EXCERPT_CHARS,
    ) -> None:
        self.name = name
        self.settings = settings
        self.excerpt_chars = excerpt_chars
        self._client_factory: ClientFactory = client_factory or imapclient.IMAPClient
        self._client: imapclient.IMAPClient | None = None
        self._password: str | None = None
        self._closed = False

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> ImapMailSource:
        return cls(name, settings_from_options(name, options))

    @property
    def since(self) -> date | None:
        return self.settings.since

    def oauth(self) -> OAuthSettings | None:
        """The XOAUTH2 token settings (``auth = "xoauth2"``), else None."""
        return self.settings.oauth

    def __repr__(self) -> str:
        s = self.settings
        return f"ImapMailSource({self.name!r}, {s.username}@{s.host}:{s.port}, {s.security})"

    # -- connection -------------------------------------------------------------------

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH)
        if self.settings.ca_file is not None:
            context.load_verify_locations(cafile=str(self.settings.ca_file))
        return context

    def _connect(self) -> imapclient.IMAPClient:
        """Connect, secure and log in; errors become ``ConnectorError``s naming the fix."""
        s = self.settings
        # Before connecting: a failing password_command or token file is no network error.
        secret = self._secret()
        context = self._ssl_context() if s.security != "none" else None
        timeout = imapclient.SocketTimeout(connect=min(s.timeout, 30.0), read=s.timeout)
        try:
            client = self._client_factory(
                s.host,
                port=s.port,
                ssl=s.security == "ssl",
                ssl_context=context,
                timeout=timeout,
            )
        except Exception as e:
            raise self._wrap(e, "connecting") from e
        try:
            if s.security == "starttls":
                client.starttls(context)
            self._login(client, secret)
        except Exception as e:
            _shutdown(client)
            raise self._wrap(e, "logging in") from e
        # Aware datetimes from INTERNALDATE (imapclient's default is naive local time).
        client.normalise_times = False
        return client

    def _secret(self) -> str:
        """The password (resolved once per source) or a fresh OAuth2 access token."""
        s = self.settings
        if s.auth == "xoauth2":
            assert s.oauth_token_file is not None
            return (s.oauth or OAuthSettings(s.oauth_token_file)).access_token(self.name)
        if self._password is None:
            self._password = resolve_password(self.name, s.password, s.username)
        return self._password

    def _login(self, client: imapclient.IMAPClient, secret: str) -> None:
        if self.settings.auth == "xoauth2":
            client.oauth2_login(self.settings.username, secret)
        else:
            client.login(self.settings.username, secret)

    def _wrap(self, error: BaseException, doing: str) -> ConnectorError:
        """One clear, actionable error for anything the network or the server threw."""
        if isinstance(error, ConnectorError):
            return error
        s, where = self.settings, self._where()
        # A login cut off by the network is no verdict on the credentials (issue 10).
        dropped = login_drop(error, s.timeout) if doing == "logging in" else None
        if dropped is not None:
            slow = " (or raise timeout)" if dropped.startswith(NO_ANSWER) else ""
            return ConnectorError(
                self.name,
                f"the connection to {where} dropped during login ({dropped}): "
                f"try again later{slow}",
                retryable=True,
            )
        if isinstance(error, LoginError):
            how = "the OAuth2 token" if s.auth == "xoauth2" else "the password"
            return AuthError(
                self.name,
                f"{s.host} refused the login for {s.username}: check the username and "
                f"{how} ({_password_hint(s)})",
            )
        if isinstance(error, CapabilityError) and "STARTTLS" in str(error).upper():
            return ConnectorError(
                self.name,
                f'{where} does not offer STARTTLS: use security = "ssl" (port 993)',
            )
        if isinstance(error, ssl.SSLCertVerificationError):
            return ConnectorError(
                self.name,
                f"the TLS certificate of {s.host} is not trusted ({error.verify_message}): "
                "if the server uses a private CA, set ca_file to its certificate",
            )
        if isinstance(error, ssl.SSLError) and doing in ("connecting", "logging in"):
            return ConnectorError(
                self.name,
                f"TLS with {where} failed ({error.reason or error}): check security "
                '("ssl" for port 993, "starttls" for 143)',
            )
        if isinstance(error, socket.gaierror):
            return ConnectorError(
                self.name,
                f"cannot resolve {s.host} ({error.strerror}): check host, or the network",
                retryable=True,
            )
        if isinstance(error, ConnectionRefusedError):
            return ConnectorError(
                self.name,
                f"{where} refused the connection: check host and port, or try again later",
                retryable=True,
            )
        if isinstance(error, TimeoutError):
            return ConnectorError(
                self.name,
                f"{where} did not answer within {s.timeout:g} s while {doing}: "
                "try again later (or raise timeout)",
                retryable=True,
            )
        if isinstance(error, (IMAPClientAbortError, OSError, EOFError)):
            # Not str(error): imaplib quotes the line it was cut in, which can be mail.
            why = login_drop(error, s.timeout) or type(error).__name__
            return ConnectorError(
                self.name,
                f"the connection to {where} dropped while {doing} ({why}): try again; "
                "the next run resumes after the last saved batch",
                retryable=True,
            )
        if isinstance(error, IMAPClientError):
            return ConnectorError(self.name, f"{s.host} answered an error while {doing}: {error}")
        return ConnectorError(self.name, f"unexpected error while {doing}: {error!r}")

    def close(self) -> None:
        """Log out of a sync still running; a later sync raises."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            _logout(client)

    # -- folders ----------------------------------------------------------------------

    def _plan(self, client: imapclient.IMAPClient) -> tuple[list[FolderPlan], list[str], Any]:
        """The folders to sync with their roles, the configured ones that are missing,
        and the LIST result. One LIST round trip for the whole account."""
        listing = client.list_folders()
        names = {name: _flags(flags) for flags, _delim, name in listing}
        lower = {name.lower(): name for name in names}

        def lookup(wanted: str) -> str | None:
            if wanted in names:
                return wanted
            # INBOX is case-insensitive (RFC 3501 §5.1); other names usually are too
            # in practice for a user typing them into a config.
            return lower.get(wanted.lower())

        plans: list[FolderPlan] = []
        missing: list[str] = []
        seen: set[str] = set()
        sent_names = list(self.settings.sent)
        if not sent_names:
            found = find_sent_folder(listing)
            if found is None:
                logger.warning(
                    "%s: no Sent folder found (no \\Sent flag, none of the usual names); "
                    'set sent = ["..."] so followup sees your replies',
                    self.name,
                )
            else:
                sent_names = [found]
        for wanted in self.settings.folders:
            actual = lookup(wanted)
            if actual is None or "\\noselect" in names[actual]:
                missing.append(wanted)
                continue
            if actual not in seen:
                seen.add(actual)
                role: FolderRole = (
                    "sent" if actual in sent_names else _role_for(actual, names[actual])
                )
                plans.append(FolderPlan(actual, role))
        for wanted in sent_names:
            actual = lookup(wanted)
            if actual is None or "\\noselect" in names[actual]:
                missing.append(wanted)
                continue
            if actual not in seen:
                seen.add(actual)
                plans.append(FolderPlan(actual, "sent"))
        return plans, missing, listing

    def _missing_error(self, missing: Sequence[str], listing: Any) -> SourceConfigError:
        available = sorted(name for _, _, name in listing)
        shown = ", ".join(available[:20]) + (" ..." if len(available) > 20 else "")
        return SourceConfigError(
            self.name,
            f"folder(s) {', '.join(repr(m) for m in missing)} not found on "
            f"{self.settings.host}: fix folders/sent in the config; the server has: {shown}",
        )

    # -- sync -------------------------------------------------------------------------

    def sync(
        self, checkpoints: Mapping[str, str], *, since: date | None = None
    ) -> Iterator[MailBatch]:
        """Yield batches of new messages for each folder, at least one batch per folder.

        ``checkpoints`` maps folder name -> the checkpoint of its last committed batch.
        ``since`` (or the account's ``since``) bounds which messages are read by their
        INTERNALDATE. An unchanged folder yields one empty batch carrying its
        checkpoint. A configured folder that does not exist raises ``SourceConfigError``
        after the others have synced.
        """
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        bound = since or self.settings.since
        doing = "connecting"
        client = self._connect()
        self._client = client
        try:
            doing = "listing folders"
            plans, missing, listing = self._plan(client)
            for plan in plans:
                doing = f"reading {plan.name}"
                yield from self._sync_folder(client, plan, checkpoints.get(plan.name), bound)
            if missing:
                raise self._missing_error(missing, listing)
        except ConnectorError:
            raise
        except Exception as e:
            raise self._wrap(e, doing) from e
        finally:
            self._client = None
            _logout(client)

    def _status(self, client: imapclient.IMAPClient, folder: str) -> dict[bytes, int]:
        items = ["MESSAGES", "UIDVALIDITY", "UIDNEXT"]
        if client.has_capability("CONDSTORE"):
            items.append("HIGHESTMODSEQ")
        return client.folder_status(folder, items)  # type: ignore[no-any-return]

    def _sync_folder(
        self,
        client: imapclient.IMAPClient,
        plan: FolderPlan,
        checkpoint: str | None,
        since: date | None,
    ) -> Iterator[MailBatch]:
        folder, role = plan.name, plan.role
        previous = FolderCheckpoint.loads(checkpoint)
        status = self._status(client, folder)
        uidvalidity = int(status[b"UIDVALIDITY"])
        uidnext = int(status.get(b"UIDNEXT", 0))
        modseq = status.get(b"HIGHESTMODSEQ")
        count = status.get(b"MESSAGES")
        if (
            previous is not None
            and previous.uidvalidity == uidvalidity
            and 0 < uidnext <= previous.last_uid + 1
            and (count is None or int(count) == previous.messages)
        ):
            # Nothing new and nothing expunged (no new UID, so a smaller count is the only
            # trace an expunge leaves): one STATUS round trip, and the checkpoint stays
            # as it was (bar a newer HIGHESTMODSEQ from flag changes, which we do not
            # track: they would make every read message cost a listing of its folder).
            current = replace(previous, highestmodseq=modseq)
            logger.debug("%s/%s: unchanged", self.name, folder)
            yield MailBatch(folder=folder, role=role, checkpoint=current.dumps())
            return

        # EXAMINE, not SELECT: the server opens the folder read-only (RFC 3501 §6.3.2).
        selected = client.select_folder(folder, readonly=True)
        uidvalidity = int(selected.get(b"UIDVALIDITY", uidvalidity))
        uidnext = int(selected.get(b"UIDNEXT", uidnext))
        modseq = selected.get(b"HIGHESTMODSEQ", modseq)
        changed = previous is not None and previous.uidvalidity != uidvalidity
        if changed:
            logger.warning(
                "%s/%s: UIDVALIDITY changed (%s -> %s); rereading the folder",
                self.name,
                folder,
                previous.uidvalidity if previous else None,
                uidvalidity,
            )
        last_uid = previous.last_uid if previous is not None and not changed else 0
        exists = int(selected.get(b"EXISTS", -1))
        uids, newer = self._new_uids(client, last_uid, since) if exists else ([], 0)
        logger.info("%s/%s: %d new message(s)", self.name, folder, len(uids))
        final_uid = max(last_uid, uidnext - 1, uids[-1] if uids else 0)
        listing: FolderListing | None = None
        messages = exists if exists >= 0 else None
        if (
            previous is not None
            and not changed
            and previous.messages != _count_before(exists, newer)
        ):
            # The count does not add up (the last sync's plus the new UIDs): something
            # was expunged, or the checkpoint predates mirroring. After the new-UID
            # search, so what it found is listed too.
            listing, messages = self._listing(client, uidvalidity, final_uid)
            logger.info(
                "%s/%s: listed %d message(s) to mirror deletions",
                self.name,
                folder,
                len(listing.uids),
            )
        if not uids:
            done = FolderCheckpoint(uidvalidity, final_uid, modseq, messages)
            yield MailBatch(
                folder=folder,
                role=role,
                checkpoint=done.dumps(),
                uidvalidity_changed=changed,
                listing=listing,
            )
            return
        gmail = client.has_capability("X-GM-EXT-1")
        size = self.settings.batch_size
        chunks = [uids[i : i + size] for i in range(0, len(uids), size)]
        pending: PendingFetch | None = start_fetch(client, chunks[0], gmail=gmail)
        try:
            for index, chunk in enumerate(chunks):
                assert pending is not None
                parsed: dict[int, ParsedHeaders] = {}
                fetched = fetch_batch(
                    client,
                    chunk,
                    gmail=gmail,
                    excerpt_chars=self.excerpt_chars,
                    pending=pending,
                    meanwhile=partial(self._parse_headers, plan, into=parsed),
                )
                pending = None
                dates = self._complete_headers(client, fetched, parsed)
                # The next batch's headers travel while this one is parsed and stored.
                if index + 1 < len(chunks):
                    pending = start_fetch(client, chunks[index + 1], gmail=gmail)
                records, skipped = self._records(plan, chunk, uidvalidity, fetched, parsed, dates)
                is_last = index == len(chunks) - 1
                # Mid-folder the count is unknown: a resumed sync lists the folder again.
                cp = (
                    FolderCheckpoint(uidvalidity, final_uid, modseq, messages)
                    if is_last
                    else FolderCheckpoint(uidvalidity, chunk[-1], modseq)
                )
                yield MailBatch(
                    folder=folder,
                    role=role,
                    records=tuple(records),
                    skipped=tuple(skipped),
                    checkpoint=cp.dumps(),
                    seen=len(chunk),
                    uidvalidity_changed=changed and index == 0,
                    total=len(uids),
                    # With the last batch: its records are stored before anything goes.
                    listing=listing if is_last else None,
                )
        finally:
            if pending is not None:  # stopped early: free the connection for LOGOUT
                pending.discard()

    def _new_uids(
        self, client: imapclient.IMAPClient, last_uid: int, since: date | None
    ) -> tuple[list[int], int]:
        """The UIDs above ``last_uid`` to read (``since`` applied), and how many UIDs above
        it the folder has in all (what its message count grew by)."""
        criteria: list[Any] = ["UID", f"{last_uid + 1}:*"]
        # "n:*" always matches the highest UID, even below n (RFC 3501 §6.4.8).
        found = sorted(uid for uid in client.search(criteria) if uid > last_uid)
        if since is None:
            return found, len(found)
        bounded = client.search([*criteria, "SINCE", since])
        return sorted(uid for uid in bounded if uid > last_uid), len(found)

    def _listing(
        self, client: imapclient.IMAPClient, uidvalidity: int, final_uid: int
    ) -> tuple[FolderListing, int]:
        """Every UID of the selected folder (``UID SEARCH ALL``) and how many of them the
        new checkpoint accounts for. One response: a connection cut mid-answer raises,
        so a partial listing never reaches the store."""
        present = client.search("ALL")
        listing = FolderListing(frozenset(str(uid) for uid in present), str(uidvalidity))
        return listing, sum(1 for uid in present if uid <= final_uid)

    def _parse_headers(
        self, plan: FolderPlan, headers: Mapping[int, bytes], *, into: dict[int, ParsedHeaders]
    ) -> None:
        """Parse a batch's header fields into ``into`` (no I/O: ``fetch_batch`` runs it
        while the server answers the text FETCH)."""
        for uid, header in headers.items():
            try:
                into[uid] = parse_headers(header)
            except Exception as e:  # parse_headers never raises; belt and braces
                logger.warning("%s: could not read %s/%s: %s", self.name, plan.name, uid, e)

    def _complete_headers(
        self,
        client: imapclient.IMAPClient,
        fetched: Mapping[int, Fetched],
        parsed: dict[int, ParsedHeaders],
    ) -> dict[int, datetime]:
        """Fetch what the rare incomplete message lacks: ``parsed`` is updated in place,
        the INTERNALDATEs that stand in for missing Date headers are returned."""
        # No Date: INTERNALDATE stands in. No Message-ID: a synthetic one is made from
        # the start of the body, the same bytes a Maildir source hashes.
        need_date = [uid for uid, h in parsed.items() if h.date is None]
        need_body = [uid for uid, h in parsed.items() if h.message_id_synthetic]
        dates, bodies = fetch_extras(client, need_date, need_body)
        for uid in need_body:
            parsed[uid] = parse_headers(fetched[uid].header, body_start=bodies.get(uid, b""))
        return dates

    def _records(
        self,
        plan: FolderPlan,
        uids: Sequence[int],
        uidvalidity: int,
        fetched: Mapping[int, Fetched],
        parsed: Mapping[int, ParsedHeaders],
        dates: Mapping[int, datetime],
    ) -> tuple[list[MailRecord], list[Skipped]]:
        """Records (or skips, one reason each) for one batch, in UID order."""
        records: list[MailRecord] = []
        skipped: list[Skipped] = []
        for uid in uids:
            message = fetched.get(uid)
            if message is None:
                # Expunged between SEARCH and FETCH: nothing to read any more.
                skipped.append(Skipped(plan.name, str(uid), "expunged during the sync"))
                continue
            headers = parsed.get(uid)
            if headers is None:
                skipped.append(Skipped(plan.name, str(uid), "unreadable header"))
                continue
            result = self._record(plan, uidvalidity, message, headers, dates.get(uid))
            if isinstance(result, Skipped):
                skipped.append(result)
            else:
                records.append(result)
        return records, skipped

    def _record(
        self,
        plan: FolderPlan,
        uidvalidity: int,
        message: Fetched,
        headers: ParsedHeaders,
        internal_date: datetime | None,
    ) -> MailRecord | Skipped:
        uid, data = message.uid, message.data
        try:
            excerpt = ""
            part: TextPart | None = message.structure.text
            if part is not None and message.text:
                excerpt = text_excerpt(
                    message.text,
                    content_type=part.content_type,
                    charset=part.charset,
                    transfer_encoding=part.transfer_encoding,
                    cap=self.excerpt_chars,
                )
            # Hex, as the Gmail API and the web client's links write it (see gmail_ids).
            thread = thread_hex(data[b"X-GM-THRID"]) if b"X-GM-THRID" in data else None
            labels = data.get(b"X-GM-LABELS") or ()
            calendar = message.structure.calendar
            invitation = None
            if calendar is not None and message.calendar:
                invitation = invitation_of(
                    message.calendar,
                    transfer_encoding=calendar.transfer_encoding,
                    method=calendar.method,
                    source=self.name,
                    sent_at=headers.date or internal_date,
                )
            record = build_record(
                headers,
                source=self.name,
                folder=plan.name,
                role=plan.role,
                uid=str(uid),
                uidvalidity=str(uidvalidity),
                fallback_date=internal_date,
                excerpt=excerpt,
                attachments=message.structure.attachments,
                size=int(data.get(b"RFC822.SIZE") or 0),
                gmail_thread_id=thread,
                labels=tuple(_label(v) for v in labels),
                invitation=invitation,
            )
            if thread is not None and isinstance(record, MailRecord):
                record = replace(record, web_link=f"{GMAIL_THREAD_LINK}{thread}")
            return record
        except Exception as e:  # one odd message must never stop the sync
            logger.warning("%s: could not read %s/%s: %s", self.name, plan.name, uid, e)
            return Skipped(plan.name, str(uid), f"unreadable: {type(e).__name__}")

    # -- doctor -----------------------------------------------------------------------

    def probe(self) -> dict[str, Any]:
        """Log in and report what is there, without syncing or changing anything.

        Returns ``{"account", "host", "port", "security", "capabilities", "folders":
        [{"name", "flags", "special_use"}], "sent_folder", "configured": [{"folder",
        "role", "messages", "uidvalidity", "uidnext"}], "missing": [...]}``.
        Raises ``ConnectorError`` like ``sync``.
        """
        client = self._connect()
        doing = "listing folders"
        try:
            capabilities = sorted(
                c.decode() if isinstance(c, bytes) else str(c) for c in client.capabilities()
            )
            plans, missing, listing = self._plan(client)
            folders = []
            for entry_flags, _delim, name in listing:
                flags = sorted(f.decode() if isinstance(f, bytes) else str(f) for f in entry_flags)
                special = [f for f in flags if f.lower() in _SPECIAL_USE]
                folders.append({"name": name, "flags": flags, "special_use": special})
            configured = []
            for plan in plans:
                doing = f"checking {plan.name}"
                status = client.folder_status(plan.name, ["MESSAGES", "UIDVALIDITY", "UIDNEXT"])
                configured.append(
                    {
                        "folder": plan.name,
                        "role": plan.role,
                        "messages": int(status.get(b"MESSAGES", 0)),
                        "uidvalidity": int(status.get(b"UIDVALIDITY", 0)),
                        "uidnext": int(status.get(b"UIDNEXT", 0)),
                    }
                )
            sent = next((p.name for p in plans if p.role == "sent"), None)
        except ConnectorError:
            raise
        except Exception as e:
            raise self._wrap(e, doing) from e
        finally:
            _logout(client)
        s = self.settings
        return {
            "account": self.name,
            "host": s.host,
            "port": s.port,
            "security": s.security,
            "username": s.username,
            "capabilities": capabilities,
            "folders": folders,
            "sent_folder": sent,
            "configured": configured,
            "missing": missing,
        }

    # -- saving the digest ----------------------------------------------------------------

    def append(
        self,
        folder: str,
        message: bytes,
        *,
        when: datetime | None = None,
        message_id: str | None = None,
    ) -> bool:
        """APPEND ``message`` to ``folder``, unread; False if it was there already.

        The one command followup ever sends that changes a mailbox, and only where the
        user asked for it ([digest] imap_account: the digest saved instead of sent).
        Sync never calls it.

        With ``message_id`` the folder is searched for it first (UID SEARCH HEADER
        Message-ID): a connection that drops after the server stored the message but
        before its OK leaves the outcome unknown, so the one retry here, like a later
        run's, looks again before appending. A message is never saved twice.
        """
        attempts = 2 if message_id else 1
        for attempt in range(1, attempts + 1):
            client = self._connect()
            try:
                if message_id and self._holds(client, folder, message_id):
                    logger.info("The message is in %s already; not saved again", folder)
                    return False
                client.append(folder, message, flags=(), msg_time=when)
                return True
            except Exception as e:
                dropped = isinstance(e, (IMAPClientAbortError, OSError, EOFError))
                if not dropped or attempt == attempts:
                    raise self._wrap(e, f"saving a message to {folder}") from e
                logger.info("The connection dropped while saving to %s; looking again", folder)
            finally:
                _logout(client)
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _holds(client: imapclient.IMAPClient, folder: str, message_id: str) -> bool:
        try:
            client.select_folder(folder, readonly=True)
        except IMAPClientAbortError:
            raise
        except IMAPClientError:
            return False  # no such folder (yet): the APPEND says what is wrong
        bare = "".join(message_id.split()).strip("<>")
        return bool(client.search(["HEADER", "Message-ID", f"<{bare}>"]))


_SPECIAL_USE = frozenset(
    {"\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent", "\\trash", "\\important"}
)


def _count_before(exists: int, newer: int) -> int | None:
    """The message count before the new UIDs arrived; None if EXAMINE gave no EXISTS."""
    return exists - newer if exists >= 0 else None


def _password_hint(s: ImapSettings) -> str:
    if s.auth == "xoauth2":
        return f"oauth_token_file {s.oauth_token_file}"
    if s.password.command is not None:
        return "from password_command"
    if s.password.env is not None:
        return f"from ${s.password.env}"
    return "from the keyring"


def _label(value: Any) -> str:
    # Gmail labels come in modified UTF-7, like folder names (RFC 3501 §5.1.3).
    return imap_utf7.decode(value) if isinstance(value, bytes) else str(value)


def _logout(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection may already be gone; nothing left to do
        _shutdown(client)


def _shutdown(client: imapclient.IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:
        logger.debug("Could not shut the IMAP connection down cleanly", exc_info=True)


if TYPE_CHECKING:  # mypy checks the class against the contract (connectors.base)
    from connectors.base import MailSourceClass

    _CONTRACT: MailSourceClass = ImapMailSource
