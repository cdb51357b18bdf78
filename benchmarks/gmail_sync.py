"""First Gmail sync against the fake Gmail, offline (a benchmark, not a test).

Loads N generated messages (threads, quoted replies, multipart/HTML, PDF attachments,
newsletters; ~80% INBOX, ~20% Sent) into ``tests/connectors/gmail_fake.FakeGmail``,
warms its answer cache with one sync, then times a first sync of a fresh source through
the real google-api-python-client (discovery document, batch requests of 25, multipart
encoding and parsing, JSON) and our record building. The fake's own time answering is
measured and subtracted: what is left is the client's work, reported as messages/s,
split into the client library and the batching (googleapiclient + our orchestration)
and our parsing into records (``gmail_messages.to_record``). Pacing under the quota
rate is off (``quota_per_second = 0``): it would measure Google's limit, not our code.

    python benchmarks/gmail_sync.py --n 5000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]
sys.path += [str(REPO / "tests"), str(REPO / "tests" / "connectors")]

from gmail_fake import READONLY, FakeGmail, write_token  # noqa: E402
from mailgen import corpus  # noqa: E402

import connectors.gmail as gmail  # noqa: E402
from connectors.gmail_settings import (  # noqa: E402
    DEFAULT_COSTS,
    DEFAULT_PER_SECOND,
    settings_from_options,
)


def make_source(fake: FakeGmail, token: Path, scope: str) -> gmail.GmailSource:
    options = {
        "oauth_token_file": str(token),
        "scope": scope,
        "quota_per_second": 0,
        "quota_budget": 0,
        "page_size": 500,
    }
    return gmail.GmailSource(
        "bench", settings_from_options("bench", options), http_factory=lambda _t: fake
    )


def first_sync(fake: FakeGmail, token: Path, scope: str) -> tuple[int, float, float, float]:
    """(records, wall s, fake's serving s, our parsing s) of one first sync."""
    parse = [0.0]
    original = gmail.to_record

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            parse[0] += time.perf_counter() - started

    gmail.to_record = timed  # type: ignore[assignment]
    try:
        source = make_source(fake, token, scope)
        fake.serving = 0.0
        started = time.perf_counter()
        records = sum(len(b.records) for b in source.sync({}))
        wall = time.perf_counter() - started
    finally:
        gmail.to_record = original
    return records, wall, fake.serving, parse[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="messages (default 5000)")
    args = parser.parse_args()
    fake = FakeGmail(scopes=(READONLY,))
    for folder, raw in corpus(args.n):
        fake.add(["INBOX" if folder == "INBOX" else "SENT"], raw)
    with tempfile.TemporaryDirectory() as tmp:
        token = Path(tmp) / "token.json"
        write_token(token, scopes=(READONLY,))
        print(f"{args.n} messages, batch requests of 25, pages of 500")
        # What Google lets one user do: the ceiling the client has to beat.
        allowed = DEFAULT_PER_SECOND / DEFAULT_COSTS["messages_get"]
        print(f"  Gmail's per-user quota allows {allowed:.0f} messages.get/s")
        for scope in ("metadata", "readonly"):
            first_sync(fake, token, scope)  # warm the fake's answer cache
            records, wall, serving, parse = first_sync(fake, token, scope)
            client = wall - serving
            library = client - parse
            print(
                f"  scope={scope:8s} {records} records: wall {wall:.2f} s, fake {serving:.2f} s, "
                f"client {client:.2f} s = {records / client:,.0f} messages/s "
                f"(client library + batching {library:.2f} s, our parsing {parse:.2f} s), "
                f"{records / client / allowed:.0f}x the quota's rate"
            )
        source = make_source(fake, token, "metadata")
        state = {b.folder: b.checkpoint for b in source.sync({})}
        started = time.perf_counter()
        list(make_source(fake, token, "metadata").sync(state))
        print(f"  no-op incremental sync: {(time.perf_counter() - started) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
