"""Gmail API source behaviours beyond the contract: scopes, batching, history, resyncs,
quota, backoff and the token, through the real client library against the fake Gmail."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from contract import run
from gmail_fake import METADATA, RATE_LIMITED, READONLY, FakeGmail, Fault, write_token
from mailgen import ME, PEOPLE, make_message

from connectors.errors import AuthError, ConnectorError
from connectors.gmail import GmailCheckpoint, GmailSource
from connectors.gmail_settings import settings_from_options
from connectors.google_calls import QuotaExhausted
from connectors.records import Skipped

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def inbox(n: int, **kw: object) -> bytes:
    return make_message(n, sender=PEOPLE[n % 4], to=ME, date=T0 + timedelta(days=n), **kw)  # type: ignore[arg-type]


def source(
    fake: FakeGmail,
    tmp_path: Path,
    *,
    sleeps: list[float] | None = None,
    now: float = 1.7e9,
    **options: object,
) -> GmailSource:
    token = tmp_path / "token.json"
    if not token.exists():
        write_token(token, scopes=fake.scopes)
    opts: dict[str, object] = {"oauth_token_file": str(token), **options}
    return GmailSource(
        "gmail",
        settings_from_options("gmail", opts),
        http_factory=lambda _t: fake,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        clock=lambda: now,
        rng=random.Random(7),
    )


def filled(n: int = 6, *, scopes: tuple[str, ...] = (READONLY,)) -> FakeGmail:
    fake = FakeGmail(scopes=scopes)
    for i in range(n):
        fake.add(["INBOX", "UNREAD"], inbox(i))
    fake.add(["SENT"], make_message(99, sender=ME, to=PEOPLE[1], subject="Mine"))
    return fake


def test_metadata_scope_reads_headers_only_by_label(tmp_path: Path) -> None:
    fake = filled(scopes=(METADATA,))  # the fake refuses format=full and q= under it
    fake.add(["SPAM"], inbox(50, subject="Spam"))
    fake.add(["TRASH", "INBOX"], inbox(51, subject="Trashed"))
    result = run(source(fake, tmp_path))
    assert {b.folder: b.role for b in result.batches} == {"INBOX": "inbox", "SENT": "sent"}
    subjects = {r.subject for r in result.records}
    assert subjects == {f"Message {i}" for i in range(6)} | {"Mine"}
    assert all(r.excerpt == "" for r in result.records)
    first = next(r for r in result.records if r.subject == "Message 0")
    assert first.sender is not None and first.sender.email == PEOPLE[0][1]
    assert first.gmail_thread_id and first.labels == ("INBOX", "UNREAD")
    assert first.date == T0


def test_readonly_scope_reads_the_first_kb_of_text(tmp_path: Path) -> None:
    fake = FakeGmail()
    long_body = "Can you send the contract? " + "word " * 2000
    fake.add(["INBOX"], inbox(1, body=long_body, html=True, attachment=("deck.pdf", b"%PDF-1")))
    (record,) = run(source(fake, tmp_path, scope="readonly", labels=["INBOX"])).records
    assert record.excerpt.startswith("Can you send the contract?")
    assert 900 <= len(record.excerpt) <= 1024
    assert record.attachments == ("deck.pdf",)


def test_readonly_configured_but_only_metadata_granted_needs_reconnect(tmp_path: Path) -> None:
    fake = filled(scopes=(METADATA,))
    with pytest.raises(
        AuthError,
        match=r"needs reconnect: run followup auth gmail to grant "
        r"gmail.readonly .*grants gmail.metadata only",
    ):
        run(source(fake, tmp_path, scope="readonly"))
    assert fake.calls == []  # refused before any call


def test_messages_are_fetched_in_batches_of_at_most_25(tmp_path: Path) -> None:
    fake = filled(60)
    result = run(source(fake, tmp_path, page_size=100))
    assert len(result.records) == 61
    assert fake.batches and max(fake.batches) <= 25
    assert sum(fake.batches) == 61
    smaller = filled(12)
    run(source(smaller, tmp_path / "b", batch_size=5, page_size=100))
    assert smaller.batches == [5, 5, 2, 1]


def test_since_bounds_the_listing_and_filters_dates(tmp_path: Path) -> None:
    fake = filled(40)  # Message i dated T0 + i days, newest listed first
    result = run(source(fake, tmp_path, since="2024-03-31", page_size=5, labels=["INBOX"]))
    assert {r.subject for r in result.records} == {f"Message {i}" for i in range(30, 40)}
    # Paging stopped at the page that reached past `since`: 3 pages, not 8.
    lists = [p for m, p in fake.calls if p.endswith("/messages")]
    assert len(lists) == 3


def test_first_sync_checkpoint_is_the_history_id_when_listing_began(tmp_path: Path) -> None:
    fake = filled(3)
    before = fake.history_id
    result = run(source(fake, tmp_path))
    assert GmailCheckpoint.loads(result.checkpoints["INBOX"]) == GmailCheckpoint(before)


def test_page_checkpoints_resume_a_killed_first_sync(tmp_path: Path) -> None:
    fake = filled(12)
    src = source(fake, tmp_path, page_size=5, labels=["INBOX"])
    batches = src.sync({})
    first = next(batches)
    batches.close()  # the run is killed after the first page was committed
    cp = GmailCheckpoint.loads(first.checkpoint)
    assert cp is not None and cp.page_token
    rest = run(source(fake, tmp_path, page_size=5, labels=["INBOX"]), {"INBOX": first.checkpoint})
    got = [r.subject for r in first.records] + [r.subject for r in rest.records]
    assert sorted(got) == sorted(f"Message {i}" for i in range(12))
    assert len(got) == 12
    assert GmailCheckpoint.loads(rest.checkpoints["INBOX"]) == GmailCheckpoint(cp.history_id)


def test_history_collapses_changes_per_message(tmp_path: Path) -> None:
    fake = filled(4)
    src = source(fake, tmp_path)
    first = run(src)
    by_subject = {r.subject: r.uid for r in first.records}
    quick = fake.add(["INBOX"], inbox(70, subject="Here and gone"))
    fake.delete(quick)  # added then deleted: cancels, nothing fetched, nothing listed
    kept = fake.add(["INBOX"], inbox(71, subject="New"))
    fake.relabel(kept, remove=("UNREAD",))
    fake.relabel(by_subject["Message 1"], remove=("UNREAD",))  # not a folder change
    fake.calls.clear()
    second = run(src, first.checkpoints)
    assert [r.subject for r in second.records] == ["New"]
    assert all(b.listing is None for b in second.batches)
    fetched = [p for _m, p in fake.calls if "/messages/" in p]
    assert fetched == [f"/gmail/v1/users/me/messages/{kept}"]
    assert [p for _m, p in fake.calls].count("/gmail/v1/users/me/history") == 1


def test_archived_trashed_and_spammed_messages_leave_the_folder(tmp_path: Path) -> None:
    fake = filled(5)
    src = source(fake, tmp_path)
    first = run(src)
    ids = {r.subject: r.uid for r in first.records}
    fake.relabel(ids["Message 0"], remove=("INBOX",))  # archived
    fake.relabel(ids["Message 1"], add=("TRASH",))
    fake.relabel(ids["Message 2"], add=("SPAM",), remove=("INBOX",))
    second = run(src, first.checkpoints)
    (listing,) = [b.listing for b in second.batches if b.listing is not None]
    assert [b.folder for b in second.batches if b.listing is not None] == ["INBOX"]
    assert listing.uids == {ids["Message 3"], ids["Message 4"]}
    assert second.records == []


def test_history_pages_are_all_read(tmp_path: Path) -> None:
    fake = filled(1)
    src = source(fake, tmp_path)
    first = run(src)
    for i in range(1200):  # history.list pages of 500: three pages
        fake.add(["IMPORTANT"], inbox(200 + i))
    fake.add(["INBOX"], inbox(5000, subject="Last"))
    second = run(src, first.checkpoints)
    assert [r.subject for r in second.records] == ["Last"]
    assert [p for _m, p in fake.calls].count("/gmail/v1/users/me/history") == 3
    assert GmailCheckpoint.loads(second.checkpoints["INBOX"]) == GmailCheckpoint(fake.history_id)


def test_expired_history_id_means_a_full_resync_with_a_listing(tmp_path: Path) -> None:
    fake = filled(3)
    src = source(fake, tmp_path)
    first = run(src)
    ids = {r.subject: r.uid for r in first.records}
    fake.delete(ids["Message 0"])
    fake.add(["INBOX"], inbox(80, subject="During the gap"))
    fake.oldest_history = fake.history_id  # Google forgot everything before now
    second = run(src, first.checkpoints)
    inbox_batches = [b for b in second.batches if b.folder == "INBOX"]
    assert {r.subject for b in inbox_batches for r in b.records} == {
        "Message 1",
        "Message 2",
        "During the gap",
    }
    assert inbox_batches[-1].listing is not None
    assert ids["Message 0"] not in inbox_batches[-1].listing.uids
    cp = GmailCheckpoint.loads(second.checkpoints["INBOX"])
    assert cp is not None and not cp.resync and len(cp.resyncs) == 1
    third = run(src, second.checkpoints)  # back to incremental
    assert third.records == [] and all(b.listing is None for b in third.batches)


def test_repeated_full_resyncs_trip_the_breaker(tmp_path: Path) -> None:
    fake = filled(2)
    src = source(fake, tmp_path, max_full_resyncs=2)
    state = run(src).checkpoints
    for _ in range(2):
        fake.add(["INBOX"], inbox(90))
        fake.oldest_history = fake.history_id + 1
        state = run(src, state).checkpoints
    fake.oldest_history = fake.history_id + 1
    with pytest.raises(ConnectorError, match="lost the sync position 2 times within a day"):
        run(src, state)
    # A day later the breaker lets a resync through again.
    later = source(fake, tmp_path, max_full_resyncs=2, now=1.7e9 + 90_000)
    assert run(later, state).records


def test_429_inside_a_batch_retries_only_the_failed_parts(tmp_path: Path) -> None:
    fake = filled(6)
    ids = sorted(fake.messages)
    throttled = {ids[1], ids[4]}
    fake.faults.append(
        Fault(lambda _m, p: any(f"/messages/{i}?" in p for i in throttled), 429, RATE_LIMITED, 2)
    )
    sleeps: list[float] = []
    src = source(fake, tmp_path, sleeps=sleeps)
    result = run(src)
    assert len(result.records) == 7 and result.skipped == []
    assert fake.batches[:2] == [6, 2]  # the retry carried just the two throttled parts
    assert src.caller.retried == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 1.0


def test_rate_limit_403_backs_off_exponentially_with_jitter(tmp_path: Path) -> None:
    fake = filled(1)
    body = {
        "error": {
            "code": 403,
            "message": "User rate limit exceeded",
            "errors": [
                {
                    "message": "User rate limit exceeded",
                    "domain": "usageLimits",
                    "reason": "userRateLimitExceeded",
                }
            ],
            "status": "PERMISSION_DENIED",
        }
    }
    fake.faults.append(Fault(lambda _m, p: "/labels?" in p, 403, body, 4))
    sleeps: list[float] = []
    result = run(source(fake, tmp_path, sleeps=sleeps))
    assert len(result.records) == 2
    assert len(sleeps) == 4
    assert all(0 <= s <= 2**i for i, s in enumerate(sleeps))
    assert len(set(sleeps)) == 4  # jittered, not a fixed schedule


def test_persistent_errors_are_one_line_connector_errors(tmp_path: Path) -> None:
    fake = filled(1)
    fake.faults.append(
        Fault(
            lambda _m, p: "/labels?" in p,
            500,
            {
                "error": {
                    "code": 500,
                    "message": "Backend Error",
                    "errors": [{"reason": "backendError"}],
                }
            },
            99,
        )
    )
    with pytest.raises(
        ConnectorError,
        match=r"^gmail: Google answered HTTP 500 backendError"
        r": Backend Error while listing labels$",
    ) as info:
        run(source(fake, tmp_path, retries=2))
    assert info.value.retryable


def test_quota_budget_stops_the_run_and_the_next_continues(tmp_path: Path) -> None:
    fake = filled(30)
    costs = {"labels_list": 1, "get_profile": 1, "messages_list": 5, "messages_get": 5}
    src = source(
        fake, tmp_path, quota_budget=100, page_size=10, labels=["INBOX"], quota_costs=costs
    )
    state: dict[str, str] = {}
    with pytest.raises(QuotaExhausted, match="quota budget of 100 units"):
        for batch in src.sync({}):
            state[batch.folder] = batch.checkpoint
    assert src.budget.spent <= 100
    assert GmailCheckpoint.loads(state["INBOX"]).page_token  # type: ignore[union-attr]
    rest = run(source(fake, tmp_path, page_size=10, labels=["INBOX"]), state)
    assert len(rest.records) == 20  # the 10 of the first run's page are not read again


def test_quota_rate_limit_paces_the_calls(tmp_path: Path) -> None:
    fake = filled(30)
    sleeps: list[float] = []
    src = source(fake, tmp_path, sleeps=sleeps, quota_per_second=130, labels=["INBOX"])
    ticks = iter(range(1000))
    src.budget.clock = lambda: next(ticks) * 0.01
    run(src)
    assert sleeps  # 30 gets x 5 units do not fit in one second's 130


def test_a_token_about_to_expire_is_refreshed_first(tmp_path: Path) -> None:
    fake = filled(1)
    token = tmp_path / "token.json"
    write_token(token, expires_at=int(1.7e9) + 30)  # within the refresh margin
    run(source(fake, tmp_path))
    saved = json.loads(token.read_text())
    assert fake.refreshes == 1
    assert saved["access_token"] == "ya29.refreshed-1"
    assert saved["refresh_token"] == "1//refresh"
    assert token.stat().st_mode & 0o777 == 0o600


def test_401_then_refresh_then_success_and_the_token_file_is_rewritten(tmp_path: Path) -> None:
    fake = filled(2)
    fake.access_tokens.clear()  # Google revoked the access token but not the refresh token
    token = tmp_path / "token.json"
    result = run(source(fake, tmp_path))
    assert len(result.records) == 3
    assert fake.refreshes == 1
    assert json.loads(token.read_text())["access_token"] == "ya29.refreshed-1"
    assert token.stat().st_mode & 0o777 == 0o600


def test_revoked_refresh_token_says_needs_reconnect(tmp_path: Path) -> None:
    fake = filled(2)
    fake.access_tokens.clear()
    fake.refresh_tokens.clear()  # revoked, or a Testing app's token past 7 days
    with pytest.raises(AuthError) as info:
        run(source(fake, tmp_path))
    message = str(info.value)
    assert message.startswith("gmail: needs reconnect: run followup auth gmail")
    assert "invalid_grant" in message
    assert "\n" not in message and "ya29" not in message and "1//refresh" not in message


def test_missing_token_file_says_needs_reconnect(tmp_path: Path) -> None:
    src = GmailSource(
        "gmail",
        settings_from_options("gmail", {"oauth_token_file": str(tmp_path / "none.json")}),
        http_factory=lambda _t: FakeGmail(),
    )
    with pytest.raises(AuthError, match="needs reconnect: run followup auth gmail"):
        run(src)


def test_probe_reports_scopes_labels_and_the_text_note(tmp_path: Path) -> None:
    fake = filled(2, scopes=(METADATA,))
    details = source(fake, tmp_path).probe()
    assert details["granted_scopes"] == [METADATA]
    assert details["email"] == "penny@example.com"
    assert details["reads_text"] is False
    assert "no requests or promises" in details["text_note"]
    assert [(x["label_id"], x["messages"]) for x in details["configured"]] == [
        ("INBOX", 2),
        ("SENT", 1),
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "oauth_token_file is required"),
        ({"oauth_token_file": "t", "scope": "full"}, 'scope must be "metadata"'),
        ({"oauth_token_file": "t", "labels": ["INBOX", "SPAM"]}, "SPAM is never read"),
        ({"oauth_token_file": "t", "batch_size": 50}, "batch_size must be a whole number"),
        (
            {"oauth_token_file": "t", "quota_costs": {"messages_send": 1}},
            "quota_costs.messages_send",
        ),
        ({"oauth_token_file": "t", "since": "last year"}, "since must be a date"),
        ({"oauth_token_file": "t", "q": "is:unread"}, "unknown option(s) q"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], expected: str) -> None:
    with pytest.raises(ConnectorError) as info:
        settings_from_options("gmail", options)
    assert expected in info.value.message


def test_unknown_label_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="no Gmail label 'Clients'"):
        run(source(filled(1), tmp_path, labels=["INBOX", "Clients"]))


def test_hostile_header_values_cannot_forge_fields() -> None:
    # Terminal escapes stay in the store like every source's; the output layer cleans them.
    from connectors.gmail_messages import to_record

    message = {
        "id": "18c1",
        "threadId": "18c1",
        "labelIds": ["INBOX"],
        "internalDate": "1709283600000",
        "payload": {
            "headers": [
                {"name": "From", "value": "Ana <ana@example.com>"},
                {"name": "Subject", "value": "Hi\r\nBcc: evil@example.net\x00"},
                {"name": "Bad Name", "value": "ignored"},
                {"name": "Date", "value": "Fri, 01 Mar 2024 09:00:00 +0000"},
                "not a header",
            ]
        },
    }
    record = to_record(
        message,
        source="g",
        folder="INBOX",
        role="inbox",
        label_names={},
        excerpt_chars=100,
        with_text=True,
    )
    assert not isinstance(record, Skipped)
    assert record.bcc == ()
    assert "\x00" not in record.subject and "\n" not in record.subject
    assert record.message_id  # synthesised: the message had none


@pytest.mark.parametrize(
    "message",
    [
        {"id": "1"},
        {"id": "2", "payload": "not a dict"},
        {"id": "3", "payload": {"headers": None, "parts": [None, {"body": {"data": "@@@"}}]}},
        {
            "id": "4",
            "internalDate": "soon",
            "payload": {"mimeType": "text/plain", "body": {"data": "!!"}},
        },
    ],
)
def test_malformed_messages_are_skipped_with_a_reason_never_raised(message: dict) -> None:
    from connectors.gmail_messages import to_record

    result = to_record(
        message,
        source="g",
        folder="INBOX",
        role="inbox",
        label_names={},
        excerpt_chars=100,
        with_text=True,
    )
    assert isinstance(result, Skipped)
    assert result.reason


def test_an_expired_page_token_restarts_the_listing(tmp_path: Path) -> None:
    fake = filled(7)
    stale = GmailCheckpoint(fake.history_id - 3, page_token="expired-token").dumps()
    result = run(source(fake, tmp_path, labels=["INBOX"]), {"INBOX": stale})
    assert len(result.records) == 7
    cp = GmailCheckpoint.loads(result.checkpoints["INBOX"])
    assert cp == GmailCheckpoint(fake.history_id)  # a fresh start: today's history id
