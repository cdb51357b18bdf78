"""IMAP sync speed against a real Dovecot on 127.0.0.1 (a benchmark, not a test).

Loads N messages straight into a throwaway Dovecot's Maildir (INBOX and Sent): mail
shaped like real mail from ``mailbox_gen`` (correspondents, threads, quoted replies,
signatures, bulk mail, 0.5-20 KB bodies), a share of MIME-heavy mail from the tests'
``mailgen.corpus`` (multipart/alternative with HTML, PDF attachments) and, with
``--mbox DIR``, every message of a folder of real mbox archives first. Then, in one run,
interleaved, ``--repeat`` times each:

  (a) raw imapclient: connect, LOGIN, per folder STATUS + EXAMINE + SEARCH, and the same
      FETCH items in the same UID batches the connector sends (header fields +
      BODYSTRUCTURE + RFC822.SIZE, then each text part's first KB per section group),
      with no parsing of ours: the ceiling;
  (b) ``followup sync`` as a process: the CLI started, timed until it exits, into a
      fresh SQLite store (start-up, the mailbox, identities and threads included);
  (c) the connector alone in this process, records made but not stored (for the split).

Prints the medians, messages/s, the ratio a/b (the target is >= 0.5), the process's
no-op sync and the sync after one message is expunged, and the CLI's peak RSS.
``--profile FILE`` writes a cProfile of one more ``followup sync`` process and prints
its stage split. ``--baseline DIR`` (a checkout of another revision, e.g. ``git worktree
add``) times that revision's ``followup sync`` too, interleaved with the others.

    python benchmarks/imap_sync.py --n 9000 --mbox ~/mail/archive
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import mailbox
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repo first, tests/ last: tests/connectors/ (no __init__) must not shadow the
# connectors package as a namespace package.
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
sys.path.append(str(REPO / "tests"))

import imapclient  # noqa: E402
import mailbox_gen  # noqa: E402
from mailgen import corpus  # noqa: E402
from servers import Dovecot  # noqa: E402

from connectors.imap import DEFAULT_BATCH_SIZE, EXCERPT_CHARS  # noqa: E402
from connectors.imap_fetch import BASE_ITEMS  # noqa: E402
from connectors.imap_parts import analyse  # noqa: E402

ME = "penny@example.com"
# Of the generated mail, this share comes from mailgen.corpus (MIME-heavy).
MIME_SHARE = 0.3
# The stage split of a profiled sync: (label, file suffix, function), cumulative time.
STAGES = (
    ("open the store (migrations)", "followup/store/store.py", "open"),
    ("connector: IMAP + parse (in-process)", "connectors/imap.py", "sync"),
    ("  of it, FETCH responses read", "connectors/imap_fetch.py", "result"),
    ("waiting for the IMAP reader process", "followup/source_child.py", "read_frame"),
    ("screen (privacy)", "followup/store/privacy.py", "screen_batch"),
    ("own_text (quotes cut, in-process)", "followup/own_text.py", "own_text_only"),
    ("store: write_batch", "followup/store/mail.py", "write_batch"),
    ("identity", "followup/store/mail.py", "refresh_identity"),
    ("threads", "followup/store/threads.py", "assign_threads"),
)


def mbox_messages(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every message of every ``*.mbox`` under ``folder``; sent mail into Sent."""
    for path in sorted(folder.glob("*.mbox")):
        target = "Sent" if "sent" in path.stem.lower() else "INBOX"
        for message in mailbox.mbox(path):
            yield target, message.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def messages(n: int, mbox: Path | None) -> Iterator[tuple[str, bytes]]:
    """``n`` messages: the mbox archive's first, then generated ones."""
    real = list(itertools.islice(mbox_messages(mbox), n)) if mbox else []
    yield from real
    rest = n - len(real)
    mime = int(rest * MIME_SHARE)
    yield from corpus(mime)
    yield from mailbox_gen.messages(rest - mime)


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
            client.folder_status(folder, ["MESSAGES", "UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ"])
            client.select_folder(folder, readonly=True)
            client.search(["UID", "1:*"])
            for chunk, groups in batches:
                n += len(client.fetch(chunk, BASE_ITEMS))
                for item, group in groups.items():
                    client.fetch(group, [item])
    return n


def write_config(path: Path, db: Path, server: Dovecot, user, batch_size: int) -> None:  # type: ignore[no-untyped-def]
    def q(value: str) -> str:
        return json.dumps(value)  # a TOML basic string

    path.write_text(
        f"""[me]
name = "Penny Example"
addresses = [{q(ME)}]

[storage]
url = {q(f"sqlite:///{db}")}

[[mail]]
name = "bench"
kind = "imap"
host = {q(server.host)}
port = {server.imap_port}
security = "none"
allow_insecure = true
username = {q(user.name)}
password_command = ["printf", "%s", {q(user.password)}]
batch_size = {batch_size}
""",
        encoding="utf-8",
    )


def followup_command() -> list[str]:
    script = Path(sys.executable).parent / "followup"
    return [str(script)] if script.exists() else [sys.executable, "-m", "followup"]


def run_cli(  # type: ignore[type-arg]
    config: Path, home: Path, *, python: tuple[str, ...] = (), code: Path | None = None
) -> tuple[float, list, str]:
    """``followup sync --json`` as a process: (seconds from start to exit, its report,
    its stderr). ``python``: run it as ``python <options> -m followup`` instead.
    ``code``: a checkout whose followup/connectors/nlp are run instead of this one's."""
    env = {**os.environ, "FOLLOWUP_HOME": str(home), "FOLLOWUP_CONFIG": str(config)}
    if code is not None:  # ahead of the editable install on sys.path
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code), env.get("PYTHONPATH")]))
    command = [sys.executable, *python, "-m", "followup"] if python else followup_command()
    t = time.perf_counter()
    done = subprocess.run(
        [*command, "sync", "--json"], env=env, capture_output=True, check=False, text=True
    )
    elapsed = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"followup sync failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, json.loads(done.stdout), done.stderr


def seen(report: list) -> int:  # type: ignore[type-arg]
    return sum(f["seen"] for source in report for f in source["folders"])


def import_seconds(lines: str) -> float:
    """Total import time from ``-X importtime`` output (its top-level entries)."""
    total = 0
    for line in lines.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match:  # no indent before the name: imported by the program, not by an import
            total += int(match.group(1))
    return total / 1e6


def stage_split(profile: Path, imports: float) -> None:
    """Print the cumulative time of the STAGES' functions in a cProfile of a sync."""
    stats = pstats.Stats(str(profile)).stats  # type: ignore[attr-defined]
    whole = max(ct for _cc, _nc, _tt, ct, _callers in stats.values())
    print(f"stage split of one `followup sync` under cProfile ({whole:.2f} s):")
    print(f"    {'imports (-X importtime, unprofiled)':36s} {imports:6.2f} s")
    for label, suffix, name in STAGES:
        ct = sum(v[3] for (f, _l, n), v in stats.items() if n == name and f.endswith(suffix))
        print(f"    {label:36s} {ct:6.2f} s  {ct / whole:5.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=9_000, help="messages to load (9000)")
    parser.add_argument("--mbox", type=Path, help="a folder of *.mbox archives to load first")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs, median kept (5)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of one more sync here")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of another revision: its followup sync is timed too, interleaved",
    )
    args = parser.parse_args()

    from followup.config import SourceSettings
    from followup.sync import open_mail_source

    server = Dovecot.create()
    try:
        user = server.add_user()
        t = time.perf_counter()
        total_bytes = 0

        def counted():  # type: ignore[no-untyped-def]
            nonlocal total_bytes
            for folder, raw in messages(args.n, args.mbox):
                total_bytes += len(raw)
                yield folder, raw

        loaded = server.deliver_many(user, counted())
        gc.collect()
        print(
            f"loaded {loaded} messages ({total_bytes / 1e6:.0f} MB, "
            f"mean {total_bytes / loaded / 1024:.1f} KB) in {time.perf_counter() - t:.1f} s"
        )
        t = time.perf_counter()
        plan = plan_sections(server, user, ["INBOX", "Sent"], args.batch_size)
        print(f"warm-up (Dovecot indexing) {time.perf_counter() - t:.1f} s")

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
        raw_times, source_times, cli_times, base_times = [], [], [], []
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            config = tmp / "config.toml"
            # Interleaved, so the shared machine's load falls on all three alike.
            for i in range(args.repeat):
                t = time.perf_counter()
                n_raw = raw_fetch(server, user, plan)
                raw_times.append(time.perf_counter() - t)

                source = open_mail_source(settings)
                t = time.perf_counter()
                n_source = sum(batch.seen for batch in source.sync({}))
                source_times.append(time.perf_counter() - t)
                source.close()

                db = tmp / f"bench{i}.db"
                write_config(config, db, server, user, args.batch_size)
                elapsed, report, _ = run_cli(config, tmp / f"home{i}")
                cli_times.append(elapsed)
                n_cli = seen(report)
                line = (
                    f"  run {i + 1}: raw {raw_times[-1]:.2f} s, connector {source_times[-1]:.2f} s,"
                    f" followup sync {elapsed:.2f} s"
                )
                if args.baseline:
                    write_config(config, tmp / f"base{i}.db", server, user, args.batch_size)
                    elapsed, report, _ = run_cli(config, tmp / f"bhome{i}", code=args.baseline)
                    assert seen(report) == n_cli, report
                    base_times.append(elapsed)
                    line += f", baseline {elapsed:.2f} s"
                    write_config(config, db, server, user, args.batch_size)
                print(line)
            a = statistics.median(raw_times)
            s = statistics.median(source_times)
            b = statistics.median(cli_times)
            cli_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            noop = statistics.median(run_cli(config, tmp / "home")[0] for _ in range(3))
            # One message expunged: the count no longer adds up, so INBOX is listed once.
            with server.client(user) as client:
                client.select_folder("INBOX")
                client.delete_messages(client.search("ALL")[:1])
                client.expunge()
            pruned_time, pruned, _ = run_cli(config, tmp / "home")
            assert sum(f["gone"] for r in pruned for f in r["folders"]) == 1, pruned
            if args.profile:
                write_config(config, tmp / "importtime.db", server, user, args.batch_size)
                importtime = run_cli(config, tmp / "home-it", python=("-X", "importtime"))[2]
                write_config(config, tmp / "profiled.db", server, user, args.batch_size)
                run_cli(
                    config, tmp / "home-prof", python=("-m", "cProfile", "-o", str(args.profile))
                )

        print(f"medians of {args.repeat} runs, batch size {args.batch_size}:")
        print(f"(a) raw imapclient FETCH: {n_raw} msgs in {a:.2f} s = {n_raw / a:,.0f} msgs/s")
        print(
            f"(b) followup sync (the process) -> SQLite: {n_cli} msgs in {b:.2f} s "
            f"= {n_cli / b:,.0f} msgs/s"
        )
        print(f"    ratio a/b = {a / b:.2f}")
        if base_times:
            base = statistics.median(base_times)
            print(f"    baseline ({args.baseline.name}): {base:.2f} s, ratio a/b {a / base:.2f}")
        print(
            f"(c) connector alone, in-process, no store: {n_source} msgs in {s:.2f} s = "
            f"{n_source / s:,.0f} msgs/s (ratio a/c {a / s:.2f})"
        )
        print(f"no-op followup sync (the process): {noop * 1000:.0f} ms")
        print(f"followup sync after one expunge (a folder listed): {pruned_time * 1000:.0f} ms")
        print(f"followup sync peak RSS {cli_rss:.0f} MB")
        if args.profile:
            stage_split(args.profile, import_seconds(importtime))
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
