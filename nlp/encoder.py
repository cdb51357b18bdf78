"""The sentence encoder: all-MiniLM-L6-v2 fine-tuned to score asks, promises and tasks.

A small pretrained transformer (6 layers, 384 wide, Apache-2.0) reads each sentence
whole, where the bag of words and the CNN see a window of a few words; on Lin's held-out
task sentences it is the difference between 0.73 and 0.79 F1. What ships in
``nlp/models/encoder_findings`` is one ONNX graph (``encoder.onnx``: the base weights
with the project's low-rank updates merged in, the mean of the token vectors and the
three-label head, weights quantised to int8) and the base model's WordPiece tokenizer
(``tokenizer.json``). It runs on ONNX Runtime and ``tokenizers`` (``pip install
'followup[encoder]'``, about 90 MB): no torch, no transformers. ``python -m
nlp.train_encoder`` (the ``train`` extra) trains the updates and writes the graph.
Without the packages the pipeline uses the bag of words + CNN classifier, as before.

onnxruntime and tokenizers are imported here only, through ``importlib`` so that the
rest of the package neither needs them nor type-checks against them.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import logging
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


def encoder_path() -> Path | None:
    path = Path(str(resources.files("nlp") / "models" / ENCODER_DIR))
    return path if (path / "encoder.json").exists() and (path / MODEL_FILE).exists() else None


def runtime_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in RUNTIME_MODULES)


class SentenceEncoder:
    """Scores sentences: (REQUEST, COMMITMENT, TASK) probabilities per sentence."""

    def __init__(self, session: Any, tokenizer: Any, meta: dict[str, Any], thresholds: Any):
        self.session = session
        self.tokenizer = tokenizer
        self.meta = meta
        self.max_length = int(meta.get("max_length", 96))
        self.thresholds: Any = thresholds  # nlp.thresholds.Thresholds chosen with the model
        self._inputs = {i.name for i in session.get_inputs()}

    @property
    def name(self) -> str:
        base = self.meta.get("base", "all-MiniLM-L6-v2")
        quant = ", int8" if self.meta.get("quantised") else ""
        return f"{base} fine-tuned (LoRA rank {self.meta['rank']}{quant}, ONNX Runtime)"

    def score(self, texts: Sequence[str], batch_size: int = 64) -> list[tuple[float, float, float]]:
        import numpy as np

        out: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(texts)
        # Similar lengths together: less padding, the main cost on short mail sentences.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for k in range(0, len(order), batch_size):
            idx = order[k : k + batch_size]
            encodings = self.tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            (probs,) = self.session.run(["probs"], feed)
            for i, row in zip(idx, probs.tolist(), strict=True):
                out[i] = (row[0], row[1], row[2])
        return out


def load_tokenizer(file: Path, max_length: int) -> Any:
    """The base model's WordPiece tokenizer, padding to the longest in a batch."""
    tokenizers = importlib.import_module("tokenizers")
    tokenizer = tokenizers.Tokenizer.from_file(str(file))
    tokenizer.enable_truncation(max_length=max_length)
    pad = tokenizer.token_to_id("[PAD]")
    tokenizer.enable_padding(pad_id=pad if pad is not None else 0, pad_token="[PAD]")
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
