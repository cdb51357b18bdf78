"""Kill -9 soak: ``followup run`` SIGKILLed 30 times, then compared with a clean run.

The demo mailbox is delivered into a Maildir over 30 days (one ``followup run`` a day at
08:00, the digest due at 07:30, sent through a loopback aiosmtpd), in two stores: one
never interrupted, one whose run is killed each day at a random point (seeded) of sync,
analysis, planning or sending, then rerun. After each day the same decision (done,
snooze, dismiss) is made in both. At the end the stores must be equal (messages,
findings, people, events, nudges with their decisions and numbers, the digest ledger)
and every day's digest must have arrived exactly once (see tests/soak.py).

Prints each kill (where it landed), the totals and the result; exits 1 if the stores
differ or a run failed.

    python benchmarks/soak_kill.py                 # 30 kills on SQLite, seed 1
    python benchmarks/soak_kill.py --kills 12 --seed 7
    python benchmarks/soak_kill.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The repo first, tests/ last: tests/connectors/ (no __init__) must not shadow the
# connectors package as a namespace package.
sys.path[:0] = [str(REPO)]
sys.path.append(str(REPO / "tests"))

from soak import PHASES, soak  # noqa: E402


def _databases(root: Path, postgres: str | None, tag: str) -> tuple[str, str]:
    """Two empty stores: SQLite files under ``root``, or two new databases on the server."""
    if postgres is None:
        return (f"sqlite:///{root / 'reference.db'}", f"sqlite:///{root / 'killed.db'}")
    from sqlalchemy import create_engine, text

    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    urls = []
    with admin.connect() as conn:
        for lane in ("reference", "killed"):
            name = f"soak_{tag}_{lane}"
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
            urls.append(postgres.rsplit("/", 1)[0] + "/" + name)
    admin.dispose()
    return urls[0], urls[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=30, help="Kills (one per day).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the kill points.")
    parser.add_argument("--postgres", metavar="URL", help="A PostgreSQL server to use.")
    args = parser.parse_args()
    if args.kills < 1:
        parser.error("--kills must be at least 1")
    rng = random.Random(args.seed)
    # Spread evenly over the four phases, in a seeded order.
    phases = [PHASES[i % len(PHASES)] for i in range(args.kills)]
    rng.shuffle(phases)
    print(
        f"Soak: {args.kills} kills, seed {args.seed}, {'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="followup-soak-") as tmp:
        root = Path(tmp)
        urls = _databases(root, args.postgres, f"{args.seed}_{int(time.time())}")
        try:
            result = soak(
                root, urls, phases, seed=args.seed, log=lambda line: print(line, flush=True)
            )
        except AssertionError as e:
            print(f"FAILED after {time.monotonic() - started:.0f} s: {e}")
            return 1
    print(result.report())
    return 1 if result.differences else 0


if __name__ == "__main__":
    sys.exit(main())
