"""The whole product on a generated mailbox: time to the first digest and after.

Usage: python benchmarks/end_to_end.py [--sizes 20000 100000] [--pipelines encoder textcat]
                                      [--work DIR]

Per size and pipeline (``encoder``: ``[nlp] pipeline = "auto"`` with the encoder
installed; ``textcat``: ``pipeline = "rules"``), on a fresh store:

- first digest: a process that runs what ``followup run --no-send`` runs (sync, analysis,
  plan), timed per stage, the pipeline loading in a child meanwhile as the CLI's does
  ("load" is the time waited for it); "start-up" is the process's time outside the
  stages; its RSS counts the child's;
- backfill: messages analysed per second in that run, and its ratio to the bare
  ``nlp.pipe`` of the same spaCy pipeline over the same stored texts (a sample);
- after 50 new: 50 messages added to the Maildir, then ``followup run --no-send`` (the
  CLI as users run it: its pipeline loads in a child process while it syncs); with a
  history left to analyse, such a run may spend its slice of it (``--history-seconds``,
  2 s by default, when the new mail took under extract.BUSY_SECONDS); so 50 more, then
  the same run with ``--history-seconds 0``: the run's own work;
- no-op: ``followup run --no-send`` again (that run records the folders settled), then
  the median of five more;
- 50 more, then the first run's stages again: where the time of a run after new mail goes
  ("load" is loading the NLP pipeline);
- peak RSS: the largest, over those runs, of the CLI's plus its largest child's (the
  analysis process), with which run it was.

The mailbox is ``mailbox_gen.py``'s (Maildir++), written once per size under --work.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mailbox_gen import messages, write_maildir

NOW = "2026-12-01T12:00:00+00:00"
PIPELINES = {"encoder": "auto", "textcat": "rules"}

# A process's own peak RSS in KB: VmHWM, its memory's high-water mark since exec. Its
# ru_maxrss is no good here: Linux carries over the spawning process's peak through exec
# (a run spawned by this driver would report the driver's memory).
OWN_PEAK = """
def own_peak_kb():
    try:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

# The first run, in a child process: the stages of runner.run_once, timed.
FIRST_RUN = (
    """
import json, resource, sys, time
"""
    + OWN_PEAK
    + """
t0 = time.perf_counter()
from datetime import datetime
from followup.analysis_process import AnalysisProcess, wanted
from followup.config import load_config
from pathlib import Path
config = load_config(Path(sys.argv[1]))
# As ``followup run`` does: the pipeline loads in a child while the store is opened and
# synced ("load" is the time waited for it after the sync).
early = AnalysisProcess(config.nlp.pipeline) if wanted() else None
from followup.runner import open_store, plan_now, _apply_replies
from followup.sync import sync_all
from followup.extract import extract_pending
import nlp
now = datetime.fromisoformat(sys.argv[2])
out = {"imports": time.perf_counter() - t0, "load": 0.0}
def timed(load):
    def run(*a, **k):
        t = time.perf_counter(); p = load(*a, **k); out["load"] += time.perf_counter() - t
        return p
    return run
load = timed(early.pipeline if early else lambda: nlp.load_pipeline(config.nlp.pipeline))
store = open_store(config)
t = time.perf_counter(); sync_all(store, config, now); out["sync"] = time.perf_counter() - t
t = time.perf_counter(); r = extract_pending(store, config, now=now, load=load)
out["analysis"] = time.perf_counter() - t - out["load"]; out["analysed"] = r.analysed
t = time.perf_counter(); _apply_replies(store, config, now)
nudges, _ = plan_now(store, config, now)
out["plan"] = time.perf_counter() - t; out["nudges"] = len(nudges)
store.close()
if early:
    early.close()
out["self_mb"] = own_peak_kb() / 1024
out["child_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
out["maxrss_mb"] = out["self_mb"] + out["child_mb"]
print(json.dumps(out))
"""
)

# The bare spaCy pipeline on the same texts.
BARE = """
import json, sqlite3, sys, time
from nlp.pipeline import load_pipeline
texts = [r[0] for r in sqlite3.connect(sys.argv[1]).execute(
    "SELECT excerpt FROM message WHERE analysed_by IS NOT NULL ORDER BY random() LIMIT ?",
    (int(sys.argv[3]),))]
pipe = load_pipeline(sys.argv[2])
t = time.perf_counter()
for _ in pipe.nlp.pipe(texts, batch_size=64):
    pass
print(json.dumps({"bare_per_s": len(texts) / (time.perf_counter() - t), "n": len(texts)}))
"""

# ``followup run`` as a process, with its peak RSS plus its largest child's (the analysis
# process, followup.analysis_process: both are alive at once).
CLI = (
    """
import atexit, resource, sys
"""
    + OWN_PEAK
    + """
atexit.register(lambda: print("MAXRSS", own_peak_kb(),
                              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                              file=sys.stderr))
from followup.cli import cli
cli(sys.argv[1:], prog_name="followup")
"""
)


def child(code: str, *args: str) -> tuple[float, str, str]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return time.perf_counter() - t, proc.stdout, proc.stderr


def cli_run(config: Path, *extra: str) -> tuple[float, tuple[float, float]]:
    """The run's wall time and peak RSS in MB: (the CLI's, its largest child's)."""
    args = ("--config", str(config), "run", "--no-send", "--now", NOW, "-q", *extra)
    wall, _, err = child(CLI, *args)
    rss = [line.split()[1:] for line in err.splitlines() if line.startswith("MAXRSS")]
    if not rss:
        return wall, (float("nan"), float("nan"))
    return wall, (int(rss[-1][0]) / 1024, int(rss[-1][1]) / 1024)


def peak(r: dict[str, Any]) -> str:
    """The peak RSS of the runs measured, parent + child, and which run it was."""
    runs = {
        "first run": (r["self_mb"], r["child_mb"]),
        "after 50": r["after_50_rss_mb"],
        "next run": r["noop_rss_mb"],
    }
    name, (own, kid) = max(runs.items(), key=lambda kv: sum(kv[1]))
    return f"peak RSS {own + kid:.0f} MB ({name}: {own:.0f} + child {kid:.0f})"


def config_for(work: Path, maildir: Path, name: str, prefer: str) -> Path:
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    path = work / f"{name}.toml"
    path.write_text(
        f'[me]\nname = "Penny Example"\naddresses = ["penny@example.com"]\n'
        f'domains = ["example.com"]\ntimezone = "UTC"\n'
        f'[storage]\nurl = "sqlite:///{db}"\n'
        f'[[mail]]\nname = "box"\nkind = "maildir"\npath = "{maildir}"\n'
        f'[nlp]\npipeline = "{prefer}"\n'
    )
    return path


def bench(work: Path, size: int, pipeline: str, maildir: Path) -> dict[str, Any]:
    name = f"{pipeline}-{size}"
    config = config_for(work, maildir, name, PIPELINES[pipeline])
    wall, out, _ = child(FIRST_RUN, str(config), NOW)
    first = json.loads(out.strip().splitlines()[-1])
    first["wall"] = wall
    first["startup"] = wall - first["sync"] - first["load"] - first["analysis"] - first["plan"]
    _, out, _ = child(BARE, str(work / f"{name}.db"), PIPELINES[pipeline], "300")
    bare = json.loads(out)
    backfill = first["analysed"] / first["analysis"] if first["analysis"] else float("nan")
    # 50 new messages arrive (the generator's next ones, dated just before now).
    # (Streamed: a list of them all would make this driver as big as the runs measured.)
    write_maildir(maildir, itertools.islice(messages(size + 50, seed=1), size, None))
    after50, rss50 = cli_run(config)
    write_maildir(maildir, itertools.islice(messages(size + 100, seed=1), size + 50, None))
    own50, _ = cli_run(config, "--history-seconds", "0")
    # The next run finds the folders as the last one left them; it records them settled
    # (directories older than connectors.maildir.QUIET_NS), as a cron run minutes later
    # would, and the runs after it are the quiet ones: the median of five.
    time.sleep(2.5)
    settling, rss0 = cli_run(config)
    noops = sorted(cli_run(config)[0] for _ in range(5))
    noop = noops[2]
    # 50 more, through the stages of the first run: where a run after new mail goes.
    write_maildir(maildir, itertools.islice(messages(size + 150, seed=1), size + 100, None))
    wall, out, _ = child(FIRST_RUN, str(config), NOW)
    split = json.loads(out.strip().splitlines()[-1])
    split["wall"] = wall
    split["startup"] = wall - split["sync"] - split["load"] - split["analysis"] - split["plan"]
    return {
        **first,
        "backfill_per_s": backfill,
        "bare_per_s": bare["bare_per_s"],
        "backfill_ratio": backfill / bare["bare_per_s"],
        "after_50_new": after50,
        "after_50_rss_mb": rss50,
        "after_50_own": own50,
        "settling": settling,
        "noop": noop,
        "noop_rss_mb": rss0,
        "split": split,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--pipelines", nargs="+", default=list(PIPELINES), choices=PIPELINES)
    parser.add_argument("--work", type=Path, default=Path("/tmp/followup-e2e"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        for pipeline in args.pipelines:
            # A fresh copy of the mailbox per pipeline: the 50 new messages go into it.
            maildir = args.work / f"mail-{size}-{pipeline}"
            if not (maildir / "cur").exists():
                t = time.perf_counter()
                n = write_maildir(maildir, messages(size, seed=1))
                print(f"generated {n} messages in {time.perf_counter() - t:.0f} s", flush=True)
            r = bench(args.work, size, pipeline, maildir)
            s = r["split"]
            print(
                f"{size:>7} {pipeline:<8} first digest {r['wall']:6.1f} s "
                f"(start-up {r['startup']:.1f}, sync {r['sync']:.1f}, load {r['load']:.1f}, "
                f"analysis {r['analysis']:.1f} of {r['analysed']} msgs, plan {r['plan']:.1f}; "
                f"{r['nudges']} nudges) | backfill {r['backfill_per_s']:.0f} msgs/s = "
                f"{r['backfill_ratio']:.2f} of bare nlp.pipe ({r['bare_per_s']:.0f}/s) | "
                f"after 50 new {r['after_50_new']:.2f} s "
                f"(50 more, no history slice: {r['after_50_own']:.2f} s; 50 more, by stage: "
                f"{s['wall']:.2f} s = start-up {s['startup']:.2f}, sync {s['sync']:.2f}, "
                f"load {s['load']:.2f}, analysis {s['analysis']:.2f} of {s['analysed']} msgs, "
                f"plan {s['plan']:.2f}) | next run {r['settling']:.2f} s, "
                f"then no-op {r['noop']:.2f} s (median of 5) | "
                f"{peak(r)}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
