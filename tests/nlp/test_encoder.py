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


def test_the_shipped_graph_stores_its_weights_as_float16() -> None:
    path = encoder_path()
    assert path is not None
    encoder = load_encoder()
    assert encoder is not None and "float16 weights" in encoder.name
    assert "ONNX Runtime" in encoder.name
    # Half the float32 graph's 90 MB.
    assert (path / MODEL_FILE).stat().st_size < 50_000_000


# float32 resolves about 1.2e-7 near 1: the kernels sum in an order that can depend on
# the batch's shape, by a unit in the last place at most on mail sentences. A graph
# whose int8 activation ranges are taken per batch moved scores by up to 0.36.
SAME = 1e-6


def test_a_sentences_scores_do_not_depend_on_what_is_scored_with_it() -> None:
    encoder = load_encoder()
    assert encoder is not None
    pool = [*ASKS, *PROMISES, *NEITHER, "ok", "Thanks, " * 60 + "see you."]
    alone = {t: encoder.score_uncached([t])[0] for t in pool}
    by_length: dict[int, list[str]] = {}
    for t in pool:
        by_length.setdefault(len(encoder.tokenizer.encode(t).ids), []).append(t)
    # Some neighbours share a batch: same token count (the long one is cut at 96).
    assert max(len(same) for same in by_length.values()) >= 3
    for batch_size in (1, 2, 64):
        for texts in (pool, pool[::-1], [*pool[3:], *pool[:3], *pool]):
            got = encoder.score_uncached(texts, batch_size=batch_size)
            for t, scores in zip(texts, got, strict=True):
                assert list(scores) == pytest.approx(list(alone[t]), abs=SAME), (t, batch_size)


def flat(scores: list[tuple[float, float, float]]) -> list[float]:
    return [x for row in scores for x in row]


class CountingSession:
    """The graph's session, counting the sentences it is given."""

    def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
        self.session, self.rows = session, 0

    def get_inputs(self):  # type: ignore[no-untyped-def]
        return self.session.get_inputs()

    def run(self, names, feed):  # type: ignore[no-untyped-def]
        self.rows += len(feed["input_ids"])
        return self.session.run(names, feed)


def fresh_encoder(cache_size: int):  # type: ignore[no-untyped-def]
    from nlp.encoder import SentenceEncoder

    shipped = load_encoder()
    assert shipped is not None
    session = CountingSession(shipped.session)
    meta, thresholds = shipped.meta, shipped.thresholds
    return SentenceEncoder(session, shipped.tokenizer, meta, thresholds, cache_size), session


def test_a_sentence_seen_before_is_not_scored_again() -> None:
    encoder, session = fresh_encoder(cache_size=100)
    first = encoder.score([ASKS[0], NEITHER[0], ASKS[0]])
    assert session.rows == 2 and (encoder.hits, encoder.misses) == (1, 2)
    again = encoder.score([NEITHER[0], PROMISES[0], ASKS[0]])
    assert session.rows == 3 and (encoder.hits, encoder.misses) == (3, 3)
    assert again[0] == first[1] and again[2] == first[0] == first[2]
    uncached = encoder.score_uncached([ASKS[0], NEITHER[0], PROMISES[0]])
    assert flat([*first[:2], again[1]]) == pytest.approx(flat(uncached), abs=SAME)


def test_the_cache_keeps_the_most_recently_used_sentences_only() -> None:
    encoder, session = fresh_encoder(cache_size=2)
    encoder.score([ASKS[0], ASKS[1]])
    encoder.score([ASKS[0]])  # used again: ASKS[1] is now the oldest
    encoder.score([ASKS[2]])
    assert list(encoder._cache) == [ASKS[0], ASKS[2]]
    rows = session.rows
    encoder.score([ASKS[0], ASKS[2]])
    assert session.rows == rows
    encoder.score([ASKS[1]])
    assert session.rows == rows + 1 and len(encoder._cache) == 2
    none, session = fresh_encoder(cache_size=0)
    none.score([ASKS[0]])
    none.score([ASKS[0]])
    assert session.rows == 2 and not none._cache


def test_the_pipeline_finds_the_same_with_and_without_the_cache() -> None:
    import nlp
    from nlp.pipeline import load_pipeline

    signature = "\n\nThanks,\nDana Example\nExample Corp | Call me on 555-0100 if you need me.\n"
    bodies = [f"{ask} {neither}{signature}" for ask, neither in zip(ASKS, NEITHER, strict=True)]
    bodies += [f"{promise}{signature}" for promise in PROMISES] + bodies[:2]
    pipe = load_pipeline("rules")
    component = pipe.nlp.get_pipe("followup_findings")
    found, scores = [], []
    for cache_size in (0, 1000):
        encoder, _ = fresh_encoder(cache_size)
        component.set_encoder(encoder)
        extractions = pipe.extract_many([nlp.TextItem(b) for b in bodies], people=False)
        findings = [f for ex in extractions for f in ex.findings]
        found.append([(f.kind, f.text, f.firm, f.due_text) for f in findings])
        scores.append([(f.p_request, f.p_commitment, f.p_task) for f in findings])
        if cache_size:
            assert encoder.hits > 0  # the signature's sentence, the repeated mails
    assert found[0] == found[1]
    assert flat(scores[0]) == pytest.approx(flat(scores[1]), abs=SAME)
    assert len(found[0]) >= len(ASKS) + len(PROMISES)


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


def test_long_sentences_go_to_the_graph_in_smaller_runs_with_the_same_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ONNX Runtime keeps the memory of its largest run: a run holds BATCH_TOKENS tokens
    at most (256 sentences of 96 tokens took a process to 1 GB), short sentences still
    go BATCH_SIZE at a time, and no score changes."""
    import nlp.encoder as encoder_module

    encoder = load_encoder()
    assert encoder is not None
    real = encoder.session
    shapes: list[tuple[int, int]] = []

    class Recording:
        def get_inputs(self):  # type: ignore[no-untyped-def]
            return real.get_inputs()

        def run(self, names, feed):  # type: ignore[no-untyped-def]
            shapes.append(feed["input_ids"].shape)
            return real.run(names, feed)

    long = [f"Could you send me the {i} figures " + "and the notes " * 40 for i in range(40)]
    short = ["ok, thanks"] * 300
    alone = [encoder.score_uncached([t])[0] for t in long[:3]]
    monkeypatch.setattr(encoder_module, "BATCH_TOKENS", 1000)
    monkeypatch.setattr(encoder, "session", Recording())
    got = encoder.score_uncached([*long, *short])
    assert all(rows * length <= 1000 for rows, length in shapes if rows > 1)
    assert max(rows for rows, length in shapes if length > 50) == 1000 // 96
    short_runs = [(rows, length) for rows, length in shapes if length < 10]
    assert short_runs and all(rows == 1000 // length for rows, length in short_runs[:-1])
    monkeypatch.setattr(encoder_module, "BATCH_TOKENS", 6144)  # short ones: BATCH_SIZE
    shapes.clear()
    encoder.score_uncached(short)
    assert [rows for rows, _ in shapes] == [256, 300 - 256]
    for scores, expected in zip(got[:3], alone, strict=True):
        assert list(scores) == pytest.approx(list(expected), abs=SAME)
