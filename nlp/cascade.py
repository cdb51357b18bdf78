"""The cascade's second cheap stage: a hashed bag-of-words gate in front of the scorer.

After ``components.plausible`` (cue words), a logistic model over hashed words and word
pairs says whether the scorer (the textcat CNN or the sentence encoder) could make a
finding of a sentence that no rule cue marks; the sentences under its threshold are not
scored, and so make no finding. Sentences with a rule cue are always scored.

Its teachers are the scorers' own decisions on the development sentences
(``python -m nlp.train_cascade DATA_DIR``), and its threshold keeps 99% of their findings
on a held-out fold: the gate learns where the scorers find nothing (signature lines,
tables, reports of what happened), not what the corpora call an ask. What ships in
``nlp/models/cascade_findings``: ``weights.npy`` (float32, one per hash bucket) and
``cascade.json`` (bias, threshold, how it was trained). numpy only.
"""

from __future__ import annotations

import functools
import itertools
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp import cascade_files
from nlp.cascade_files import META_FILE, WEIGHTS_FILE

BUCKETS = 1 << 17


def features(words: Sequence[str]) -> list[int]:
    """The hash buckets of a sentence's lower-cased words, word pairs and its length
    class. crc32, not ``hash()``: the same buckets in every process."""
    toks = ["<s>", *words, "</s>"]
    keys = [f"w:{w}" for w in words]
    keys += [f"b:{a} {b}" for a, b in itertools.pairwise(toks)]
    keys.append(f"n:{min(len(words) // 4, 10)}")
    return [zlib.crc32(k.encode("utf-8")) % BUCKETS for k in keys]


@dataclass(frozen=True)
class Gate:
    """A trained gate: ``passes(words)`` is whether the scorer should see the sentence."""

    weights: Any  # numpy float32 array of BUCKETS
    bias: float
    threshold: float  # on the logit

    def logit(self, words: Sequence[str]) -> float:
        return float(self.weights[features(words)].sum()) + self.bias

    def passes(self, words: Sequence[str]) -> bool:
        return self.logit(words) >= self.threshold

    def save(self, path: Path, info: dict[str, Any] | None = None) -> None:
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / WEIGHTS_FILE, self.weights.astype(np.float32), allow_pickle=False)
        meta = {"bias": self.bias, "threshold": self.threshold, "buckets": BUCKETS, **(info or {})}
        (path / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


def load_gate(path: Path | None = None) -> Gate | None:
    """The gate at ``path``, else the shipped one; None when there is none (every
    sentence that passes ``plausible`` is then scored)."""
    if path is None:
        return _shipped()
    return _load(path)


@functools.cache
def _shipped() -> Gate | None:
    path = cascade_files.cascade_path()
    return _load(path) if path is not None else None


def _load(path: Path) -> Gate:
    meta = json.loads((path / META_FILE).read_text())
    weights = np.load(path / WEIGHTS_FILE, allow_pickle=False)
    if weights.shape != (BUCKETS,) or int(meta.get("buckets", 0)) != BUCKETS:
        raise ValueError(f"{path / WEIGHTS_FILE}: {weights.shape[0]} buckets, expected {BUCKETS}")
    return Gate(weights.astype(np.float32), float(meta["bias"]), float(meta["threshold"]))


def fit(
    samples: Sequence[Sequence[str]],
    labels: Sequence[bool],
    epochs: int = 300,
    l2: float = 1e-3,
    rate: float = 0.05,
) -> tuple[Any, float]:
    """Logistic regression over the hashed features, full-batch Adam from zero weights:
    no randomness, so the same data gives the same weights. Positives weigh as much, in
    total, as negatives (the gate is for recall)."""
    rows = [features(s) for s in samples]
    idx = np.fromiter((i for r in rows for i in r), dtype=np.int64)
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    owner = np.repeat(np.arange(len(rows)), lengths)
    y = np.asarray(labels, dtype=np.float64)
    pos = max(float(y.sum()), 1.0)
    neg = max(float(len(y) - y.sum()), 1.0)
    sample_w = np.where(y > 0, 0.5 / pos, 0.5 / neg)
    w = np.zeros(BUCKETS)
    b = 0.0
    m, v = np.zeros(BUCKETS), np.zeros(BUCKETS)
    mb = vb = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, epochs + 1):
        z = np.bincount(owner, weights=w[idx], minlength=len(rows)) + b
        p = 1.0 / (1.0 + np.exp(-z))
        err = (p - y) * sample_w
        g = np.bincount(idx, weights=err[owner], minlength=BUCKETS) + l2 * w
        gb = float(err.sum())
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        mb = beta1 * mb + (1 - beta1) * gb
        vb = beta2 * vb + (1 - beta2) * gb * gb
        corr1, corr2 = 1 - beta1**t, 1 - beta2**t
        w -= rate * (m / corr1) / (np.sqrt(v / corr2) + eps)
        b -= rate * (mb / corr1) / (np.sqrt(vb / corr2) + eps)
    return w.astype(np.float32), float(b)


def recall_threshold(logits: Sequence[float], labels: Sequence[bool], keep: float) -> float:
    """The highest threshold under which at least ``keep`` of the positives pass."""
    pos = np.sort(np.asarray([z for z, y in zip(logits, labels, strict=True) if y]))
    if len(pos) == 0:
        return float("-inf")
    k = int(np.floor(len(pos) * (1.0 - keep)))
    return float(pos[min(k, len(pos) - 1)])
