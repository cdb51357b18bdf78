"""Gmail API mail source (``kind = "gmail"``): google-api-python-client, read-only.

Folders are the configured labels (``["INBOX", "SENT"]`` by default; user labels by name
or id); a batch's folder is the label as the config names it. SPAM and TRASH are never
read, and a message that moves there leaves every folder.

Scopes are a product choice: ``gmail.metadata`` (the default) gives headers only, so
``q=`` is refused and the listing goes by label id with dates filtered here; the opt-in
``gmail.readonly`` also reads the first KB of the text part (``format=full``).

First sync of a label: ``users.messages.list`` by label id, newest first, page by page
until a page reaches back past ``since``; each page's messages come from
``messages.get`` in batch requests of at most 25 parts; one ``MailBatch`` per page whose
checkpoint carries the next page token, so a killed run resumes there. The history id
recorded is the mailbox's (``users.getProfile``) when the listing began, not the
highest of the messages read: a change to a message already read during a long listing
would otherwise fall below the checkpoint and be lost.

Incremental: one ``users.history.list`` from the oldest folder checkpoint, every page,
collapsed per message (``gmail_messages.collapse``: added then deleted cancels); what
changed is fetched again and its current labels decide its folders. A message gone
from a folder (deleted, label removed, spam, trash) makes that folder's batch carry a
``FolderListing`` of the label's ids (cheap: 500 ids a page). New records and the new
history id travel in the folder's last batch, one transaction for the store.

A 404 on the history id (Google keeps about a week) is a full resync of those folders,
their last batch listing the label; more than ``max_full_resyncs`` resyncs within a day
trip a breaker: the sync stops with an error instead of re-reading the mailbox again.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import TYPE_CHECKING, Any, ClassVar

from connectors.errors import ConnectorError
from connectors.folders import guess_role
from connectors.gmail_messages import (
    HIDDEN_LABELS,
    METADATA_HEADERS,
    collapse,
    internal_date,
    to_record,
)
from connectors.gmail_settings import (
    DEFAULT_COSTS,
    KEYS,
    RESYNC_WINDOW_SECONDS,
    GmailSettings,
    settings_from_options,
)
from connectors.google_auth import (
    GoogleToken,
    authorized_http,
    build_service,
    require_google,
)
from connectors.google_calls import Caller, Passed, QuotaBudget, error_reason
from connectors.records import FolderListing, FolderRole, MailBatch, MailRecord, Skipped

logger = logging.getLogger(__name__)

HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
LISTING_PAGE = 500  # messages.list's maximum: a deletion listing costs 5 units per 500


@dataclass(frozen=True, slots=True)
class GmailCheckpoint:
    """Where a label's sync stands.

    ``history_id``: changes after it are still to read. ``page_token``: a first listing
    is under way and continues there. ``resync``: that listing replaces what the store
    holds, so its end carries a ``FolderListing``. ``resyncs``: when the recent full
    resyncs happened (epoch seconds), for the breaker.
    """

    history_id: int
    page_token: str | None = None
    resync: bool = False
    resyncs: tuple[float, ...] = ()

    def dumps(self) -> str:
        data: dict[str, Any] = {"history_id": str(self.history_id)}
        if self.page_token:
            data["page_token"] = self.page_token
        if self.resync:
            data["resync"] = True
        if self.resyncs:
            data["resyncs"] = [int(t) for t in self.resyncs]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def loads(cls, value: str | None) -> GmailCheckpoint | None:
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(
                history_id=int(data["history_id"]),
                page_token=str(data["page_token"]) if data.get("page_token") else None,
                resync=bool(data.get("resync")),
                resyncs=tuple(float(t) for t in data.get("resyncs") or ()),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            logger.warning("Ignoring an unreadable Gmail checkpoint; reading the label again")
            return None


@dataclass(frozen=True, slots=True)
class Folder:
    name: str  # as the config names it: the batches' folder
    label_id: str
    role: FolderRole


@dataclass
class _Run:
    """One sync's state: the service, the label names, the checkpoints so far."""

    service: Any
    label_names: dict[str, str]
    folders: list[Folder]
    checkpoints: dict[str, GmailCheckpoint | None] = field(default_factory=dict)


class GmailSource:
    """A Gmail account over the Gmail API, as a ``MailSource`` (see the module docstring).

    ``http_factory(timeout)`` returns the httplib2 transport (default
    ``connectors.google_auth.http_factory``); tests pass an ``HttpMockSequence`` or a
    fake Gmail. ``clock`` (epoch seconds), ``sleep`` and ``rng`` drive expiry, backoff
    and jitter.
    """

    kind: ClassVar[str] = "gmail"
    KEYS: ClassVar[frozenset[str]] = KEYS

    def __init__(
        self,
        name: str,
        settings: GmailSettings,
        *,
        http_factory: Callable[[float], Any] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self._http_factory = http_factory
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._token: GoogleToken | None = None
        self._service: Any = None
        self._closed = False
        self.budget = QuotaBudget(
            name, settings.quota_budget, settings.quota_per_second, sleep=sleep
        )
        self.caller = Caller(
            name, self.budget, retries=settings.retries, sleep=sleep, rng=self._rng
        )

    @classmethod
    def from_config(cls, name: str, options: Mapping[str, Any]) -> GmailSource:
        settings = settings_from_options(name, options)
        require_google(name)
        return cls(name, settings)

    @property
    def since(self) -> date | None:
        return self.settings.since

    def __repr__(self) -> str:
        return f"GmailSource({self.name!r}, scope={self.settings.scope})"

    # -- connection -------------------------------------------------------------------

    def _cost(self, call: str) -> int:
        return int(self.settings.costs.get(call, DEFAULT_COSTS[call]))

    def _open(self) -> Any:
        if self._closed:
            raise ConnectorError(self.name, "the source is closed")
        if self._service is None:
            self._token = GoogleToken(self.name, self.settings.token_file, clock=self._clock)
            self._token.require(
                self.settings.scope_uri,
                what="read message text" if self.settings.with_text else "read mail headers",
            )
            http = authorized_http(self._token, self.settings.timeout, self._http_factory)
            self._service = build_service("gmail", "v1", http)
        return self._service

    def _save_token(self) -> None:
        if self._token is not None:
            self._token.save()

    def close(self) -> None:
        self._closed = True
        self._save_token()
        self._service = None

    # -- labels -----------------------------------------------------------------------

    def _labels(self, service: Any) -> tuple[dict[str, str], list[Folder]]:
        answer = self.caller.execute(
            service.users().labels().list(userId="me"),
            self._cost("labels_list"),
            doing="listing labels",
        )
        labels = [lab for lab in answer.get("labels") or () if isinstance(lab, Mapping)]
        names = {str(lab.get("id")): str(lab.get("name") or lab.get("id")) for lab in labels}
        by_id = {i.upper(): i for i in names}
        by_name = {n.lower(): i for i, n in names.items()}
        folders: list[Folder] = []
        missing: list[str] = []
        for wanted in self.settings.labels:
            label_id = by_id.get(wanted.upper()) or by_name.get(wanted.lower())
            if label_id is None:
                missing.append(wanted)
                continue
            if label_id in HIDDEN_LABELS:
                continue
            role: FolderRole
            if label_id == "INBOX":
                role = "inbox"
            elif label_id == "SENT":
                role = "sent"
            else:
                role = guess_role(names[label_id])
            folders.append(Folder(wanted, label_id, role))
        if missing:
            known = ", ".join(sorted(names.values())[:20])
            raise ConnectorError(
                self.name,
                f"no Gmail label {', '.join(repr(m) for m in missing)} (labels: {known})",
            )
        return names, folders

    # -- sync -------------------------------------------------------------------------

    def sync(self, checkpoints: Mapping[str, str]) -> Iterator[MailBatch]:
        """Yield each label's batches; see the module docstring for the protocol use."""
        service = self._open()
        self.budget.spent = 0  # the budget is per run
        names, folders = self._labels(service)
        run = _Run(service, names, folders)
        for f in folders:
            run.checkpoints[f.name] = GmailCheckpoint.loads(checkpoints.get(f.name))
        try:
            incremental = [
                f
                for f in folders
                if (cp := run.checkpoints[f.name]) is not None
                and not cp.page_token
                and not cp.resync
            ]
            if incremental:
                yield from self._incremental(run, incremental)
            for f in folders:
                cp = run.checkpoints[f.name]
                # New labels, resumed listings, and those a lost history id sent back.
                if cp is None or cp.page_token or cp.resync:
                    yield from self._full(run, f)
        finally:
            self._save_token()
        logger.info("%s: used %d quota units", self.name, self.budget.spent)

    # -- first sync and resync --------------------------------------------------------

    def _profile_history_id(self, service: Any) -> int:
        profile = self.caller.execute(
            service.users().getProfile(userId="me"),
            self._cost("get_profile"),
            doing="reading the profile",
        )
        return int(profile["historyId"])

    def _list_page(
        self, service: Any, label_id: str, page_token: str | None, size: int
    ) -> dict[str, Any] | None:
        """One ``messages.list`` page; None when Google no longer knows ``page_token``."""
        kwargs: dict[str, Any] = {"userId": "me", "labelIds": [label_id], "maxResults": size}
        if page_token:
            kwargs["pageToken"] = page_token
        try:
            return dict(
                self.caller.execute(
                    service.users().messages().list(**kwargs),
                    self._cost("messages_list"),
                    doing=f"listing {label_id}",
                    passthrough=(400,) if page_token else (),
                )
            )
        except Passed:
            return None

    def _full(self, run: _Run, folder: Folder) -> Iterator[MailBatch]:
        """Read a label newest first down to ``since``; one batch per page."""
        cp = run.checkpoints[folder.name]
        resync = cp.resync if cp is not None else False
        resyncs = cp.resyncs if cp is not None else ()
        page_token = cp.page_token if cp is not None else None
        history_id = cp.history_id if cp is not None and page_token else None
        if history_id is None:
            history_id = self._profile_history_id(run.service)
        since = _since_datetime(self.settings.since)
        total = 0
        while True:
            page = self._list_page(
                run.service, folder.label_id, page_token, self.settings.page_size
            )
            if page is None:  # a resumed listing whose page token expired: start over
                logger.info(
                    "%s/%s: the saved page token expired; listing again", self.name, folder.name
                )
                page_token, history_id = None, self._profile_history_id(run.service)
                continue
            total = total or int(page.get("resultSizeEstimate") or 0)
            ids = [str(m["id"]) for m in page.get("messages") or () if m.get("id")]
            messages, skipped = self._get(run, folder, ids)
            records: list[MailRecord] = []
            oldest: datetime | None = None
            for message in messages:
                when = internal_date(message)
                if when is not None and (oldest is None or when < oldest):
                    oldest = when
                if since is not None and when is not None and when < since:
                    continue  # older than `since`: filtered here, as q= is not allowed
                result = self._record(run, folder, message)
                if isinstance(result, Skipped):
                    skipped.append(result)
                else:
                    records.append(result)
            next_token = page.get("nextPageToken")
            done = not next_token or (since is not None and oldest is not None and oldest < since)
            listing = self._listing(run.service, folder) if done and resync else None
            checkpoint = GmailCheckpoint(
                history_id,
                page_token=None if done else str(next_token),
                resync=resync and not done,
                resyncs=resyncs,
            )
            run.checkpoints[folder.name] = checkpoint
            yield MailBatch(
                folder=folder.name,
                role=folder.role,
                records=tuple(records),
                skipped=tuple(skipped),
                checkpoint=checkpoint.dumps(),
                seen=len(ids),
                total=total,
                listing=listing,
            )
            self._save_token()
            if done:
                return
            page_token = str(next_token)

    def _listing(self, service: Any, folder: Folder) -> FolderListing:
        """Every message id the label holds now (ids only, 500 a page)."""
        ids: set[str] = set()
        token: str | None = None
        while True:
            page = self._list_page(service, folder.label_id, token, LISTING_PAGE)
            if page is None:
                raise ConnectorError(
                    self.name, f"the listing of {folder.name} broke off", retryable=True
                )
            ids.update(str(m["id"]) for m in page.get("messages") or () if m.get("id"))
            token = page.get("nextPageToken")
            if not token:
                break
        logger.info(
            "%s/%s: listed %d message(s) to mirror deletions", self.name, folder.name, len(ids)
        )
        return FolderListing(frozenset(ids))

    # -- messages ---------------------------------------------------------------------

    def _get_request(self, messages: Any, message_id: str) -> Any:
        if self.settings.with_text:
            return messages.get(userId="me", id=message_id, format="full")
        return messages.get(
            userId="me", id=message_id, format="metadata", metadataHeaders=list(METADATA_HEADERS)
        )

    def _get(
        self, run: _Run, folder: Folder | None, ids: Sequence[str]
    ) -> tuple[list[dict[str, Any]], list[Skipped]]:
        """``messages.get`` for ``ids`` in batches; (found, skipped). A 404 (deleted
        meanwhile) is neither: ``gone`` ids are left out of both."""
        if not ids:
            return [], []
        # One resource object for all: googleapiclient builds every method of a resource
        # from the discovery document each time users().messages() is called, which
        # cost more than the rest of the sync together.
        messages_resource = run.service.users().messages()
        answers = self.caller.batch(
            run.service,
            [(mid, self._get_request(messages_resource, mid)) for mid in ids],
            self._cost("messages_get"),
            size=self.settings.batch_size,
            doing="reading messages",
        )
        found: list[dict[str, Any]] = []
        skipped: list[Skipped] = []
        for mid in ids:
            answer = answers.get(mid)
            if isinstance(answer, dict):
                found.append(answer)
                continue
            status, reason, _ = error_reason(answer)
            if status == 404:
                continue
            if folder is not None:
                skipped.append(
                    Skipped(folder.name, mid, f"Gmail answered HTTP {status} {reason}".strip())
                )
        return found, skipped

    def _record(
        self, run: _Run, folder: Folder, message: Mapping[str, Any]
    ) -> MailRecord | Skipped:
        return to_record(
            message,
            source=self.name,
            folder=folder.name,
            role=folder.role,
            label_names=run.label_names,
            excerpt_chars=self.settings.excerpt_chars,
            with_text=self.settings.with_text,
        )

    # -- incremental ------------------------------------------------------------------

    def _history(self, service: Any, start: int) -> tuple[list[dict[str, Any]], int] | None:
        """Every history record after ``start`` and the mailbox's history id now; None
        when Google no longer has ``start`` (404)."""
        records: list[dict[str, Any]] = []
        token: str | None = None
        latest = start
        while True:
            kwargs: dict[str, Any] = {
                "userId": "me",
                "startHistoryId": str(start),
                "historyTypes": HISTORY_TYPES,
                "maxResults": 500,
            }
            if token:
                kwargs["pageToken"] = token
            try:
                page = self.caller.execute(
                    service.users().history().list(**kwargs),
                    self._cost("history_list"),
                    doing="reading the history",
                    passthrough=(404,),
                )
            except Passed:
                return None
            records.extend(h for h in page.get("history") or () if isinstance(h, dict))
            latest = max(latest, int(page.get("historyId") or latest))
            token = page.get("nextPageToken")
            if not token:
                return records, latest

    def _incremental(self, run: _Run, folders: list[Folder]) -> Iterator[MailBatch]:
        cps = {f.name: run.checkpoints[f.name] for f in folders}
        start = min(cp.history_id for cp in cps.values() if cp is not None)
        result = self._history(run.service, start)
        if result is None:
            self._start_resync(run, folders)
            return
        history, latest = result
        changes = collapse(history)
        wanted = {f.label_id for f in folders}
        watched = wanted | HIDDEN_LABELS
        gone_from: set[str] = set()
        fetch: list[str] = []
        for mid, change in changes.items():
            if change.deleted:
                gone_from |= (change.labels & wanted) if change.labels else wanted
            elif not change.labels or change.touched & watched:
                fetch.append(mid)
        messages, _none = self._get(run, None, fetch)
        found = {str(m.get("id")): m for m in messages}
        for mid in fetch:
            if mid not in found:  # deleted since the history said otherwise
                change = changes[mid]
                gone_from |= (change.labels & wanted) if change.labels else wanted
        per_folder: dict[str, list[MailRecord]] = {f.name: [] for f in folders}
        skips: dict[str, list[Skipped]] = {f.name: [] for f in folders}
        for message in messages:
            labels = {str(x) for x in message.get("labelIds") or ()}
            hidden = bool(labels & HIDDEN_LABELS)
            for f in folders:
                if f.label_id in labels and not hidden:
                    record = self._record(run, f, message)
                    if isinstance(record, Skipped):
                        skips[f.name].append(record)
                    else:
                        per_folder[f.name].append(record)
                elif f.label_id in getattr(changes.get(str(message.get("id"))), "labels", ()):
                    gone_from.add(f.label_id)
        logger.info(
            "%s: %d history record(s), %d message(s) changed, %d fetched",
            self.name,
            len(history),
            len(changes),
            len(messages),
        )
        for f in folders:
            cp = cps[f.name]
            assert cp is not None
            checkpoint = GmailCheckpoint(latest, resyncs=cp.resyncs)
            run.checkpoints[f.name] = checkpoint
            listing = self._listing(run.service, f) if f.label_id in gone_from else None
            yield MailBatch(
                folder=f.name,
                role=f.role,
                records=tuple(per_folder[f.name]),
                skipped=tuple(skips[f.name]),
                checkpoint=checkpoint.dumps(),
                seen=len(per_folder[f.name]) + len(skips[f.name]),
                listing=listing,
            )
        self._save_token()

    def _start_resync(self, run: _Run, folders: list[Folder]) -> None:
        """The history id is too old: mark ``folders`` for a full resync, or trip the
        breaker when that happened too often lately."""
        now = self._clock()
        # The folders share one history: their resync lists are the same (take the longest).
        recent = max(
            (
                [t for t in cp.resyncs if now - t < RESYNC_WINDOW_SECONDS]
                for f in folders
                if (cp := run.checkpoints[f.name]) is not None
            ),
            key=len,
            default=[],
        )
        if len(recent) >= self.settings.max_full_resyncs:
            raise ConnectorError(
                self.name,
                f"Gmail lost the sync position {len(recent)} times within a day, and each "
                "time the whole mailbox is read again; stopped resyncing until a day has "
                "passed (max_full_resyncs). If this repeats, report it with followup -v sync",
            )
        logger.warning(
            "%s: Gmail no longer has the saved history id (it keeps about a week); "
            "reading the labels again",
            self.name,
        )
        for f in folders:
            run.checkpoints[f.name] = GmailCheckpoint(0, resync=True, resyncs=(*recent, now))

    # -- doctor -----------------------------------------------------------------------

    def probe(self) -> dict[str, Any]:
        """What doctor shows: the account, the granted scopes, the labels, the state.

        ``{"account", "email", "scope", "granted_scopes", "reads_text", "text_note",
        "folders": [label names], "configured": [{"folder", "label_id", "role",
        "messages"}], "messages_total", "history_id", "state"}``.
        Raises ``AuthError`` ("needs reconnect") or ``ConnectorError`` like ``sync``.
        """
        service = self._open()
        assert self._token is not None
        profile = self.caller.execute(
            service.users().getProfile(userId="me"),
            self._cost("get_profile"),
            doing="reading the profile",
        )
        names, folders = self._labels(service)
        configured = []
        for f in folders:
            label = self.caller.execute(
                service.users().labels().get(userId="me", id=f.label_id),
                self._cost("labels_list"),
                doing=f"reading label {f.name}",
            )
            configured.append(
                {
                    "folder": f.name,
                    "label_id": f.label_id,
                    "role": f.role,
                    "messages": int(label.get("messagesTotal") or 0),
                }
            )
        granted = list(self._token.scopes)
        reads_text = self.settings.with_text
        note = (
            None
            if reads_text
            else 'message text is not read (scope = "metadata"): no requests or promises are '
            'found in this mailbox; set scope = "readonly" and run followup auth '
            f"{self.name} to turn that on"
        )
        self._save_token()
        return {
            "account": self.name,
            "email": profile.get("emailAddress"),
            "scope": self.settings.scope_uri,
            "granted_scopes": granted,
            "reads_text": reads_text,
            "text_note": note,
            "folders": sorted(names.values()),
            "configured": configured,
            "messages_total": profile.get("messagesTotal"),
            "history_id": profile.get("historyId"),
            "state": "ok",
        }


def _since_datetime(since: date | None) -> datetime | None:
    return datetime.combine(since, dtime(0, 0), tzinfo=UTC) if since else None


if TYPE_CHECKING:  # mypy checks the class against the contract (connectors.base)
    from connectors.base import MailSourceClass

    _CONTRACT: MailSourceClass = GmailSource
