"""The Gmail source against ``HttpMockSequence``: fixed answers shaped exactly as the
Gmail API documents them (a multipart/mixed batch response with a 429 part, a 404 on an
expired ``startHistoryId``), through the real client library and its discovery document.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from gmail_fake import METADATA, write_token
from googleapiclient.http import HttpMockSequence

from connectors.gmail import GmailCheckpoint, GmailSource
from connectors.gmail_settings import settings_from_options

JSON = {"status": "200", "content-type": "application/json; charset=UTF-8"}

LABELS = {
    "labels": [
        {
            "id": "INBOX",
            "name": "INBOX",
            "messageListVisibility": "hide",
            "labelListVisibility": "labelShow",
            "type": "system",
        },
        {"id": "SENT", "name": "SENT", "type": "system"},
        {"id": "SPAM", "name": "SPAM", "type": "system"},
        {"id": "Label_12", "name": "Clients/Acme", "type": "user"},
    ]
}


def metadata_message(mid: str, thread: str, subject: str, history: str) -> dict[str, Any]:
    return {
        "id": mid,
        "threadId": thread,
        "labelIds": ["INBOX", "IMPORTANT", "CATEGORY_PERSONAL", "Label_12"],
        "snippet": "Can you send the Q3 numbers?",
        "payload": {
            "partId": "",
            "mimeType": "multipart/alternative",
            "filename": "",
            "headers": [
                {"name": "From", "value": "Ana Example <Ana@Example.com>"},
                {"name": "To", "value": "Penny Example <penny@example.com>"},
                {"name": "Subject", "value": subject},
                {"name": "Date", "value": "Fri, 01 Mar 2024 09:00:00 +0000"},
                {"name": "Message-ID", "value": f"<{mid}@mail.example.com>"},
            ],
            "body": {"size": 0},
        },
        "sizeEstimate": 5243,
        "historyId": history,
        "internalDate": "1709283600000",
    }


def batch_response(parts: list[tuple[str, int, dict[str, Any]]]) -> tuple[dict[str, str], str]:
    """A batch answer as Google sends it: one application/http part per request, its
    Content-ID the request's (googleapiclient writes "<base + id>") prefixed "response-"."""
    reasons = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}
    body = ""
    for request_id, status, answer in parts:
        body += (
            "--batch_Ox4Q9mWbeXc_AAGmJeQlsVY\r\n"
            "Content-Type: application/http\r\n"
            f"Content-ID: <response-b29c5de2-0db4-490b-b421-6a51b598bd22 + {request_id}>\r\n\r\n"
            f"HTTP/1.1 {status} {reasons[status]}\r\n"
            "Content-Type: application/json; charset=UTF-8\r\n"
            "Vary: Origin\r\nVary: X-Origin\r\n\r\n"
            f"{json.dumps(answer)}\r\n"
        )
    body += "--batch_Ox4Q9mWbeXc_AAGmJeQlsVY--\r\n"
    headers = {
        "status": "200",
        "content-type": "multipart/mixed; boundary=batch_Ox4Q9mWbeXc_AAGmJeQlsVY",
    }
    return headers, body


RATE = {
    "error": {
        "code": 429,
        "message": "Too many concurrent requests for user.",
        "errors": [
            {
                "message": "Too many concurrent requests for user.",
                "domain": "global",
                "reason": "rateLimitExceeded",
            }
        ],
        "status": "RESOURCE_EXHAUSTED",
    }
}
NOT_FOUND = {
    "error": {
        "code": 404,
        "message": "Requested entity was not found.",
        "errors": [
            {"message": "Requested entity was not found.", "domain": "global", "reason": "notFound"}
        ],
        "status": "NOT_FOUND",
    }
}


def source(
    tmp_path: Path, responses: list[tuple[dict[str, str], str]], sleeps: list[float]
) -> tuple[GmailSource, HttpMockSequence]:
    token = tmp_path / "token.json"
    write_token(token, scopes=(METADATA,))
    http = HttpMockSequence(responses)
    settings = settings_from_options("gmail", {"oauth_token_file": str(token), "labels": ["INBOX"]})
    src = GmailSource(
        "gmail",
        settings,
        http_factory=lambda _t: http,
        sleep=sleeps.append,
        clock=lambda: 1.7e9,
        rng=random.Random(3),
    )
    return src, http


def test_a_429_part_in_a_200_batch_is_sent_again_alone(tmp_path: Path) -> None:
    one = metadata_message(
        "18e0f1a2b3c4d5e6",
        "18e0f1a2b3c4d5e6",
        "=?UTF-8?B?UTMgbnVtYmVycyDigJQgcXVpY2sgcXVlc3Rpb24=?=",
        "4200",
    )
    two = metadata_message("18e0f1a2b3c4d5e7", "18e0f1a2b3c4d5e6", "Re: Q3", "4210")
    sleeps: list[float] = []
    src, http = source(
        tmp_path,
        [
            (JSON, json.dumps(LABELS)),
            (
                JSON,
                json.dumps(
                    {
                        "emailAddress": "penny@example.com",
                        "messagesTotal": 2,
                        "threadsTotal": 1,
                        "historyId": "4242",
                    }
                ),
            ),
            (
                JSON,
                json.dumps(
                    {
                        "messages": [
                            {"id": one["id"], "threadId": one["threadId"]},
                            {"id": two["id"], "threadId": two["threadId"]},
                        ],
                        "resultSizeEstimate": 2,
                    }
                ),
            ),
            batch_response([(one["id"], 200, one), (two["id"], 429, RATE)]),
            batch_response([(two["id"], 200, two)]),
        ],
        sleeps,
    )
    (batch,) = list(src.sync({}))
    by_uid = {r.uid: r for r in batch.records}
    assert set(by_uid) == {one["id"], two["id"]}
    first = by_uid[one["id"]]
    assert first.subject == "Q3 numbers — quick question"
    assert first.sender is not None and first.sender.email == "ana@example.com"
    assert first.gmail_thread_id == by_uid[two["id"]].gmail_thread_id == one["id"]
    assert "Clients/Acme" in first.labels and first.size == 5243
    assert GmailCheckpoint.loads(batch.checkpoint) == GmailCheckpoint(4242)
    assert len(sleeps) == 1
    retry_body = http.request_sequence[4][2]
    assert two["id"] in retry_body and one["id"] not in retry_body
    listing_uri = http.request_sequence[2][0]
    assert "labelIds=INBOX" in listing_uri and "q=" not in listing_uri
    first_batch = http.request_sequence[3][2]
    assert "format=metadata" in first_batch and "metadataHeaders=Message-ID" in first_batch


def test_a_404_on_the_history_id_is_a_full_resync_with_a_listing(tmp_path: Path) -> None:
    kept = metadata_message("18e0f1a2b3c4d5e6", "18e0f1a2b3c4d5e6", "Q3", "4800")
    sleeps: list[float] = []
    src, http = source(
        tmp_path,
        [
            (JSON, json.dumps(LABELS)),
            (
                {"status": "404", "content-type": "application/json; charset=UTF-8"},
                json.dumps(NOT_FOUND),
            ),
            (
                JSON,
                json.dumps(
                    {
                        "emailAddress": "penny@example.com",
                        "messagesTotal": 1,
                        "threadsTotal": 1,
                        "historyId": "5000",
                    }
                ),
            ),
            (
                JSON,
                json.dumps(
                    {
                        "messages": [{"id": kept["id"], "threadId": kept["threadId"]}],
                        "resultSizeEstimate": 1,
                    }
                ),
            ),
            batch_response([(kept["id"], 200, kept)]),
            (
                JSON,
                json.dumps(
                    {
                        "messages": [{"id": kept["id"], "threadId": kept["threadId"]}],
                        "resultSizeEstimate": 1,
                    }
                ),
            ),
        ],
        sleeps,
    )
    old = GmailCheckpoint(1234).dumps()
    (batch,) = list(src.sync({"INBOX": old}))
    assert [r.uid for r in batch.records] == [kept["id"]]
    assert batch.listing is not None and batch.listing.uids == {kept["id"]}
    cp = GmailCheckpoint.loads(batch.checkpoint)
    assert cp == GmailCheckpoint(5000, resyncs=(1.7e9,))
    assert "startHistoryId=1234" in http.request_sequence[1][0]
    assert "maxResults=500" in http.request_sequence[5][0]
    assert sleeps == []  # a 404 is an answer, not a reason to retry
