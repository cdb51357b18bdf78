"""CalDAV sync speed against a real Radicale on 127.0.0.1 (a benchmark, not a test).

Loads N events (a quarter of them weekly series) into a throwaway Radicale calendar
spread over the relationship-history window (two years back, two weeks ahead), then
measures:

  (a) raw caldav: one time-range REPORT over the window with calendar data, no parsing
      of ours: the ceiling for a full read;
  (b) the source's first sync (the same REPORT plus the sync token, every series
      expanded client-side): events/s and the ratio to (a);
  (c) a no-change sync by the sync token (ms);
  (d) a sync after 10 events changed (ms);
  (e) the daily re-list of the window (ms).

    python benchmarks/caldav_sync.py --n 1000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]
sys.path.append(str(REPO / "tests"))

from servers import Radicale  # noqa: E402

from connectors.caldav_source import CaldavCalendarSource  # noqa: E402

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
START, END = NOW - timedelta(days=730), NOW + timedelta(days=14)


def event(n: int) -> str:
    start = START + timedelta(hours=(n * 37) % (744 * 24))
    rule = "RRULE:FREQ=WEEKLY;COUNT=20\r\n" if n % 4 == 0 else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:bench\r\nBEGIN:VEVENT\r\n"
        f"UID:bench-{n}\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
        f"SUMMARY:Meeting {n}\r\nORGANIZER:mailto:penny@example.com\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:person{n % 50}@example.org\r\n{rule}"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    server = Radicale.create()
    try:
        user = server.add_user()
        cal = server.client(user).principal().make_calendar(name="Bench", cal_id="bench")
        objects = [cal.save_event(event(n)) for n in range(args.n)]
        os.environ["BENCH_CALDAV_PASSWORD"] = user.password
        source = CaldavCalendarSource.from_config(
            "bench",
            {"url": user.url, "username": user.name, "password_env": "BENCH_CALDAV_PASSWORD",
             "allow_insecure": True},
        )  # fmt: skip

        t = time.perf_counter()
        raw = cal.search(event=True, start=START, end=END, expand=False, post_filter=False)
        raw_s = time.perf_counter() - t

        t = time.perf_counter()
        (first,) = list(source.sync({}, START, END))
        first_s = time.perf_counter() - t
        checkpoints = {"bench": first.checkpoint}

        t = time.perf_counter()
        (same,) = list(source.sync(checkpoints, START, END))
        same_ms = (time.perf_counter() - t) * 1000
        assert not same.events and not same.removed

        for obj in objects[1:40:4]:
            obj.data = obj.data.replace("SUMMARY:Meeting", "SUMMARY:Moved meeting")
            obj.save()
        t = time.perf_counter()
        (changed,) = list(source.sync(checkpoints, START, END))
        changed_ms = (time.perf_counter() - t) * 1000
        checkpoints["bench"] = changed.checkpoint

        later = timedelta(days=1)
        t = time.perf_counter()
        list(source.sync(checkpoints, START + later, END + later))
        relist_ms = (time.perf_counter() - t) * 1000

        print(
            json.dumps(
                {
                    "objects": args.n,
                    "occurrences": len(first.events),
                    "raw_report_s": round(raw_s, 2),
                    "raw_objects_per_s": round(len(raw) / raw_s),
                    "first_sync_s": round(first_s, 2),
                    "first_sync_occurrences_per_s": round(len(first.events) / first_s),
                    "ratio_first_to_raw": round(first_s / raw_s, 2),
                    "no_change_sync_ms": round(same_ms),
                    "ten_changed_sync_ms": round(changed_ms),
                    "ten_changed_events": len(changed.events),
                    "daily_relist_ms": round(relist_ms),
                    "checkpoint_kb": round(len(first.checkpoint) / 1024, 1),
                },
                indent=2,
            )
        )
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
