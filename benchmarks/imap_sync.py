"""IMAP sync speed against a real Dovecot on 127.0.0.1 (a benchmark, not a test).

Loads N generated messages (threads, quoted replies, multipart/HTML, PDF attachments,
newsletters; ~80% INBOX, ~20% Sent) straight into a throwaway Dovecot's Maildir, then
measures in one run:

  (a) raw imapclient: the same FETCH items in the same UID batches the connector sends
      (header fields + BODYSTRUCTURE + INTERNALDATE + RFC822.SIZE, then the text part's
      first KB per section group) with no parsing of ours: the ceiling;
  (b) ``followup sync`` end to end (``followup.sync.sync_all``: the mailbox, then
      identities and threads) into a fresh SQLite store;
  (c) a second, no-op sync (ms);
  (d) a sync after one message is expunged (ms): the folder is listed to mirror it.

Prints messages/s for (a) and (b), the ratio b/a, (c) in ms, and peak RSS.

    python benchmarks/imap_sync.py --n 20000
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repo first, tests/ last: tests/connectors/ (no __init__) must not shadow the
# connectors package as a namespace package.
sys.path[:0] = [str(REPO)]
sys.path.append(str(REPO / "tests"))

import imapclient  # noqa: E402
from mailgen import corpus  # noqa: E402
from servers import Dovecot  # noqa: E402

from connectors.imap import DEFAULT_BATCH_SIZE, EXCERPT_CHARS  # noqa: E402
from connectors.imap_fetch import BASE_ITEMS  # noqa: E402
from connectors.imap_parts import analyse  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def connect(server: Dovecot, user) -> imapclient.IMAPClient:  # type: ignore[no-untyped-def]
    client = imapclient.IMAPClient(server.host, server.imap_port, ssl=False, timeout=60)
    client.login(user.name, user.password)
    client.normalise_times = False
    return client


def plan_sections(server: Dovecot, user, folders, batch_size):  # type: ignore[no-untyped-def]
    """Per folder, per batch: the UIDs and the (section, length) groups of the 2nd FETCH.

    Also the warm-up: Dovecot builds its index and cache on the first FETCH, which the
    timed runs should not pay.
    """
    plan = {}
    with connect(server, user) as client:
        for folder in folders:
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"))
            batches = []
            for i in range(0, len(uids), batch_size):
                chunk = uids[i : i + batch_size]
                groups: dict[str, list[int]] = {}
                for uid, data in client.fetch(chunk, BASE_ITEMS).items():
                    text = analyse(data.get(b"BODYSTRUCTURE")).text
                    if text is not None:
                        item = f"BODY.PEEK[{text.section}]<0.{text.fetch_length(EXCERPT_CHARS)}>"
                        groups.setdefault(item, []).append(uid)
                for item, group in groups.items():
                    client.fetch(group, [item])
                batches.append((chunk, groups))
            plan[folder] = batches
    return plan


def raw_fetch(server: Dovecot, user, plan) -> int:  # type: ignore[no-untyped-def]
    n = 0
    with connect(server, user) as client:
        for folder, batches in plan.items():
            client.folder_status(folder, ["UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"])
            client.select_folder(folder, readonly=True)
            client.search(["UID", "1:*"])
            for chunk, groups in batches:
                n += len(client.fetch(chunk, BASE_ITEMS))
                for item, group in groups.items():
                    client.fetch(group, [item])
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="messages to load (20000)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs, best kept (3)")
    args = parser.parse_args()

    from datetime import UTC, datetime

    from followup.config import Config, MeSettings, SourceSettings
    from followup.store.store import Store
    from followup.sync import open_mail_source, sync_all

    server = Dovecot.create()
    try:
        user = server.add_user()
        t = time.perf_counter()
        total_bytes = 0

        def counted():  # type: ignore[no-untyped-def]
            nonlocal total_bytes
            for folder, raw in corpus(args.n):
                total_bytes += len(raw)
                yield folder, raw

        server.deliver_many(user, counted())
        gc.collect()
        print(
            f"loaded {args.n} messages ({total_bytes / 1e6:.0f} MB, "
            f"mean {total_bytes / args.n / 1024:.1f} KB) in {time.perf_counter() - t:.1f} s"
        )
        t = time.perf_counter()
        plan = plan_sections(server, user, ["INBOX", "Sent"], args.batch_size)
        print(f"warm-up (Dovecot indexing) {time.perf_counter() - t:.1f} s")
        rss_before = peak_rss_mb()

        settings = SourceSettings(
            name="bench",
            kind="imap",
            options={
                "host": server.host,
                "port": server.imap_port,
                "security": "none",
                "allow_insecure": True,
                "username": user.name,
                "password_command": ["printf", "%s", user.password],
                "batch_size": args.batch_size,
            },
        )
        config = Config(me=MeSettings(addresses=("penny@example.com",)), mail=(settings,))
        now = datetime.now(UTC)
        raw_times, source_times, sync_times = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            # Interleaved, best of --repeat: the machine is shared, so noise is one-sided.
            for i in range(args.repeat):
                t = time.perf_counter()
                n_raw = raw_fetch(server, user, plan)
                raw_times.append(time.perf_counter() - t)

                source = open_mail_source(settings)
                t = time.perf_counter()
                n_source = sum(batch.seen for batch in source.sync({}))
                source_times.append(time.perf_counter() - t)
                source.close()

                store = Store.open(f"sqlite:///{tmp}/bench{i}.db")
                t = time.perf_counter()
                (report,) = sync_all(store, config, now)
                sync_times.append(time.perf_counter() - t)
                assert report.error is None, report.error
                n_sync = sum(f.seen for f in report.folders.values())
                stored = store.count_messages()
                if i < args.repeat - 1:
                    store.close()
            a, s, b = min(raw_times), min(source_times), min(sync_times)
            noop_times = []
            for _ in range(3):
                t = time.perf_counter()
                (noop,) = sync_all(store, config, now)
                noop_times.append(time.perf_counter() - t)
                assert noop.error is None and noop.new == 0, noop.to_dict()
            c = min(noop_times)
            # One message expunged: the count no longer adds up, so INBOX is listed once.
            with server.client(user) as client:
                client.select_folder("INBOX")
                client.delete_messages(client.search("ALL")[:1])
                client.expunge()
            t = time.perf_counter()
            (pruned,) = sync_all(store, config, now)
            d = time.perf_counter() - t
            assert pruned.error is None and pruned.gone == 1, pruned.to_dict()
            store.close()

        print(f"(a) raw imapclient FETCH: {n_raw} msgs in {a:.2f} s = {n_raw / a:,.0f} msgs/s")
        print(
            f"    connector alone, no store: {n_source} msgs in {s:.2f} s = "
            f"{n_source / s:,.0f} msgs/s (ratio {a / s:.2f})"
        )
        print(
            f"(b) followup sync -> SQLite: {n_sync} msgs ({stored} stored) in {b:.2f} s "
            f"= {n_sync / b:,.0f} msgs/s"
        )
        print(f"    ratio b/a = {a / b:.2f}")
        print(f"(c) no-op sync: {c * 1000:.1f} ms")
        print(f"(d) sync after one message expunged (a folder listed): {d * 1000:.1f} ms")
        print(f"peak RSS {peak_rss_mb():.0f} MB (before the timed runs: {rss_before:.0f} MB)")
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
