"""How good the digest is on a real mailbox: the whole product against judged items.

Usage: python benchmarks/digest_quality.py [--data DIR] [--pipeline auto|rules] [--json]
       [--show] [--days 2002-01-22,2002-02-05,...]

Syncs the keiser-k mbox archive (``../shared/data/mailbox/enron-keiser-k``) into a
temporary store, analyses it, then plans at 08:00 Chicago on each day and prints, per
day: items planned and shown by kind, reconnects, items whose evidence is in a deleted
folder, items whose evidence message reads as bulk mail; and over the judged days
(``judgements/keiser-k.jsonl``) the share of judged NOISE and of judged ACT items still
shown. "Shown" is what the email and ``followup digest`` show: the digest's selection
(``followup.ranking``) where it exists, everything planned otherwise. With the sentence
encoder, also how many of the sentences it was given it had scored before (its cache).

Judged items are matched to nudges by kind, person and evidence message, not by wording:
the evidence message counts as the same when it is a copy of the judged one (same sender,
date and subject under another Message-ID, e.g. a second folder), and a reply or chase
matches whichever message of the thread its nudge names (the first ask or the latest).

Skips (exit 0, one line) where the data is absent. The data is never copied anywhere.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime
from email.header import decode_header, make_header
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from followup import wording

TZ = ZoneInfo("America/Chicago")
OWNER = "kam.keiser@enron.com"
JUDGED_DAYS = ("2002-01-22", "2002-02-05")
# Two more: a Monday in mid-January and the last week of the archive.
EXTRA_DAYS = ("2002-01-14", "2002-02-12")
DELETED = re.compile(r"deleted|trash|\bbin\b|junk|spam", re.IGNORECASE)
# Independent of the product's own filter: cues a reader sees in the whole message.
BULK_CUES = re.compile(
    r"unsubscribe|to be removed|remove (?:me|yourself)|opt[- ]out|mailing list|newsletter"
    r"|sent automatically|do not reply|this is an automated",
    re.IGNORECASE,
)


def find_data(explicit: str | None) -> Path | None:
    if explicit:
        return Path(explicit)
    here = Path(__file__).resolve().parent.parent
    for base in (here.parent / "shared" / "data", here / ".." / "shared" / "data"):
        if (base / "mailbox" / "enron-keiser-k").is_dir():
            return base
    return None


def _text(msg: Any) -> str:
    parts = []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        if part.get_content_type() == "text/plain":
            raw = part.get_payload(decode=True) or b""
            parts.append(raw.decode(part.get_content_charset() or "latin-1", "replace"))
    return "\n".join(parts)


def read_archive(folder: Path) -> dict[str, dict[str, Any]]:
    """Message-ID -> {folders, sender, date, subject, bulk} from the raw archive."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.mbox")):
        for msg in mailbox.mbox(path):
            mid = (msg.get("Message-ID") or "").strip().strip("<>")
            if not mid:
                continue
            try:
                subject = str(make_header(decode_header(msg.get("Subject") or "")))
            except Exception:
                subject = msg.get("Subject") or ""
            row = out.setdefault(
                mid,
                {
                    "folders": set(),
                    "sender": parseaddr(msg.get("From") or "")[1].lower(),
                    "date": msg.get("Date") or "",
                    "subject": " ".join(subject.split()).lower(),
                    "bulk": bool(msg.get("List-Unsubscribe")) or bool(BULK_CUES.search(_text(msg))),
                },
            )
            row["folders"].add(path.stem)
    return out


def copies(archive: dict[str, dict[str, Any]]) -> dict[str, frozenset[str]]:
    """Message-ID -> every Message-ID of the same message (sender, date, subject)."""
    groups: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for mid, r in archive.items():
        groups[(r["sender"], r["date"], r["subject"])].add(mid)
    return {mid: frozenset(g) for g in groups.values() for mid in g}


def write_config(home: Path, mbox: Path, pipeline: str) -> Path:
    cfg = home / "config.toml"
    cfg.write_text(
        f"""
[me]
name = "Kam Keiser"
addresses = ["{OWNER}"]
domains = ["enron.com"]
timezone = "America/Chicago"

[storage]
url = "sqlite:///{home / "followup.db"}"

[[mail]]
name = "keiser-k"
kind = "mbox"
path = "{mbox}"

[nlp]
pipeline = "{pipeline}"
""",
        encoding="utf-8",
    )
    return cfg


def shown_of(open_nudges: list[Any], now: datetime, config: Any) -> list[Any]:
    """What the digest shows: followup.ranking's selection where there is one."""
    try:
        from followup.ranking import select_shown
    except ImportError:
        return list(open_nudges)
    return list(select_shown(open_nudges, now, config).shown)


def nudge_messages(n: Any) -> set[str]:
    mids = {n.evidence.message_id} if n.evidence.message_id else set()
    parts = n.key.split(":", 1)
    if len(parts) == 2 and parts[0] in ("reply", "follow_up"):
        mids.add(parts[1])
    elif len(parts) == 2 and parts[0] in ("promise", "waiting_on"):
        mids.add(parts[1].rsplit(":", 1)[0])
    return mids


def matches(j: dict[str, Any], n: Any, same: dict[str, frozenset[str]]) -> bool:
    if n.kind != j["kind"] or (n.person is None) or n.person.email != j["person"]:
        return False
    wanted = same.get(j["message_id"], frozenset({j["message_id"]}))
    return bool(nudge_messages(n) & wanted)


def encoder_cache(pipeline: str) -> dict[str, int] | None:
    """The sentence encoder's scores answered from its cache (a repeated sentence) and
    computed, in this process; None where the encoder did not run."""
    if pipeline == "rules":
        return None
    from nlp.encoder import load_encoder

    encoder = load_encoder()  # the process's own, the one the analysis used
    if encoder is None or not encoder.hits + encoder.misses:
        return None
    return {"hits": encoder.hits, "scored": encoder.misses}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="the shared data dir (default: ../shared/data)")
    ap.add_argument("--pipeline", default="auto", help="nlp.pipeline (auto | rules)")
    ap.add_argument("--days", help="comma-separated YYYY-MM-DD (default: 4 days)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--show", action="store_true", help="list the shown items (local use)")
    ap.add_argument("--reuse", help="a directory to keep the synced store in and reuse (local use)")
    args = ap.parse_args()
    data = find_data(args.data)
    if data is None or not (data / "judgements" / "keiser-k.jsonl").exists():
        print("skipped: ../shared/data (the keiser-k mailbox and judgements) not found")
        return 0
    mbox = data / "mailbox" / "enron-keiser-k"
    judged = [
        json.loads(line)
        for line in (data / "judgements" / "keiser-k.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    days = tuple(args.days.split(",")) if args.days else (*JUDGED_DAYS, *EXTRA_DAYS)
    archive = read_archive(mbox)
    same = copies(archive)

    from followup.config import load_config
    from followup.runner import plan_now
    from followup.store.nudges import list_nudges
    from followup.store.store import Store
    from followup.sync import sync_all

    figures: dict[str, Any] = {"days": {}}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.reuse or tmp)
        home.mkdir(parents=True, exist_ok=True)
        config = load_config(write_config(home, mbox, args.pipeline))
        store = Store.open(config.database_url())
        t0 = time.perf_counter()
        first = datetime.fromisoformat(days[0]).replace(hour=8, tzinfo=TZ)
        sync_all(store, config, first)
        from followup.extract import extract_pending

        extract_pending(store, config)
        if args.reuse:
            store.assign_threads(full=True)  # threading may have changed since
            # Nudges of an earlier run of this script would carry their old states.
            with store.begin() as conn:
                conn.exec_driver_sql("DELETE FROM nudge")
        figures["sync_extract_s"] = round(time.perf_counter() - t0, 1)
        figures["encoder_cache"] = encoder_cache(args.pipeline)
        shown_judged: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for day in sorted(days):
            now = datetime.fromisoformat(day).replace(hour=8, tzinfo=TZ)
            t1 = time.perf_counter()
            planned, _ = plan_now(store, config, now)
            plan_s = time.perf_counter() - t1
            open_nudges = list_nudges(store, now)
            shown = shown_of(open_nudges, now, config)
            kinds = Counter(o.nudge.kind for o in shown)
            deleted = bulk = 0
            listing = []
            for o in shown:
                n = o.nudge
                mids = nudge_messages(n)
                rows = [archive[m] for m in mids if m in archive]
                folders = set().union(*(r["folders"] for r in rows)) if rows else set()
                if folders and all(DELETED.search(f) for f in folders):
                    deleted += 1
                if any(r["bulk"] for r in rows):
                    bulk += 1
                label = None
                for j in judged:
                    if j["day"] == day and matches(j, n, same):
                        label = j["label"]
                        shown_judged[day].append(j)
                        break
                listing.append(
                    (
                        n.kind,
                        n.person.email if n.person else "",
                        label,
                        f"{n.score:5.1f} {wording.title(n, TZ)}",
                    )
                )
            if args.show:
                by_key = {o.nudge.key: o for o in shown}
                for j in judged:
                    if j["day"] != day or j["label"] == "NOISE":
                        continue
                    if any(matches(j, o.nudge, same) for o in shown):
                        continue
                    cand = [o for o in open_nudges if matches(j, o.nudge, same)]
                    why = (
                        f"score {cand[0].nudge.score} {cand[0].nudge.extra.get('score_parts')}"
                        if cand
                        else "not planned"
                    )
                    listing.append(("  missed " + j["label"], j["person"], None, why))
                del by_key
            figures["days"][day] = {
                "planned": len(planned),
                "shown": len(shown),
                "by_kind": dict(sorted(kinds.items())),
                "reconnect": kinds.get("reconnect", 0),
                "evidence_deleted": deleted,
                "bulk_evidence": bulk,
                "judged_shown": Counter(j["label"] for j in shown_judged[day]),
                "plan_s": round(plan_s, 2),
            }
            if args.show:
                figures["days"][day]["items"] = listing
        store.close()

    totals: dict[str, dict[str, int]] = {}
    for label in ("ACT", "MAYBE", "NOISE"):
        of = [j for j in judged if j["label"] == label and j["day"] in days]
        kept = sum(1 for j in of if any(j is s for s in shown_judged.get(j["day"], [])))
        totals[label] = {"judged": len(of), "shown": kept}
    figures["judged"] = totals
    if args.json:
        print(json.dumps(figures, indent=2, default=dict))
        return 0
    print(f"sync + analysis: {figures['sync_extract_s']} s (pipeline {args.pipeline})")
    if figures["encoder_cache"]:
        hits, scored = figures["encoder_cache"]["hits"], figures["encoder_cache"]["scored"]
        share = hits / (hits + scored) if hits + scored else 0.0
        print(f"encoder: {scored} sentences scored, {hits} seen before ({share:.1%})")
    for day, f in figures["days"].items():
        kinds = ", ".join(f"{k} {v}" for k, v in f["by_kind"].items()) or "none"
        print(
            f"{day}: planned {f['planned']}, shown {f['shown']} ({kinds}); reconnect "
            f"{f['reconnect']}; evidence deleted {f['evidence_deleted']}; bulk "
            f"{f['bulk_evidence']}; plan {f['plan_s']} s"
        )
        for kind, who, label, title in f.get("items", ()):
            print(f"    [{label or '-'}] {kind:<14} {who:<36} {title[:70]}")
    for label, t in totals.items():
        share = t["shown"] / t["judged"] if t["judged"] else 0.0
        print(f"judged {label}: {t['shown']} of {t['judged']} still shown ({share:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
