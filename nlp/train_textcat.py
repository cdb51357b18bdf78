"""Train the sentence classifier that ships in ``nlp/models/textcat_findings``.

Usage::

    python -m nlp.train_textcat DATA_DIR [--out nlp/models/textcat_findings] [--seed 0]

``DATA_DIR`` holds the development JSONL (``parakweet_train.jsonl``, ``lin_dev.jsonl``,
``commitments_dev.jsonl``). Only these licence-compatible corpora are used (Apache-2.0,
MIT, the project's own labels); BC3 and MailEx (CC BY-SA) are never trained on. The
held-out part of each corpus (``corpora.is_heldout``) is left out, so ``followup
evaluate`` can report honest figures on it.

The model is spaCy's ``textcat_multilabel`` ensemble: a bag of words (uni- and bigrams,
hashed) plus a CNN whose token-to-vector layer starts from the MIT-licensed
``en_core_web_sm`` 3.8 weights and is fine-tuned here (``--tok2vec none``: the bag of
words alone). The fine-tuned layer ships inside the model, so running it needs no model
package. It reads each sentence's words plus the rule pipeline's cues as extra tokens
(``rules.feature_tokens``: the Matcher's labels, the rules' decisions, the first words). Three
labels: REQUEST, COMMITMENT and TASK (Lin's "a task for someone"). Corpora label
different things, so each example gives only the labels its corpus knows: Parakweet's
"intent" is REQUEST and TASK; Lin gives TASK (its non-tasks are neither request nor
commitment; its tasks get silver labels from the rules, see ``labels_for``);
commitments_dev gives all three.

Epochs and the thresholds that turn scores into findings are chosen on out-of-fold
scores (5 folds of the training part, whole emails on one side). The firm thresholds
(what the digest acts on) maximise request F1 while keeping precision at or above
``REQUEST_MIN_PRECISION``, since a wrong "asked ..." in the digest costs more than a
missed one. The broad thresholds (every finding, firm or not) then maximise the mean of
the three targeted F1s: Parakweet requests, Lin tasks, commitments_dev promises. The
final model is trained on the whole training part. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.corpora import CORPORA, Example, load

logger = logging.getLogger(__name__)

LABELS = ("REQUEST", "COMMITMENT", "TASK")
TRAIN_FILES = [name for name, (_, trainable) in CORPORA.items() if trainable]
DEFAULT_OUT = Path(__file__).resolve().parent / "models" / "textcat_findings"
# Hashed feature table: 2**17 rows x 3 labels of float32 = 1.5 MB on disk.
BOW_LENGTH = 2**17
FOLDS = 5
# Out of fold, on models trained on four fifths of the data; the final model, trained on
# all of it, is surer of itself and measured ~0.05 more precise at the same thresholds.
REQUEST_MIN_PRECISION = 0.80
# A firm finding from the classifier alone has no rule cue behind it: it must be surer
# than that ("Thanks for the invitation, I would be glad to speak." scored 0.53).
ALONE_MIN = 0.6
GRID = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8]
OFF = 1.01


@dataclass(slots=True)
class Prepared:
    """One example as the classifier sees it: per sentence, the judgement and tokens."""

    example: Example
    sentences: list[tuple[Any, list[str]]]  # (rules.Judgement, classifier tokens)
    texts: list[str] = field(default_factory=list)  # each sentence's text, as written

    def words(self) -> list[str]:
        out = [tok for _, toks in self.sentences for tok in toks]
        return out or self.example.text.split() or ["."]


def cats_for(ex: Example) -> dict[str, float]:
    """The labels an example's corpus knows (missing ones are left out)."""
    if ex.corpus == "parakweet":
        if "request" in ex.gold:
            return {"REQUEST": 1.0, "TASK": 1.0}
        return {"REQUEST": 0.0, "COMMITMENT": 0.0, "TASK": 0.0}
    if ex.corpus == "lin":
        if "task" in ex.gold:
            return {"TASK": 1.0}
        return {"REQUEST": 0.0, "COMMITMENT": 0.0, "TASK": 0.0}
    return {
        "REQUEST": float("request" in ex.gold),
        "COMMITMENT": float("commitment" in ex.gold),
        "TASK": float(bool(ex.gold)),
    }


def labels_for(p: Prepared, silver: bool = True) -> dict[str, float]:
    """``cats_for``, plus silver labels for Lin's tasks: where the rules find a firm
    promise (or, without one, an ask) in a task sentence, that is what the task is.
    Without them the COMMITMENT head would learn from a few dozen sentences only."""
    cats = cats_for(p.example)
    if silver and p.example.corpus == "lin" and "task" in p.example.gold:
        judgements = [j for j, _ in p.sentences]
        if any(j.commitment and not j.veto_commitment for j in judgements):
            cats["COMMITMENT"] = 1.0
        elif any(j.request and not j.veto_request for j in judgements):
            cats["REQUEST"] = 1.0
    return cats


def prepare(examples: Sequence[Example]) -> list[Prepared]:
    """Run the rule pipeline over the examples, cleaned as ``extract_many`` cleans them."""
    from nlp.components import textcat_doc
    from nlp.pipeline import _normalise, build_rule_nlp
    from nlp.quoting import split_body

    nlp = build_rule_nlp(textcat=False)
    component = nlp.get_pipe("followup_findings")
    texts = (split_body(_normalise(ex.text)).body for ex in examples)
    out = []
    for ex, doc in zip(examples, nlp.pipe(texts, batch_size=256), strict=True):
        sentences, sent_texts = [], []
        for start, end, j, words, inside in component.judge_doc(doc):
            tc_doc = textcat_doc(nlp.vocab, doc, start, end, j, words, inside, True)
            sentences.append((j, [t.text for t in tc_doc]))
            sent_texts.append(doc[start:end].text.strip())
        out.append(Prepared(ex, sentences, sent_texts))
    return out


def training_examples(data_dir: Path) -> list[Example]:
    """The training part of the licence-compatible corpora found in ``data_dir``."""
    return [
        ex for name in TRAIN_FILES if (data_dir / name).exists()
        for ex in load(data_dir, name) if not ex.heldout
    ]  # fmt: skip


def write_thresholds(out: Path, thresholds: dict[str, float]) -> None:
    (out / "thresholds.json").write_text(json.dumps(thresholds, indent=2, sort_keys=True) + "\n")


def tok2vec_source(choice: str) -> str | None:
    """The statistical English pipeline whose token-to-vector layer the classifier
    starts from ("auto": the first installed, None without one; "none": None)."""
    if choice == "none":
        return None
    if choice != "auto":
        return choice
    from spacy.util import is_package

    from nlp.pipeline import MODEL_PACKAGES

    return next((name for name in MODEL_PACKAGES if is_package(name)), None)


_NOT_TOK2VEC = ["tagger", "parser", "attribute_ruler", "lemmatizer", "ner", "senter"]


def _load_source(name: str) -> Any:
    # A fresh copy each time: a sourced component is shared, not copied, so reusing one
    # would carry what one fold learnt into the next.
    import spacy

    return spacy.load(name, exclude=_NOT_TOK2VEC)


def build_nlp(source_name: str | None = None) -> Any:
    """A blank classifier: bag of words alone, or (with ``source``) bag of words plus a
    CNN over the named pipeline's token-to-vector layer, fine-tuned (spaCy's ensemble)."""
    import spacy

    nlp = spacy.blank("en")
    bow = {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False,
        "ngram_size": 2,
        "no_output_layer": False,
        "length": BOW_LENGTH,
    }
    model: dict[str, Any] = bow
    if source_name is not None:
        source = _load_source(source_name)
        nlp.add_pipe("tok2vec", source=source)
        width = source.get_pipe("tok2vec").model.get_dim("nO")
        model = {
            "@architectures": "spacy.TextCatEnsemble.v2",
            "nO": None,
            "linear_model": bow,
            "tok2vec": {
                "@architectures": "spacy.Tok2VecListener.v1",
                "width": width,
                "upstream": "tok2vec",
            },
        }
    textcat = nlp.add_pipe("textcat_multilabel", config={"threshold": 0.5, "model": model})
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    return nlp


def train(
    data: Sequence[Prepared],
    seed: int,
    epochs: int,
    on_epoch: Any = None,
    silver: bool = True,
    source: str | None = None,
) -> Any:
    """Train a fresh classifier on ``data``; ``on_epoch(epoch, nlp)`` after each epoch."""
    from spacy.tokens import Doc
    from spacy.training import Example as SpacyExample
    from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]

    fix_random_seed(seed)
    rng = random.Random(seed)
    nlp = build_nlp(source)
    examples = [
        SpacyExample.from_dict(Doc(nlp.vocab, words=p.words()), {"cats": labels_for(p, silver)})
        for p in data
    ]
    if source is None:
        optimizer = nlp.initialize(lambda: examples[:200])
    else:
        # Keep the sourced weights: initialise the classifier only, then fine-tune both.
        optimizer = nlp.resume_training()
        nlp.get_pipe("textcat_multilabel").initialize(lambda: examples[:200], nlp=nlp)
    for epoch in range(epochs):
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=32):  # type: ignore[no-untyped-call]
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        logger.debug("epoch %d loss %.3f", epoch, losses.get("textcat_multilabel", 0.0))
        if on_epoch is not None:
            on_epoch(epoch, nlp)
    return nlp


def sentence_scores(nlp: Any, data: Sequence[Prepared]) -> list[list[tuple[float, ...]]]:
    """(REQUEST, COMMITMENT, TASK) per sentence, per example."""
    from spacy.tokens import Doc

    docs: Any = [Doc(nlp.vocab, words=toks) for p in data for _, toks in p.sentences]
    for _, proc in nlp.pipeline:
        docs = proc.pipe(docs, batch_size=256)
    flat = [tuple(d.cats.get(label, 0.0) for label in LABELS) for d in docs]
    out, i = [], 0
    for p in data:
        out.append(flat[i : i + len(p.sentences)])
        i += len(p.sentences)
    return out


def fold_of(ex: Example) -> int:
    # By the sentence's words, independent of the held-out CRC: Lin repeats sentences
    # across emails (forwards, replies), and a copy in another fold would let the
    # classifier recall rather than judge, flattering high thresholds.
    words = " ".join(ex.text.lower().split())
    return zlib.crc32(("fold" + words).encode()) % FOLDS


def out_of_fold(
    data: list[Prepared], seed: int, max_epochs: int, source: str | None = None
) -> list[list[list[Any]]]:
    """Out-of-fold sentence scores after each epoch: [epoch][example][sentence]."""
    per_epoch: list[list[list[Any]]] = [[[] for _ in data] for _ in range(max_epochs)]
    for fold in range(FOLDS):
        fit = [p for p in data if fold_of(p.example) != fold]
        held = [i for i, p in enumerate(data) if fold_of(p.example) == fold]
        held_data = [data[i] for i in held]

        def record(epoch: int, nlp: Any, held: list[int] = held, hd: Any = held_data) -> None:
            for i, scores in zip(held, sentence_scores(nlp, hd), strict=True):
                per_epoch[epoch][i] = scores

        train(fit, seed, max_epochs, on_epoch=record, source=source)
        logger.info("fold %d done", fold)
    return per_epoch


def predict(th: Any, p: Prepared, scores: list[Any], firm: bool = False) -> tuple[bool, bool]:
    """Whether the example holds a request / a commitment, as the component decides
    (``firm``: the firm decision only)."""
    req = cmt = False
    for (j, _), s in zip(p.sentences, scores, strict=True):
        r, c, fr, fc = th.decide_all(j, *s)
        if firm:
            r, c = fr, fc
        req, cmt = req or r, cmt or c
    return req, cmt


def _scores_for(
    th: Any, data: Sequence[Prepared], scores: list[Any], firm: bool = False
) -> dict[str, Any]:
    from nlp.evaluate import Score

    out = {"parakweet": Score(), "req": Score(), "cmt": Score(), "lin": Score()}
    for p, s in zip(data, scores, strict=True):
        req, cmt = predict(th, p, s, firm)
        gold = p.example.gold
        if p.example.corpus == "parakweet":
            out["parakweet"].add(req, "request" in gold)
            out["req"].add(req, "request" in gold)
        elif p.example.corpus == "lin":
            out["lin"].add(req or cmt, "task" in gold)
        else:
            out["req"].add(req, "request" in gold)
            out["cmt"].add(cmt, "commitment" in gold)
    return out


def _broad_objective(r: dict[str, Any]) -> float:
    # The three targeted figures: Parakweet requests, Lin tasks, commitments_dev promises.
    return float(r["parakweet"].f1 + r["lin"].f1 + r["cmt"].f1) / 3


# Out-of-fold F1 is flat near its best; the final model, trained on all the data, ranks
# unseen sentences as well but scores them lower than the threshold chosen out of fold
# expects (measured: recall 0.87 out of fold, 0.77 held out at the same threshold). So
# the lowest threshold within this margin of the best is taken.
PLATEAU = 0.003


def choose_broad(th: Any, data: Sequence[Prepared], scores: list[Any]) -> Any:
    """The ``broad_*`` thresholds (the findings beyond the firm ones) that maximise the
    targeted F1s out of fold; coordinate search, two rounds."""
    from dataclasses import replace

    grid = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, OFF]
    for _ in range(2):
        for name in ("broad_request", "broad_commitment", "broad_task"):
            keyed = [
                (_broad_objective(_scores_for(cand, data, scores)), cand)
                for cand in (replace(th, **{name: value}) for value in grid)
            ]
            top = max(key for key, _ in keyed)
            th = next(cand for key, cand in keyed if key >= top - PLATEAU)
    return th


def choose(
    data: Sequence[Prepared], per_epoch: list[list[list[Any]]]
) -> tuple[int, dict[str, float]]:
    """The epoch count and thresholds with the best out-of-fold figures."""
    from nlp.thresholds import Thresholds

    best: tuple[float, int, dict[str, float]] = (-1.0, 0, {})
    for epoch, scores in enumerate(per_epoch):
        # Requests: best F1 (pooled Parakweet + commitments_dev) at the precision floor.
        req_best: tuple[float, float, float] = (-1.0, 0.0, OFF)
        for floor, alone in itertools.product(GRID, [*GRID, OFF]):
            if alone < max(floor, ALONE_MIN):
                continue
            s = _scores_for(Thresholds(floor, alone), data, scores, firm=True)["req"]
            key = s.f1 if s.precision >= REQUEST_MIN_PRECISION else s.precision - 1
            if key > req_best[0]:
                req_best = (key, floor, alone)
        # Commitments: best mean of commitments_dev F1 and Lin task F1.
        cmt_best: tuple[float, float, float] = (-1.0, 0.0, OFF)
        for floor, alone in itertools.product(GRID, [*GRID, OFF]):
            if alone < max(floor, ALONE_MIN):
                continue
            th = Thresholds(req_best[1], req_best[2], floor, alone)
            r = _scores_for(th, data, scores, firm=True)
            key = (r["cmt"].f1 + r["lin"].f1) / 2
            if key > cmt_best[0]:
                cmt_best = (key, floor, alone)
        # The TASK path: only where it keeps the request precision floor.
        task_best: tuple[float, float] = (-1.0, OFF)
        for task in [0.5, 0.6, 0.7, 0.8, 0.9, OFF]:
            th = Thresholds(req_best[1], req_best[2], cmt_best[1], cmt_best[2], task)
            r = _scores_for(th, data, scores, firm=True)
            if r["req"].precision < REQUEST_MIN_PRECISION and task < OFF:
                continue
            key = (r["req"].f1 + r["cmt"].f1 + r["lin"].f1) / 3
            if key > task_best[0]:
                task_best = (key, task)
        th = Thresholds(req_best[1], req_best[2], cmt_best[1], cmt_best[2], task_best[1])
        th = choose_broad(th, data, scores)
        firm = _scores_for(th, data, scores, firm=True)
        r = _scores_for(th, data, scores)
        total = _broad_objective(r)
        for name, res in (("firm", firm), ("findings", r)):
            logger.info(
                "epochs %d %s: %s | %s", epoch + 1, name, th,
                " ".join(f"{k} P{v.precision:.3f} R{v.recall:.3f} F{v.f1:.3f}"
                         for k, v in res.items()),
            )  # fmt: skip
        if total > best[0]:
            best = (total, epoch + 1, {k: getattr(th, k) for k in th.__dataclass_fields__})
    return best[1], best[2]


def save(nlp: Any, out: Path, thresholds: dict[str, float], meta: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    nlp.meta.update(meta)
    nlp.to_disk(out)
    # The classifier reads hashed features only; the string table would just be a word
    # list of the training data, so it is not shipped.
    (out / "vocab" / "strings.json").write_text("[]\n")
    write_thresholds(out, thresholds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="folder with the development JSONL")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-epochs", type=int, default=6)
    parser.add_argument(
        "--reuse-oof",
        action="store_true",
        help="keep the out-of-fold scores in OUT and reuse them on the next run (to retune "
        "thresholds without retraining the folds)",
    )
    parser.add_argument(
        "--tok2vec",
        default="auto",
        help="pipeline whose token-to-vector layer to fine-tune (auto: en_core_web_sm if "
        "installed; none: bag of words only)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    examples = training_examples(args.data_dir)
    if not examples:
        parser.error(f"no training data in {args.data_dir}")
    data = prepare(examples)
    source = tok2vec_source(args.tok2vec)
    base = None
    if source is not None:
        try:
            meta = _load_source(source).meta
        except (OSError, ImportError):
            parser.error(f"cannot load {source}")
        base = f"{meta['lang']}_{meta['name']} {meta['version']}"
    logger.info("training on %d sentences, %d folds, tok2vec from %s", len(data), FOLDS, base)
    cache = args.out / "oof_scores.json.tmp" if args.reuse_oof else None
    if cache is not None and cache.exists():
        per_epoch = json.loads(cache.read_text())
    else:
        per_epoch = out_of_fold(data, args.seed, args.max_epochs, source)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(per_epoch))
    epochs, thresholds = choose(data, per_epoch)
    logger.info("chosen: %d epochs, %s", epochs, thresholds)
    final = train(data, args.seed, epochs, source=source)
    save(
        final,
        args.out,
        thresholds,
        {
            "name": "followup_textcat_findings",
            "version": "0.3.0",
            "description": "Request/commitment/task sentence classifier for followup",
            "license": "MIT (trained on Parakweet Apache-2.0, Lin MIT, commitments_dev)",
            "seed": args.seed,
            "epochs": epochs,
            "tok2vec_from": base,
            # The component feeds the rules' cue tokens to models that say so.
            "followup_features": True,
        },
    )
    logger.info("wrote %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
