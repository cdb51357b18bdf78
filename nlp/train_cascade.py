"""Train the cascade's gate (``nlp.cascade``) from the scorers' own decisions.

Usage: python -m nlp.train_cascade DATA_DIR [--out DIR] [--keep 0.99]

Every development sentence the licences let us train on, outside the held-out units the
reports use, goes through the pipeline with each shipped scorer (the textcat and, where
installed, the encoder), ungated. The sentences that reach the gate (no rule cue, but
``plausible``) are the samples; a sample is positive when either scorer made a finding
of it. The model is fitted on four fifths of them (a CRC of the text picks the fold) and
its threshold set to keep ``--keep`` of the positives of the fifth (out-of-fold logits,
over five folds); the shipped weights are then fitted on all of them. Run it again after
retraining the textcat or the encoder: their decisions are what it learnt. Deterministic.
"""

from __future__ import annotations

import argparse
import logging
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.cascade import Gate, fit, recall_threshold
from nlp.cascade_files import CASCADE_DIR
from nlp.corpora import CORPORA, find_data_dir, load

logger = logging.getLogger(__name__)

FOLDS = 5


def training_texts(data_dir: Path) -> list[str]:
    """The sentences the gate may learn from: trainable corpora, held-out units aside."""
    out: list[str] = []
    for name, (_, trainable) in CORPORA.items():
        if trainable and (data_dir / name).exists():
            out.extend(e.text for e in load(data_dir, name) if not e.heldout)
    return list(dict.fromkeys(out))


def teacher_decisions(nlp: Any, texts: Sequence[str]) -> dict[tuple[str, ...], bool]:
    """Per sentence reaching the gate (its lower-cased words): whether the scorer made a
    finding of it, with the gate off."""
    from nlp.components import has_rule_cue, plausible
    from nlp.pipeline import _normalise
    from nlp.quoting import split_body

    component = nlp.get_pipe("followup_findings")
    component.gate = None
    component.record_all = True
    out: dict[tuple[str, ...], bool] = {}
    bodies = (split_body(_normalise(t)).body for t in texts)
    for doc in nlp.pipe(bodies, batch_size=256):
        found = {
            (v.start, v.end)
            for v in doc.user_data["followup_findings"]
            if v.request or v.commitment
        }
        for start, end, j, words, inside in component.judge_doc(doc):
            if has_rule_cue(j, inside) or not plausible(j, words, inside):
                continue
            key = tuple(words)
            out[key] = out.get(key, False) or (start, end) in found
    component.record_all = False
    return out


def scorers() -> list[tuple[str, Any]]:
    """The shipped scorers' pipelines: the textcat's, and the encoder's where installed."""
    from nlp.pipeline import build_rule_nlp, load_pipeline

    out = [("textcat", build_rule_nlp(textcat=True))]
    auto = load_pipeline("auto")
    if auto.nlp.get_pipe("followup_findings").encoder is not None:
        out.append(("encoder", auto.nlp))
    return out


def train(data_dir: Path, keep: float = 0.99) -> tuple[Gate, dict[str, Any]]:
    texts = training_texts(data_dir)
    labels: dict[tuple[str, ...], bool] = {}
    used = []
    for name, nlp in scorers():
        for key, found in teacher_decisions(nlp, texts).items():
            labels[key] = labels.get(key, False) or found
        used.append(name)
    samples = sorted(labels)  # a fixed order: the fit is the same on every run
    fold = [zlib.crc32(" ".join(s).encode("utf-8")) % FOLDS for s in samples]
    # The threshold from every sample's out-of-fold logit: a fifth alone holds too few
    # positives for a 99th percentile.
    logits = [0.0] * len(samples)
    for k in range(FOLDS):
        train_x = [s for s, f in zip(samples, fold, strict=True) if f != k]
        weights, bias = fit(train_x, [labels[s] for s in train_x])
        fold_gate = Gate(weights, bias, 0.0)
        for i, f in enumerate(fold):
            if f == k:
                logits[i] = fold_gate.logit(samples[i])
    y = [labels[s] for s in samples]
    threshold = recall_threshold(logits, y, keep)
    weights, bias = fit(samples, y)
    gate = Gate(weights, bias, threshold)
    passed = [z >= threshold for z in logits]
    kept = sum(p and t for p, t in zip(passed, y, strict=True))
    info = {
        "teachers": used,
        "keep": keep,
        "samples": len(samples),
        "positives": sum(labels.values()),
        "heldout_recall": round(kept / max(sum(y), 1), 4),
        "heldout_pass_rate": round(sum(passed) / max(len(passed), 1), 4),
    }
    return gate, info


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.train_cascade")
    parser.add_argument("data", nargs="?", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--keep", type=float, default=0.99)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data_dir = find_data_dir(args.data)
    if data_dir is None:
        parser.error("no development data found (give DATA_DIR)")
    out = Path(args.out) if args.out else Path(__file__).parent / "models" / CASCADE_DIR
    gate, info = train(data_dir, args.keep)
    gate.save(out, info)
    logger.info("cascade gate written to %s: %s", out, info)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
