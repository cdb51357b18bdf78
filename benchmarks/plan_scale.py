"""Planning time on a big store: load_state + rules + ranking + recording the nudges.

Usage: python benchmarks/plan_scale.py [--messages 100000] [--people 400]

Builds a temporary SQLite store of ``--messages`` synthetic messages over two years
(threads of 1-4 messages between the owner and ``--people`` correspondents, a tenth of
them memos to many, some asks and promises as findings), then times ``plan_now`` at the
end of that period, three times, and prints the median and the best, with the median of
each stage: loading the state (load_state), the rules (with the ranking) and recording
the nudges (apply_plan); the rest of plan_now is the addresses and the learning. The
target is under 2 s at 100k.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ME = "penny@example.com"
END = datetime(2026, 3, 17, 13, 30, tzinfo=UTC)


def build(store: object, n: int, people: int) -> None:
    from followup.store import tables as t

    M, P, F = (x.__table__ for x in (t.Message, t.Participant, t.FindingRow))  # type: ignore[attr-defined]
    rnd = random.Random(7)
    start = END - timedelta(days=730)
    msgs, parts, finds = [], [], []
    pk = 0
    thread = 0
    while pk < n:
        thread += 1
        who = f"person{rnd.randrange(people)}@{'acme' if rnd.random() < 0.5 else 'beta'}.example"
        when = start + timedelta(seconds=rnd.randrange(730 * 86400))
        memo = rnd.random() < 0.1
        for _ in range(rnd.randint(1, 4)):
            pk += 1
            mine = rnd.random() < 0.4
            sender = ME if mine else who
            msgs.append(
                {
                    "id": pk, "source": "bench", "folder": "sent" if mine else "INBOX",
                    "role": "sent" if mine else "inbox", "uidvalidity": "1", "uid": str(pk),
                    "message_id": f"m{pk}@bench", "subject": f"Topic {thread}",
                    "norm_subject": f"topic {thread}", "from_email": sender, "from_name": "",
                    "date": when, "refs": "", "excerpt": "Hi Penny,\n\nCan you look at this?\n",
                    "attachments": "", "automated": None, "size": 1000, "from_me": mine,
                    "thread_id": thread, "analysed": True, "in_reply_to": None,
                    "gmail_thread_id": None, "analysed_by": "bench", "judged_by": "bench",
                }
            )  # fmt: skip
            parts.append({"message_pk": pk, "email": sender, "role": "from", "name": ""})
            to = [who if mine else ME]
            if memo:
                to += [f"list{i}@acme.example" for i in range(8)]
            for e in to:
                parts.append({"message_pk": pk, "email": e, "role": "to", "name": ""})
            if rnd.random() < 0.2:
                kind = "request" if rnd.random() < 0.6 else "commitment"
                finds.append(
                    {
                        "message_pk": pk, "kind": kind, "owner": "reader",
                        "text": "Can you send the numbers by Friday?", "action": "send",
                        "due": when + timedelta(days=3), "due_text": "by Friday",
                        "score": rnd.random(), "firm": True, "p_request": None,
                        "p_commitment": None, "p_task": None, "cues": None,
                    }
                )  # fmt: skip
            when += timedelta(hours=rnd.randint(1, 72))
    with store.begin() as conn:  # type: ignore[attr-defined]
        for table, rows in ((M, msgs), (P, parts), (F, finds)):
            for i in range(0, len(rows), 5000):
                conn.execute(table.insert(), rows[i : i + 5000])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--people", type=int, default=400)
    args = ap.parse_args()
    from followup.config import parse_config
    from followup.runner import plan_now
    from followup.store.store import Store

    stages = _stage_timer()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        config = parse_config(
            {
                "me": {"name": "Penny Example", "addresses": [ME], "domains": ["example.com"]},
                "storage": {"url": url},
            }
        )
        store = Store.open(url)
        t0 = time.perf_counter()
        build(store, args.messages, args.people)
        print(f"built {args.messages} messages in {time.perf_counter() - t0:.1f} s")
        totals = []
        for _ in range(3):
            t1 = time.perf_counter()
            nudges, _ = plan_now(store, config, END)
            totals.append(time.perf_counter() - t1)
        print(
            f"plan_now: {statistics.median(totals):.2f} s (median of 3; best "
            f"{min(totals):.2f} s), {len(nudges)} nudges"
        )
        split = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in stages.items())
        print(f"stages (median): {split}")
        store.close()


def _stage_timer() -> dict[str, list[float]]:
    """Wrap plan_now's three stages to time each call: {stage: [seconds per call]}."""
    import followup.runner as runner

    times: dict[str, list[float]] = {"load": [], "rules": [], "record": []}

    def timed(name: str, fn: object) -> object:
        def wrapper(*a: object, **k: object) -> object:
            t = time.perf_counter()
            try:
                return fn(*a, **k)  # type: ignore[operator]
            finally:
                times[name].append(time.perf_counter() - t)

        return wrapper

    runner.load_state = timed("load", runner.load_state)  # type: ignore[assignment]
    runner.plan = timed("rules", runner.plan)  # type: ignore[assignment]
    runner.apply_plan = timed("record", runner.apply_plan)  # type: ignore[assignment]
    return times


if __name__ == "__main__":
    main()
