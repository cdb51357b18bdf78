"""The sentence encoder: all-MiniLM-L6-v2 fine-tuned to score asks, promises and tasks.

A small pretrained transformer (6 layers, 384 wide, Apache-2.0) reads each sentence
whole, where the bag of words and the CNN see a window of a few words; on Lin's held-out
task sentences it is the difference between 0.73 and 0.79 F1. What ships in
``nlp/models/encoder_findings`` is one ONNX graph (``encoder.onnx``: the base weights
with the project's low-rank updates merged in, the mean of the token vectors and the
three-label head; weights stored as float16, computed in float32) and the base model's
WordPiece tokenizer (``tokenizer.json``). It runs on ONNX Runtime and ``tokenizers``
(``pip install 'followup[encoder]'``, about 90 MB): no torch, no transformers.
``python -m nlp.train_encoder`` (the ``train`` extra) trains the updates and writes the
graph.
Without the packages the pipeline uses the bag of words + CNN classifier, as before.

A sentence's scores depend on its text alone, not on what is scored with it: the graph
computes in float32 (int8 with activation ranges taken per batch made a sentence's
scores move by up to 0.36 with its neighbours, and the same mail get other findings),
and batches hold sentences of the same token count only, so nothing is padded. That
lets the scores be kept by text: a signature line, a disclaimer or a forwarded block
seen again is not scored again.

onnxruntime and tokenizers are imported here only, through ``importlib`` so that the
rest of the package neither needs them nor type-checks against them.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ENCODER_DIR = "encoder_findings"
LABELS = ("REQUEST", "COMMITMENT", "TASK")
MODEL_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"
# What the run time needs: the graph's runner and the tokenizer's.
RUNTIME_MODULES = ("onnxruntime", "tokenizers")
# Sentences whose scores are kept, the most recently used: 10 MB at most.
CACHE_SIZE = 20_000
# Sentences per graph run (of one token count): fewer, larger runs than 64, with the same
# scores (a sentence's scores never depend on its batch).
BATCH_SIZE = 256
# At most this many tokens per graph run: ONNX Runtime keeps the largest run's memory,
# and 256 sentences of 96 tokens took the process to 1 GB (64 of them: 380 MB, as fast).
BATCH_TOKENS = 6144
Scores = tuple[float, float, float]


def encoder_path() -> Path | None:
    path = Path(str(resources.files("nlp") / "models" / ENCODER_DIR))
    return path if (path / "encoder.json").exists() and (path / MODEL_FILE).exists() else None


def runtime_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in RUNTIME_MODULES)


class SentenceEncoder:
    """Scores sentences: (REQUEST, COMMITMENT, TASK) probabilities per sentence."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        meta: dict[str, Any],
        thresholds: Any,
        cache_size: int = CACHE_SIZE,
    ):
        self.session = session
        self.tokenizer = tokenizer
        self.meta = meta
        self.max_length = int(meta.get("max_length", 96))
        self.thresholds: Any = thresholds  # nlp.thresholds.Thresholds chosen with the model
        self._inputs = {i.name for i in session.get_inputs()}
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Scores] = OrderedDict()
        self.hits = self.misses = 0  # sentences answered from the cache, and scored

    @property
    def name(self) -> str:
        base = self.meta.get("base", "all-MiniLM-L6-v2")
        weights = self.meta.get("weights")
        stored = f", {weights} weights" if weights else ""
        return f"{base} fine-tuned (LoRA rank {self.meta['rank']}{stored}, ONNX Runtime)"

    def score(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> list[Scores]:
        """The scores of each text, from the cache where it was scored before."""
        out: list[Scores | None] = [self._cache.get(t) for t in texts]
        for t, got in zip(texts, out, strict=True):
            if got is not None:
                self._cache.move_to_end(t)
        todo = list(dict.fromkeys(t for t, got in zip(texts, out, strict=True) if got is None))
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        fresh = dict(zip(todo, self.score_uncached(todo, batch_size), strict=True))
        if self.cache_size > 0:
            for t, scores in fresh.items():
                self._cache[t] = scores
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return [got if got is not None else fresh[t] for t, got in zip(texts, out, strict=True)]

    def score_uncached(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> list[Scores]:
        """The graph's scores, in batches of sentences of one token count: no padding,
        the main cost on short mail sentences, and nothing a neighbour could change;
        ``batch_size`` sentences at most, and ``BATCH_TOKENS`` tokens."""
        import numpy as np

        out: list[Scores] = [(0.0, 0.0, 0.0)] * len(texts)
        encodings = self.tokenizer.encode_batch(list(texts))
        by_length: dict[int, list[int]] = {}
        for i, e in enumerate(encodings):
            by_length.setdefault(len(e.ids), []).append(i)
        for length, same in by_length.items():
            step = max(1, min(batch_size, BATCH_TOKENS // max(length, 1)))
            for k in range(0, len(same), step):
                idx = same[k : k + step]
                ids = np.array([encodings[i].ids for i in idx], dtype=np.int64)
                feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
                if "token_type_ids" in self._inputs:
                    feed["token_type_ids"] = np.zeros_like(ids)
                (probs,) = self.session.run(["probs"], feed)
                for i, row in zip(idx, probs.tolist(), strict=True):
                    out[i] = (row[0], row[1], row[2])
        return out


def load_tokenizer(file: Path, max_length: int) -> Any:
    """The base model's WordPiece tokenizer, without padding (batches are of one length)."""
    tokenizers = importlib.import_module("tokenizers")
    tokenizer = tokenizers.Tokenizer.from_file(str(file))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def load_encoder(path: Path | None = None) -> SentenceEncoder | None:
    """The fine-tuned encoder (``path``, else the shipped one), or None when it or its
    packages are not installed."""
    if path is None:
        return _shipped()
    return _load(path)


@functools.cache
def _shipped() -> SentenceEncoder | None:
    # Loaded once per process: every sync builds a pipeline.
    path = encoder_path()
    return _load(path) if path is not None else None


def _load(path: Path) -> SentenceEncoder | None:
    if not runtime_installed():
        return None
    ort = importlib.import_module("onnxruntime")
    meta = json.loads((path / "encoder.json").read_text())
    for name in (MODEL_FILE, TOKENIZER_FILE, "thresholds.json"):
        if not (path / name).exists():
            # Scores mean nothing without the thresholds chosen with them.
            raise FileNotFoundError(f"{path / name}: missing")
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about the host's CPU are not the user's
    # Threads that wait for work sleep instead of spinning: on a 2-core machine shared
    # with the store and other work, spinning threads only took each other's cores.
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = ort.InferenceSession(
            str(path / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:  # ONNX Runtime's own errors derive from Exception alone
        raise ValueError(f"{path / MODEL_FILE}: {type(exc).__name__}") from exc
    outputs = [o.name for o in session.get_outputs()]
    if outputs != ["probs"]:
        raise ValueError(f"{path / MODEL_FILE}: outputs {outputs}, expected ['probs']")
    tokenizer = load_tokenizer(path / TOKENIZER_FILE, int(meta.get("max_length", 96)))
    from nlp.thresholds import Thresholds

    thresholds = Thresholds.from_dict(json.loads((path / "thresholds.json").read_text()))
    return SentenceEncoder(session, tokenizer, meta, thresholds)
