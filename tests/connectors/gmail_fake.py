"""A stateful fake Gmail behind the httplib2 interface googleapiclient talks to.

The real client library builds every request from its shipped discovery document,
signs it (google-auth), batches it (``BatchHttpRequest``'s multipart/mixed) and parses
the answers; this fake answers those requests the way the Gmail API documents them:
``users.getProfile``, ``users.labels.list``, ``users.messages.list`` (by label, newest
first, ``pageToken``), ``users.messages.get`` (``format=metadata`` with only the asked
``metadataHeaders``, or ``format=full`` with base64url part bodies), ``users.history.list``
(``startHistoryId``, paging, 404 on an expired id), the batch endpoint, and the OAuth
token endpoint's refresh (``invalid_grant`` once revoked). It enforces what Google
enforces: a Bearer token it issued, ``q=`` and ``format=full`` refused under
gmail.metadata. ``faults`` injects answers (429 in a batch part, 500, 401).
"""

from __future__ import annotations

import base64
import email
import email.policy
import itertools
import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import Any

import httplib2

METADATA = "https://www.googleapis.com/auth/gmail.metadata"
READONLY = "https://www.googleapis.com/auth/gmail.readonly"
TOKEN_URI = "https://oauth2.googleapis.com/token"
SYSTEM_LABELS = ["INBOX", "SENT", "SPAM", "TRASH", "DRAFT", "UNREAD", "IMPORTANT", "STARRED"]


def error_body(code: int, message: str, reason: str, status: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": status,
        }
    }


NOT_FOUND = error_body(404, "Requested entity was not found.", "notFound", "NOT_FOUND")
RATE_LIMITED = error_body(
    429, "Too many concurrent requests for user.", "rateLimitExceeded", "RESOURCE_EXHAUSTED"
)
UNAUTHENTICATED = error_body(
    401,
    "Request had invalid authentication credentials.",
    "authError",
    "UNAUTHENTICATED",
)


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    labels: set[str]
    internal_ms: int
    history_id: int


@dataclass
class Fault:
    """Answer ``status``/``body`` to the next ``times`` requests whose path matches."""

    match: Callable[[str, str], bool]  # (method, path?query)
    status: int
    body: dict[str, Any]
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


class FakeGmail:
    def __init__(
        self,
        email_address: str = "penny@example.com",
        *,
        scopes: tuple[str, ...] = (READONLY,),
        user_labels: dict[str, str] | None = None,
    ) -> None:
        self.email = email_address
        self.scopes = scopes
        self.labels: dict[str, str] = {x: x for x in SYSTEM_LABELS}
        self.labels.update(user_labels or {"Label_1": "Archive"})
        self.messages: dict[str, StoredMessage] = {}
        self.history: list[dict[str, Any]] = []
        self.history_id = 10_000
        self.oldest_history = 0  # startHistoryId below this answers 404
        self._ids = itertools.count(0x18C0000000000000)
        self.access_tokens = {"ya29.initial"}
        self.refresh_tokens = {"1//refresh"}
        self.refreshes = 0
        self.calls: list[tuple[str, str]] = []  # (method, path) of every API request
        self.batches: list[int] = []  # parts per batch request
        self.faults: list[Fault] = []
        self._payloads: dict[tuple[str, str, tuple[str, ...]], dict[str, Any]] = {}
        self.serving = 0.0  # seconds spent answering (the benchmark subtracts it)

    # -- changing the mailbox (what mail clients and MTAs do) --------------------------

    def _bump(self, record: dict[str, Any]) -> int:
        self.history_id += 1 + len(self.history) % 3  # ids grow, not always by one
        record["id"] = str(self.history_id)
        self.history.append(record)
        return self.history_id

    def _ref(self, m: StoredMessage) -> dict[str, Any]:
        return {"id": m.id, "threadId": m.thread_id, "labelIds": sorted(m.labels)}

    def add(self, labels: list[str], raw: bytes, *, internal: datetime | None = None) -> str:
        mid = format(next(self._ids), "x")
        parsed = email.message_from_bytes(raw)
        when = internal
        if when is None:
            try:
                when = email.utils.parsedate_to_datetime(str(parsed["Date"]))
            except (TypeError, ValueError):
                when = datetime(2024, 6, 1, tzinfo=UTC)
        m = StoredMessage(mid, mid, raw, set(labels), int(when.timestamp() * 1000), 0)
        self.messages[mid] = m
        m.history_id = self._bump(
            {
                "messages": [{"id": mid, "threadId": mid}],
                "messagesAdded": [{"message": self._ref(m)}],
            }
        )
        return mid

    def delete(self, mid: str) -> None:
        m = self.messages.pop(mid)
        self._bump(
            {
                "messages": [{"id": mid, "threadId": m.thread_id}],
                "messagesDeleted": [{"message": self._ref(m)}],
            }
        )

    def relabel(self, mid: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> None:
        m = self.messages[mid]
        record: dict[str, Any] = {"messages": [{"id": mid, "threadId": m.thread_id}]}
        m.labels |= set(add)
        m.labels -= set(remove)
        if add:
            record["labelsAdded"] = [{"message": self._ref(m), "labelIds": list(add)}]
        if remove:
            record["labelsRemoved"] = [{"message": self._ref(m), "labelIds": list(remove)}]
        m.history_id = self._bump(record)

    def find(self, message_id: str) -> str:
        for m in self.messages.values():
            if f"<{message_id}>".encode() in m.raw:
                return m.id
        raise KeyError(message_id)

    # -- httplib2's interface -----------------------------------------------------------

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        started = time.perf_counter()
        try:
            return self._request(uri, method, body, headers)
        finally:
            self.serving += time.perf_counter() - started

    def _request(
        self, uri: str, method: str, body: Any, headers: dict[str, str] | None
    ) -> tuple[httplib2.Response, bytes]:
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        url = urllib.parse.urlsplit(uri)
        if uri.startswith(TOKEN_URI):
            return self._token(body or "")
        if url.path == "/batch" or url.path.startswith("/batch/"):
            return self._batch(headers, body or "")
        status, answer, extra = self._api(method, url.path, url.query, headers)
        return _response(status, answer, extra)

    def _token(self, body: str) -> tuple[httplib2.Response, bytes]:
        form = dict(urllib.parse.parse_qsl(body))
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") not in (
            self.refresh_tokens
        ):
            return _response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
            )
        self.refreshes += 1
        token = f"ya29.refreshed-{self.refreshes}"
        self.access_tokens.add(token)
        return _response(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": " ".join(self.scopes),
                "token_type": "Bearer",
            },
        )

    def _fault(self, method: str, target: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.match(method, target):
                fault.times -= 1
                return fault
        return None

    def _api(
        self, method: str, path: str, query: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        target = f"{path}?{query}" if query else path
        self.calls.append((method, path))
        fault = self._fault(method, target)
        if fault is not None:
            return fault.status, fault.body, fault.headers
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return (
                401,
                UNAUTHENTICATED,
                {"www-authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        q = urllib.parse.parse_qs(query)
        prefix = "/gmail/v1/users/me"
        if not path.startswith(prefix):
            return 404, NOT_FOUND, {}
        rest = path[len(prefix) :]
        if "q" in q and READONLY not in self.scopes:
            msg = "Metadata scope does not support 'q' parameter"
            return 403, error_body(403, msg, "forbidden", "PERMISSION_DENIED"), {}
        if rest == "/profile":
            return (
                200,
                {
                    "emailAddress": self.email,
                    "messagesTotal": len(self.messages),
                    "threadsTotal": len(self.messages),
                    "historyId": str(self.history_id),
                },
                {},
            )
        if rest == "/labels":
            return (
                200,
                {
                    "labels": [
                        {"id": i, "name": n, "type": "system" if i == n else "user"}
                        for i, n in self.labels.items()
                    ]
                },
                {},
            )
        if rest.startswith("/labels/"):
            label_id = rest.split("/")[2]
            if label_id not in self.labels:
                return 404, NOT_FOUND, {}
            held = [m for m in self.messages.values() if label_id in m.labels]
            return (
                200,
                {
                    "id": label_id,
                    "name": self.labels[label_id],
                    "type": "system" if label_id == self.labels[label_id] else "user",
                    "messagesTotal": len(held),
                    "messagesUnread": sum("UNREAD" in m.labels for m in held),
                    "threadsTotal": len({m.thread_id for m in held}),
                    "threadsUnread": 0,
                },
                {},
            )
        if rest == "/messages":
            if not q.get("pageToken", ["0"])[0].isdigit():  # not one this fake handed out
                bad = error_body(400, "Invalid pageToken", "invalidArgument", "INVALID_ARGUMENT")
                return 400, bad, {}
            return 200, self._list(q), {}
        if rest.startswith("/messages/"):
            return self._get(rest.split("/")[2], q)
        if rest == "/history":
            return self._history(q)
        return 404, NOT_FOUND, {}

    def _list(self, q: dict[str, list[str]]) -> dict[str, Any]:
        wanted = set(q.get("labelIds", []))
        hidden = {"SPAM", "TRASH"} if q.get("includeSpamTrash", ["false"])[0] == "false" else set()
        found = sorted(
            (m for m in self.messages.values() if wanted <= m.labels and not m.labels & hidden),
            key=lambda m: (-m.internal_ms, m.id),
        )
        size = min(int(q.get("maxResults", ["100"])[0]), 500)
        start = int(q.get("pageToken", ["0"])[0])
        page = found[start : start + size]
        answer: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if page:
            answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in page]
        if start + size < len(found):
            answer["nextPageToken"] = str(start + size)
        return answer

    def _get(self, mid: str, q: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        m = self.messages.get(mid)
        if m is None:
            return 404, NOT_FOUND, {}
        fmt = q.get("format", ["full"])[0]
        if fmt != "metadata" and READONLY not in self.scopes:
            msg = f"Metadata scope doesn't allow format {fmt.upper()}"
            return 403, error_body(403, msg, "forbidden", "PERMISSION_DENIED"), {}
        answer: dict[str, Any] = {
            "id": m.id,
            "threadId": m.thread_id,
            "labelIds": sorted(m.labels),
            "snippet": "",
            "historyId": str(m.history_id),
            "internalDate": str(m.internal_ms),
            "sizeEstimate": len(m.raw),
        }
        key = (mid, fmt, tuple(sorted(q.get("metadataHeaders", []))))
        if key not in self._payloads:  # a message's content never changes: parse it once
            self._payloads[key] = self._payload(m, fmt, q)
        answer["payload"] = self._payloads[key]
        return 200, answer, {}

    def _payload(self, m: StoredMessage, fmt: str, q: dict[str, list[str]]) -> dict[str, Any]:
        parsed = email.message_from_bytes(m.raw, policy=email.policy.compat32)
        if fmt == "metadata":
            names = {n.lower() for n in q.get("metadataHeaders", [])}
            return {
                "partId": "",
                "mimeType": parsed.get_content_type(),
                "filename": "",
                "headers": [
                    {"name": k, "value": str(v)}
                    for k, v in parsed.items()
                    if not names or k.lower() in names
                ],
                "body": {"size": 0},
            }
        return _part(parsed, "")

    def _history(self, q: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        start = int(q["startHistoryId"][0])
        if start < self.oldest_history:
            return 404, NOT_FOUND, {}
        records = [h for h in self.history if int(h["id"]) > start]
        size = int(q.get("maxResults", ["100"])[0])
        offset = int(q.get("pageToken", ["0"])[0])
        page = records[offset : offset + size]
        answer: dict[str, Any] = {"historyId": str(self.history_id)}
        if page:
            answer["history"] = page
        if offset + size < len(records):
            answer["nextPageToken"] = str(offset + size)
        return 200, answer, {}

    def _batch(self, headers: dict[str, str], body: str) -> tuple[httplib2.Response, bytes]:
        envelope = email.message_from_string(
            f"Content-Type: {headers['content-type']}\r\n\r\n{body}", policy=email.policy.compat32
        )
        parts = envelope.get_payload()
        assert isinstance(parts, list)
        if len(parts) > 100:
            return _response(
                400, error_body(400, "Too many requests in batch.", "invalid", "INVALID_ARGUMENT")
            )
        self.batches.append(len(parts))
        out: list[str] = []
        for part in parts:
            content_id = str(part["Content-ID"])
            inner = part.get_payload()
            request_line, _, rest = inner.partition("\n")
            method, target, _version = request_line.strip().split(" ")
            head = email.message_from_string(rest.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0])
            inner_headers = {k.lower(): v for k, v in head.items()}
            url = urllib.parse.urlsplit(target)
            status, answer, _extra = self._api(method, url.path, url.query, inner_headers)
            reason = {
                200: "OK",
                401: "Unauthorized",
                403: "Forbidden",
                404: "Not Found",
                429: "Too Many Requests",
                500: "Internal Server Error",
            }.get(status, "Error")
            out.append(
                "--batch_fake\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{content_id.strip('<>')}>\r\n\r\n"
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=UTF-8\r\n"
                f"Vary: Origin\r\n\r\n{json.dumps(answer)}\r\n"
            )
        content = "".join(out) + "--batch_fake--\r\n"
        return (
            httplib2.Response(
                {"status": "200", "content-type": "multipart/mixed; boundary=batch_fake"}
            ),
            content.encode("utf-8"),
        )


def _part(msg: Message, part_id: str) -> dict[str, Any]:
    part: dict[str, Any] = {
        "partId": part_id,
        "mimeType": msg.get_content_type(),
        "filename": msg.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in msg.items()],
    }
    if msg.is_multipart():
        children = msg.get_payload()
        assert isinstance(children, list)
        part["body"] = {"size": 0}
        part["parts"] = [
            _part(child, f"{part_id}.{i}" if part_id else str(i))
            for i, child in enumerate(children)
        ]
        return part
    data = msg.get_payload(decode=True) or b""
    assert isinstance(data, bytes)
    if part["filename"]:
        part["body"] = {"attachmentId": f"ANGjdJ{abs(hash(data)) % 10**8}", "size": len(data)}
    else:
        part["body"] = {
            "size": len(data),
            "data": base64.urlsafe_b64encode(data).decode().rstrip("="),
        }
    return part


def _response(
    status: int, body: dict[str, Any], extra: dict[str, str] | None = None
) -> tuple[httplib2.Response, bytes]:
    headers = {"status": str(status), "content-type": "application/json; charset=UTF-8"}
    headers.update(extra or {})
    return httplib2.Response(headers), json.dumps(body).encode("utf-8")


def write_token(
    path: Any,
    *,
    scopes: tuple[str, ...] = (READONLY,),
    expires_at: int = 4_102_444_800,
    access: str = "ya29.initial",
    refresh: str = "1//refresh",
) -> None:
    """A token file as ``followup auth`` writes it (mode 0600)."""
    from connectors.imap_auth import write_token_file

    write_token_file(
        path,
        {
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": expires_at,
            "token_uri": TOKEN_URI,
            "client_id": "1234-fake.apps.googleusercontent.com",
            "client_secret": "fake-secret",
            "scopes": list(scopes),
        },
    )
