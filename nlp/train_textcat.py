"""Train the sentence classifier that ships in ``nlp/models/textcat_findings``.

Usage::

    python -m nlp.train_textcat DATA_DIR [--out nlp/models/textcat_findings] [--seed 0]

``DATA_DIR`` holds the development JSONL (``parakweet_train.jsonl``, ``lin_dev.jsonl``,
``commitments_dev.jsonl``). Only these licence-compatible corpora are used (Apache-2.0,
MIT, the project's own labels); BC3 and MailEx (CC BY-SA) are never trained on. The
held-out part of each corpus (``corpora.is_heldout``) is left out, so ``followup
evaluate`` can report honest figures on it.

The model is a bag-of-words ``textcat_multilabel`` (uni- and bigrams, hashed), with two
labels, REQUEST and COMMITMENT. Corpora label different things, so each example gives
only the labels its corpus knows: Parakweet's "intent" is REQUEST (its negatives are
neither); Lin's non-task sentences are neither (its tasks leave both labels missing);
commitments_dev gives both. Then the rule/score combination thresholds are chosen on a
validation fold of the training part and written to ``thresholds.json``; the final
model is trained on the whole training part. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.corpora import CORPORA, Example, load

logger = logging.getLogger(__name__)

LABELS = ("REQUEST", "COMMITMENT")
TRAIN_FILES = [name for name, (_, trainable) in CORPORA.items() if trainable]
DEFAULT_OUT = Path(__file__).resolve().parent / "models" / "textcat_findings"
# Hashed feature table: 2**17 rows x 2 labels of float32 = 1 MB on disk.
BOW_LENGTH = 2**17


def cats_for(ex: Example) -> dict[str, float]:
    """The labels an example's corpus knows (missing ones are left out)."""
    if ex.corpus == "parakweet":
        return {"REQUEST": 1.0} if "request" in ex.gold else {"REQUEST": 0.0, "COMMITMENT": 0.0}
    if ex.corpus == "lin":
        return {} if "task" in ex.gold else {"REQUEST": 0.0, "COMMITMENT": 0.0}
    return {
        "REQUEST": float("request" in ex.gold),
        "COMMITMENT": float("commitment" in ex.gold),
    }


def build_nlp() -> Any:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe(
        "textcat_multilabel",
        config={
            "threshold": 0.5,
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": False,
                "ngram_size": 2,
                "no_output_layer": False,
                "length": BOW_LENGTH,
            },
        },
    )
    return nlp


def train(examples: Sequence[Example], seed: int, epochs: int) -> Any:
    """Train a fresh classifier on ``examples``."""
    import spacy
    from spacy.training import Example as SpacyExample
    from spacy.util import minibatch

    spacy.util.fix_random_seed(seed)
    rng = random.Random(seed)
    nlp = build_nlp()
    textcat = nlp.get_pipe("textcat_multilabel")
    for label in LABELS:
        textcat.add_label(label)
    data = [
        SpacyExample.from_dict(nlp.make_doc(ex.text), {"cats": cats})
        for ex in examples
        if (cats := cats_for(ex))
    ]
    optimizer = nlp.initialize(lambda: data[:200])
    for epoch in range(epochs):
        rng.shuffle(data)
        losses: dict[str, float] = {}
        for batch in minibatch(data, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        logger.info("epoch %d loss %.3f", epoch, losses.get("textcat_multilabel", 0.0))
    return nlp


def _split_validation(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    # A second, independent CRC keeps whole units (emails) on one side.
    def unit(ex: Example) -> str:
        if ex.corpus == "lin":
            return ex.id.split(":")[1].split(".")[0]
        if ex.corpus == "commitments":
            return ex.id.rsplit(":", 1)[0]
        return ex.id

    val = [ex for ex in examples if zlib.crc32(("val" + unit(ex)).encode()) % 5 == 0]
    fit = [ex for ex in examples if zlib.crc32(("val" + unit(ex)).encode()) % 5 != 0]
    return fit, val


def sentence_verdicts(textcat_nlp: Any, texts: Sequence[str]) -> list[list[Any]]:
    """Every sentence's rule flags and classifier scores, per text (for tuning)."""
    from nlp.components import USER_DATA_KEY, Thresholds
    from nlp.pipeline import build_rule_nlp
    from nlp.quoting import clean_body

    nlp = build_rule_nlp(textcat=False)
    component = nlp.get_pipe("followup_findings")
    component.set_textcat(textcat_nlp, Thresholds())
    component.record_all = True
    docs = nlp.pipe((clean_body(t) for t in texts), batch_size=256)
    return [list(doc.user_data.get(USER_DATA_KEY, [])) for doc in docs]


GRID = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]
ALONE_GRID = [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.01]


def choose_thresholds(examples: Sequence[Example], verdicts: list[list[Any]]) -> dict[str, float]:
    """The thresholds that maximise the mean F1 over the corpora's targets."""
    from nlp.evaluate import Score

    def predict(vs: list[Any], floor: float, alone: float, kind: str) -> bool:
        rule = "rule_request" if kind == "request" else "rule_commitment"
        score = "request_score" if kind == "request" else "commitment_score"
        veto = "veto_request" if kind == "request" else "veto_commitment"
        return any(
            (getattr(v, rule) and getattr(v, score) >= floor)
            or (getattr(v, score) >= alone and not getattr(v, veto))
            for v in vs
        )

    best: dict[str, float] = {}
    # Requests first (Parakweet, commitments_dev), then commitments given them.
    best_req = (-1.0, 0.0, 1.01)
    for floor in GRID:
        for alone in ALONE_GRID:
            scores = {"parakweet": Score(), "commitments": Score()}
            for ex, vs in zip(examples, verdicts, strict=True):
                if ex.corpus in scores:
                    scores[ex.corpus].add(
                        predict(vs, floor, alone, "request"), "request" in ex.gold
                    )
            f = sum(s.f1 for s in scores.values()) / len(scores)
            if f > best_req[0]:
                best_req = (f, floor, alone)
    best["request_rule_floor"], best["request_alone"] = best_req[1], best_req[2]
    best_cmt = (-1.0, 0.0, 1.01)
    for floor in GRID:
        for alone in ALONE_GRID:
            cmt, task = Score(), Score()
            for ex, vs in zip(examples, verdicts, strict=True):
                is_cmt = predict(vs, floor, alone, "commitment")
                if ex.corpus == "commitments":
                    cmt.add(is_cmt, "commitment" in ex.gold)
                if ex.corpus == "lin":
                    is_req = predict(vs, best_req[1], best_req[2], "request")
                    task.add(is_req or is_cmt, "task" in ex.gold)
            f = (cmt.f1 + task.f1) / 2
            if f > best_cmt[0]:
                best_cmt = (f, floor, alone)
    best["commitment_rule_floor"], best["commitment_alone"] = best_cmt[1], best_cmt[2]
    logger.info("thresholds %s (request mean F1 %.3f, commitment/task %.3f)",
                best, best_req[0], best_cmt[0])  # fmt: skip
    return best


def save(nlp: Any, out: Path, thresholds: dict[str, float], meta: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    nlp.meta.update(meta)
    nlp.to_disk(out)
    # The classifier reads hashed features only; the string table would just be a word
    # list of the training data, so it is not shipped.
    (out / "vocab" / "strings.json").write_text("[]\n")
    (out / "thresholds.json").write_text(json.dumps(thresholds, indent=2, sort_keys=True) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="folder with the development JSONL")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    examples = [
        ex for name in TRAIN_FILES if (args.data_dir / name).exists()
        for ex in load(args.data_dir, name) if not ex.heldout
    ]  # fmt: skip
    if not examples:
        parser.error(f"no training data in {args.data_dir}")
    fit, val = _split_validation(examples)
    logger.info("training on %d sentences (%d to tune thresholds)", len(fit), len(val))
    thresholds = choose_thresholds(
        val, sentence_verdicts(train(fit, args.seed, args.epochs), [ex.text for ex in val])
    )
    final = train(examples, args.seed, args.epochs)
    save(
        final,
        args.out,
        thresholds,
        {
            "name": "followup_textcat_findings",
            "version": "0.1.0",
            "description": "Request/commitment sentence classifier for followup",
            "license": "MIT (trained on Parakweet Apache-2.0, Lin MIT, commitments_dev)",
            "seed": args.seed,
        },
    )
    logger.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
