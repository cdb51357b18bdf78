"""A stateful fake Google Calendar behind the httplib2 interface googleapiclient uses.

It answers ``events.list`` on ``/calendar/v3/calendars/{id}/events`` the way the
Calendar API documents it: ``timeMin``/``timeMax`` (an event overlapping the range),
``maxResults`` with ``nextPageToken`` paging, ``nextSyncToken`` on the last page,
``syncToken`` returning every event changed since (deleted ones as a bare
``{"id", "status": "cancelled"}``), timeMin/timeMax refused beside a syncToken, 410 Gone
for a token it never issued, 404 for a calendar it does not have. Requests must carry a
Bearer token it issued (``gmail_fake.write_token``'s).
"""

from __future__ import annotations

import json
import urllib.parse
from datetime import datetime
from typing import Any

import httplib2
from gmail_fake import NOT_FOUND, UNAUTHENTICATED, error_body

GONE = error_body(
    410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired", "GONE"
)
PREFIX = "/calendar/v3/calendars/"


def _moment(value: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))


class FakeGoogleCalendar:
    def __init__(self, calendars: tuple[str, ...] = ("primary",)) -> None:
        # calendar id -> event id -> (change number, event resource)
        self.calendars: dict[str, dict[str, tuple[int, dict[str, Any]]]] = {
            c: {} for c in calendars
        }
        self.change = 0
        self.access_tokens = {"ya29.initial"}
        self.calls: list[dict[str, list[str]]] = []  # the query of every events.list

    # -- changing the calendar (what the user does in Google Calendar) ------------------

    def put(self, calendar: str, resource: dict[str, Any]) -> None:
        self.change += 1
        self.calendars[calendar][resource["id"]] = (self.change, resource)

    def delete(self, calendar: str, event_id: str) -> None:
        self.change += 1
        self.calendars[calendar][event_id] = (
            self.change,
            {"kind": "calendar#event", "etag": f'"{self.change}"', "id": event_id,
             "status": "cancelled"},
        )  # fmt: skip

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
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        url = urllib.parse.urlsplit(uri)
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
            return _response(401, UNAUTHENTICATED)
        if method != "GET" or not url.path.startswith(PREFIX) or not url.path.endswith("/events"):
            return _response(404, NOT_FOUND)
        calendar = urllib.parse.unquote(url.path[len(PREFIX) : -len("/events")])
        if calendar not in self.calendars:
            return _response(404, NOT_FOUND)
        q = urllib.parse.parse_qs(url.query)
        self.calls.append(q)
        return self._list(calendar, q)

    def _list(self, calendar: str, q: dict[str, list[str]]) -> tuple[httplib2.Response, bytes]:
        held = sorted(self.calendars[calendar].values(), key=lambda pair: pair[1]["id"])
        if "syncToken" in q:
            if "timeMin" in q or "timeMax" in q:
                bad = error_body(400, "Invalid sync token usage", "invalid", "INVALID_ARGUMENT")
                return _response(400, bad)
            token = q["syncToken"][0]
            if not token.startswith("sync-") or not token[5:].isdigit():
                return _response(410, GONE)
            since = int(token[5:])
            items = [r for n, r in held if n > since]
        else:
            items = [r for _n, r in held if r.get("status") != "cancelled"]
            if "timeMin" in q:
                low = datetime.fromisoformat(q["timeMin"][0].replace("Z", "+00:00"))
                items = [r for r in items if _moment(r["end"]) > low]
            if "timeMax" in q:
                high = datetime.fromisoformat(q["timeMax"][0].replace("Z", "+00:00"))
                items = [r for r in items if _moment(r["start"]) < high]
        size = int(q.get("maxResults", ["250"])[0])
        offset = int(q.get("pageToken", ["0"])[0])
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{self.change}"',
            "summary": calendar,
            "updated": "2026-02-01T10:00:00.000Z",
            "timeZone": "Europe/Berlin",
            "accessRole": "owner",
            "defaultReminders": [],
            "items": items[offset : offset + size],
        }
        if offset + size < len(items):
            body["nextPageToken"] = str(offset + size)
        else:
            body["nextSyncToken"] = f"sync-{self.change}"
        return _response(200, body)


def _response(status: int, body: dict[str, Any]) -> tuple[httplib2.Response, bytes]:
    headers = {"status": str(status), "content-type": "application/json; charset=UTF-8"}
    return httplib2.Response(headers), json.dumps(body).encode("utf-8")
