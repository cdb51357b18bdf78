"""The fine-tuned sentence encoder at run time (the ``encoder`` extra: onnxruntime and
tokenizers, no torch): loading the shipped graph, the pipeline's use of it, its
fallback. Skipped where the extra is not installed, except under CI=true (the dev extra
installs it). Training and export: ``test_train_encoder.py``."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from encoder_sentences import ASKS, NEITHER, PROMISES

from nlp.encoder import MODEL_FILE, encoder_path, load_encoder

for _module in ("onnxruntime", "tokenizers"):
    if os.environ.get("CI") == "true":
        importlib.import_module(_module)  # CI installs the extra: missing is an error
    else:
        pytest.importorskip(_module)


def test_the_shipped_graph_is_small_and_quantised() -> None:
    path = encoder_path()
    assert path is not None
    encoder = load_encoder()
    assert encoder is not None and "int8" in encoder.name and "ONNX Runtime" in encoder.name
    # int8: about a quarter of the float graph's 90 MB.
    assert (path / MODEL_FILE).stat().st_size < 30_000_000


def test_a_graph_without_its_thresholds_or_tokenizer_is_refused(tmp_path: Path) -> None:
    shipped = encoder_path()
    assert shipped is not None
    out = tmp_path / "model"
    out.mkdir()
    for f in shipped.iterdir():
        (out / f.name).symlink_to(f)
    assert load_encoder(out) is not None
    (out / "thresholds.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"thresholds\.json"):
        load_encoder(out)
    (out / "thresholds.json").symlink_to(shipped / "thresholds.json")
    (out / "tokenizer.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"tokenizer\.json"):
        load_encoder(out)


def test_the_pipeline_runs_the_encoder_without_importing_torch() -> None:
    # A process of its own: this one may have imported torch for the training tests.
    code = (
        "import sys, nlp; from nlp.pipeline import load_pipeline\n"
        "p = load_pipeline('auto')\n"
        "(ex,) = p.extract_many([nlp.TextItem('Could you send me the lease by Friday?')])\n"
        "print(p.name); print([f.kind for f in ex.findings])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    name, kinds, heavy = out.stdout.splitlines()
    assert "encoder: all-MiniLM-L6-v2 fine-tuned" in name and "ONNX Runtime" in name
    assert kinds == "['request']"
    assert heavy == "[]"


def test_the_pipeline_falls_back_to_the_textcat_when_the_encoder_is_broken(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import nlp.encoder
    from nlp.pipeline import load_pipeline

    def broken(path: Path | None = None) -> None:
        raise OSError("encoder.onnx: truncated")

    monkeypatch.setattr(nlp.encoder, "load_encoder", broken)
    pipe = load_pipeline("auto")
    assert "encoder" not in pipe.name and "textcat" in pipe.name
    assert "sentence encoder not loaded (encoder.onnx: truncated)" in caplog.text
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


def test_a_truncated_graph_falls_back_to_the_textcat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import nlp.encoder
    from nlp.pipeline import load_pipeline

    shipped = encoder_path()
    assert shipped is not None
    out = tmp_path / "encoder_findings"
    out.mkdir()
    for f in shipped.iterdir():
        if f.name != MODEL_FILE:
            (out / f.name).symlink_to(f)
    (out / MODEL_FILE).write_bytes((shipped / MODEL_FILE).read_bytes()[:4096])
    with pytest.raises(ValueError, match=r"encoder\.onnx"):
        load_encoder(out)
    monkeypatch.setattr(nlp.encoder, "_shipped", lambda: nlp.encoder._load(out))
    pipe = load_pipeline("auto")
    assert "encoder" not in pipe.name and "textcat" in pipe.name
    assert "sentence encoder not loaded" in caplog.text


class RecordingEncoder:
    """Scores every sentence as a sure ask, and keeps what it was given."""

    def __init__(self) -> None:
        from nlp.thresholds import Thresholds

        self.seen: list[str] = []
        self.thresholds = Thresholds(request_alone=0.5, broad_request=0.5)

    def score(self, texts: list[str]) -> list[tuple[float, float, float]]:
        self.seen.extend(texts)
        return [(0.99, 0.0, 0.99)] * len(texts)


def test_the_cascade_scores_only_the_sentences_that_may_ask_or_promise() -> None:
    import nlp
    from nlp.components import plausible
    from nlp.pipeline import load_pipeline
    from nlp.rules import Judgement

    assert not plausible(Judgement(), ["the", "report", "is", "attached", "."], [])
    assert plausible(Judgement(), ["send", "it", "tomorrow", "?"], [])
    pipe = load_pipeline("rules")
    component = pipe.nlp.get_pipe("followup_findings")
    text = "The weather in Boston was lovely all summer.\n\nCould the deck go out today?"
    for cascade, seen in ((True, 1), (False, 2)):
        encoder = RecordingEncoder()
        component.set_encoder(encoder)
        component.cascade = cascade
        component.scored = component.skipped = 0
        (ex,) = pipe.extract_many([nlp.TextItem(text)], people=False)
        assert len(encoder.seen) == seen and "Could the deck go out today?" in encoder.seen
        assert (component.scored, component.skipped) == (seen, 2 - seen)
        # A sentence the cascade passes over makes no finding, whatever the model says.
        found = {f.text for f in ex.findings}
        assert ("The weather in Boston was lovely all summer." in found) is not cascade
