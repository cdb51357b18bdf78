"""The cascade's bag-of-words gate: what it lets through, how it is trained, what it is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from nlp import cascade_files
from nlp.cascade import BUCKETS, Gate, fit, load_gate, recall_threshold

SENT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
CUE_SENTENCES = [
    "Can you send me the report by Friday?",
    "Please review the attached contract.",
    "I'll send you the numbers tomorrow.",
    "Let me know if the time works for you.",
    "Could we meet on Tuesday to go over the numbers?",
]
# Reports of what was done: the scorers find nothing in them on the development data.
FILLER = [
    "The new desks have been created in the system.",
    "The accounts have been set up in the tables.",
    "The report has been completed.",
    "These 4 accounts have been restored.",
]
REJECT_ALL = Gate(np.zeros(BUCKETS, dtype=np.float32), -100.0, 0.0)


@pytest.fixture(scope="module")
def rule_nlp():
    from nlp.pipeline import build_rule_nlp

    return build_rule_nlp(textcat=False)


def judged(rule_nlp, text: str) -> list[tuple]:
    component = rule_nlp.get_pipe("followup_findings")
    return [(j, words, inside) for _, _, j, words, inside in component.judge_doc(rule_nlp(text))]


def test_every_rule_cue_sentence_is_scored_whatever_the_gate(rule_nlp) -> None:
    from nlp.components import has_rule_cue, worth_scoring

    for text in CUE_SENTENCES:
        for j, words, inside in judged(rule_nlp, text):
            assert has_rule_cue(j, inside), text
            assert worth_scoring(j, words, inside, REJECT_ALL), text


def test_the_shipped_gate_rejects_plain_filler(rule_nlp) -> None:
    from nlp.components import has_rule_cue, plausible, worth_scoring

    gate = load_gate()
    assert gate is not None, "the cascade weights ship with the package"
    for text in FILLER:
        for j, words, inside in judged(rule_nlp, text):
            # Plausible (modal-like words), no rule cue: the gate's to decide.
            assert plausible(j, words, inside) and not has_rule_cue(j, inside), text
            assert not worth_scoring(j, words, inside, gate), text
            assert worth_scoring(j, words, inside, None), text  # no gate: scored


SMALL = [
    (["can", "you", "send", "the", "file", "?"], True),
    (["please", "call", "me", "tomorrow"], True),
    (["i", "will", "send", "it", "by", "friday"], True),
    (["the", "file", "has", "been", "sent"], False),
    (["the", "meeting", "was", "moved"], False),
    (["the", "price", "is", "4", "dollars"], False),
    (["we", "had", "lunch", "today"], False),
]


def test_training_is_deterministic_and_learns_the_small_corpus() -> None:
    words = [w for w, _ in SMALL]
    labels = [y for _, y in SMALL]
    w1, b1 = fit(words, labels, epochs=100)
    w2, b2 = fit(words, labels, epochs=100)
    assert np.array_equal(w1, w2) and b1 == b2
    gate = Gate(w1, b1, 0.0)
    logits = [gate.logit(w) for w in words]
    threshold = recall_threshold(logits, labels, 1.0)
    assert all(z >= threshold for z, y in zip(logits, labels, strict=True) if y)
    assert not Gate(w1, b1, threshold).passes(["the", "price", "is", "4", "dollars"])


def test_a_saved_gate_loads_back_the_same(tmp_path: Path) -> None:
    words = [w for w, _ in SMALL]
    weights, bias = fit(words, [y for _, y in SMALL], epochs=20)
    Gate(weights, bias, 0.25).save(tmp_path / "gate")
    back = load_gate(tmp_path / "gate")
    assert back is not None
    assert np.array_equal(back.weights, weights) and (back.bias, back.threshold) == (bias, 0.25)


def test_the_pipeline_identity_changes_with_the_gate_weights(tmp_path, monkeypatch) -> None:
    from nlp.pipeline import installed

    shipped = installed("rules").identity
    assert "+cascade-" in shipped
    words = [w for w, _ in SMALL]
    weights, bias = fit(words, [y for _, y in SMALL], epochs=20)
    Gate(weights, bias, 0.0).save(tmp_path / "a")
    Gate(weights * 2, bias, 0.0).save(tmp_path / "b")
    Gate(weights, bias, 0.0).save(tmp_path / "a_again")
    ids = {}
    for name in ("a", "b", "a_again"):
        monkeypatch.setattr(cascade_files, "cascade_path", lambda name=name: tmp_path / name)
        ids[name] = installed("rules").identity
    assert ids["a"] != ids["b"]
    assert ids["a"] == ids["a_again"]  # the files' contents, not where they are
    assert shipped not in ids.values()


def test_a_finding_still_comes_out_through_the_gated_pipeline(rules_pipeline) -> None:
    import nlp
    from nlp.findings import TextItem

    component = rules_pipeline.nlp.get_pipe("followup_findings")
    assert component.gate is not None and component.cascade
    text = (
        "Hi Dana,\n\nThe report has been completed.\n\n"
        "Can you send me the signed contract by Friday?"
    )
    before = component.skipped
    result = nlp.extract(text, sent_at=SENT, pipeline=rules_pipeline)
    assert [f.kind for f in result.findings] == ["request"]
    assert "signed contract" in result.findings[0].text
    assert component.skipped > before  # the filler line was not scored

    # A gate that rejects everything still lets the rule-cued ask through.
    saved = component.gate
    try:
        component.set_gate(REJECT_ALL)
        items = [TextItem(text=text, sent_at=SENT)]
        (again,) = rules_pipeline.extract_many(items)
        assert [f.kind for f in again.findings] == ["request"]
    finally:
        component.set_gate(saved)


def test_the_pipelines_identity_is_read_without_numpy() -> None:
    """A run's parent names the installed pipeline before it asks its analysis child;
    the gate's files are named without loading the gate (numpy: 0.1 s of that wait)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from nlp.pipeline import installed\n"
        "assert '+cascade-' in installed('rules').identity\n"
        "print('numpy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
