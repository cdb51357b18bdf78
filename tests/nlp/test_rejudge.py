"""Judging stored scores again gives the pipeline's own decision (same thresholds), and
other thresholds move it: what re-judging without the model rests on."""

from __future__ import annotations

import dataclasses
import mailbox
from pathlib import Path

import pytest

import followup.demo
from nlp.findings import TextItem
from nlp.pipeline import installed, load_pipeline
from nlp.thresholds import CUES, Thresholds, rejudge, thresholds_id

DEMO_MAIL = Path(followup.demo.__file__).parent / "data" / "mail"


@pytest.fixture(scope="module")
def findings():
    pipe = load_pipeline("rules")
    box = mailbox.Maildir(DEMO_MAIL, create=False)
    texts = []
    for msg in box:
        part = msg.get_payload(decode=True) if not msg.is_multipart() else None
        if part:
            texts.append(TextItem(text=part.decode("utf-8", "replace")))
    found = [f for ex in pipe.extract_many(texts, people=False) for f in ex.findings]
    return pipe, found


def test_the_same_thresholds_give_the_same_decision(findings):
    pipe, found = findings
    assert pipe.installed.thresholds == installed("rules").thresholds
    assert any(f.firm for f in found) and any(not f.firm for f in found)
    for f in found:
        assert f.cues is not None and set(f.cues) <= set(CUES)
        again = rejudge(pipe.installed.thresholds, f.kind, f.cues, f.p_request, f.p_commitment,
                        f.p_task)  # fmt: skip
        assert again == f.firm, f


def test_other_thresholds_change_the_decision_and_the_id(findings):
    pipe, found = findings
    th = pipe.installed.thresholds
    never = Thresholds(
        request_rule_floor=1.01, request_alone=1.01, commitment_rule_floor=1.01, task_alone=1.01
    )
    assert not any(
        rejudge(never, f.kind, f.cues, f.p_request, f.p_commitment, f.p_task) for f in found
    )
    assert thresholds_id(th) == thresholds_id(dataclasses.replace(th))
    assert thresholds_id(th) != thresholds_id(never)
