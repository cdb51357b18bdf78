"""Hand-written cases per kind and per trap, on the rule pipeline (spacy.blank)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

import nlp

WED = datetime(2024, 2, 21, 15, 0, tzinfo=UTC)

REQUESTS = [
    "Can you send me the Q3 numbers?",
    "Could you please review the contract before the call?",
    "Please forward the invoice to accounting.",
    "When are you free next week?",
    "Let me know when you are free to meet.",
    "Let's meet on Thursday to go over the plan.",
    "Send me the signed copy.",
    "I need you to approve the budget today.",
    "Would you mind checking the numbers on page 3?",
    "Dana, please call the vendor.",
    "Do you have the latest version of the deck?",
]
COMMITMENTS = [
    "I'll send the deck by Friday.",
    "I will call you tomorrow.",
    "We will have the contract to you Monday.",
    "Let me check and get back to you.",
    "I am going to review the draft tonight.",
    "I'll forward it to you once I get it.",
    "I will be attending.",
]
NEITHER = [
    # hedges
    "I might be able to look at it next week.",
    "I will probably send it tomorrow.",
    "Hopefully we can finish by Friday.",
    "I will try to find the old files.",
    # conditionals
    "I will send more if I find them.",
    "If you want, I can help.",
    # past reports
    "I sent the deck yesterday.",
    "We have already forwarded the file.",
    "He said he'd call.",
    # courtesy
    "How are you?",
    "Thanks, ok?",
    "Let me know if you have any questions.",
    "Please let me know if you need anything else.",
    "Please see the attached report.",
    "I'll be in touch.",
    "I will be out of the office on Monday.",
    # marketing calls to action
    "Act now!",
    "Click here to claim your free gift today!",
    "Buy now and save 50%!",
    # statements
    "The meeting went well.",
    "We are working on the new model.",
]
# Sentences from real and demo mail that were once returned as requests: farewells,
# agreement, the writer's own plans, news, system notices, broadcast instructions.
NOT_REQUESTS = [
    "Great, see you then.",
    "We want to start with the Midwest region.",
    "OK, let's do it then.",
    "If everyone follows this, we should be able to share one spreadsheet.",
    "I want to let you know that the office will be closed on Monday.",
    "You have received this email because you are listed as a backup reviewer.",
    "The pricing attached to this order needs to be re-checked.",
    "If you are still on the old laptop, you have to remove that VPN profile from your settings.",
    # courtesy closings: noise in a digest, whatever some corpora say
    "Please let me know if you have any questions.",
    "Let me know if you need anything else.",
    "Feel free to call me if you have any questions.",
    "If you have any questions, please call Robin Sample at 555-0100.",
    "Have a great weekend!",
    # a forwarded meeting notice, a pointer into a document, an FYI
    "Please attend the following session.",
    "See tab 3 of the workbook.",
    "Please take note of the new dial-in number for the call.",
    # open offers: the writer offers, the reader need do nothing
    "Let me know whenever you want the backup file.",
    "I can swing by and drive you to the game around noon.",
    # the writer's own schedule, expectation or opinion
    "I'm scheduled to meet with the auditors on Friday to go over it.",
    "We should hear back from the bank by Monday about the loan.",
    "I don't see why we need a second server for the pilot.",
    "I will also be leaving early on Friday and back on Tuesday.",
    # chain mail, appeals, jokes, receipts
    "Please forward this to everyone you know.",
    "Please pray for the families affected by the storm.",
    "Keep a copy on your own hard drive and help distribute it.",
    "Don't make me call you twice.",
    "Return Receipt\n\n    Your      budget memo\n    document\n    :\n    was received by:",
]
# Where the writer will be, a standing practice, a purpose clause: no promise made.
NOT_COMMITMENTS = [
    "I'll be in Denver on Thursday.",
    "I will also be leaving early on Friday and back on Tuesday.",
    "I will be checking my voice mail while I am away.",
    "I will be available by phone all afternoon.",
    "We will be booking it that way going forward.",
    "Let me know by noon so we can set up the room.",
]
# Near neighbours of those traps that are promises and must stay so.
STILL_COMMITMENTS = [
    "I'll be sending you the revised figures tonight.",
    "I will check the numbers so we can close the book Friday.",
    "I can send you the file this afternoon.",
]
# Near neighbours of the traps above that are asks and must stay so.
STILL_REQUESTS = [
    "Can you see me then?",
    "Let's meet at 3 to go over the numbers.",
    "If you see any problems, let me know.",
    "Can you let me know if you have any questions about the lease by Friday?",
    "Can you see tab 2 and fix the totals?",
    "Please note the new date on your calendar.",
    "Let me know by noon so we can set up the room.",
    "Send me the list so we can book the rooms.",
    "I'm scheduled to meet them at 3, can you join?",
]


def kinds(text: str, pipeline) -> set[str]:  # type: ignore[no-untyped-def]
    """The firm findings' kinds: what the digest acts on."""
    found = nlp.extract(text, sent_at=WED, pipeline=pipeline).findings
    return {f.kind for f in found if f.firm}


# What the labelled corpora count as asks but the digest should not chase: reported as
# findings, not firm.
SOFT_REQUESTS = [
    "Let me know if you have any questions.",
    "Please let me know if you have any questions.",
    "Feel free to call me if you have any questions.",
]


@pytest.mark.parametrize("text", SOFT_REQUESTS)
def test_soft_requests_are_findings_but_not_firm(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    found = nlp.extract(text, sent_at=WED, pipeline=rules_pipeline).findings
    assert [(f.kind, f.firm) for f in found] == [("request", False)]


@pytest.mark.parametrize("text", ["How are you?", "Thanks, ok?", "The meeting went well."])
def test_courtesy_and_statements_are_no_finding_at_all(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert nlp.extract(text, sent_at=WED, pipeline=rules_pipeline).findings == ()


def test_firm_findings_are_firm(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    found = nlp.extract(
        "Can you send me the Q3 numbers? I'll call you tomorrow.", sent_at=WED,
        pipeline=rules_pipeline,
    ).findings  # fmt: skip
    assert [f.kind for f in found if f.firm] == ["request", "commitment"]


def test_without_classifier_every_finding_is_firm() -> None:
    from nlp.pipeline import Pipeline, build_rule_nlp

    rules_only = Pipeline(build_rule_nlp(textcat=False), None, "rules only")
    texts = [*REQUESTS, *COMMITMENTS, *SOFT_REQUESTS]
    found = [f for t in texts for f in nlp.extract(t, sent_at=WED, pipeline=rules_only).findings]
    assert found and all(f.firm for f in found)


@pytest.mark.parametrize("text", REQUESTS)
def test_requests(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert kinds(text, rules_pipeline) == {"request"}


@pytest.mark.parametrize("text", COMMITMENTS)
def test_commitments(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "commitment" in kinds(text, rules_pipeline)


@pytest.mark.parametrize("text", NEITHER)
def test_traps(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert kinds(text, rules_pipeline) == set()


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_not_requests(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "request" not in kinds(text, rules_pipeline)


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_not_requests_without_classifier(text: str) -> None:
    # The rules alone (no shipped classifier) must not return them either.
    from nlp.pipeline import Pipeline, build_rule_nlp

    rules_only = Pipeline(build_rule_nlp(textcat=False), None, "rules only")
    assert "request" not in kinds(text, rules_only)


@pytest.mark.parametrize("text", NOT_COMMITMENTS)
def test_not_commitments(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "commitment" not in kinds(text, rules_pipeline)


@pytest.mark.parametrize("text", STILL_COMMITMENTS)
def test_still_commitments(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert kinds(text, rules_pipeline) == {"commitment"}


@pytest.mark.parametrize("text", STILL_REQUESTS)
def test_still_requests(text: str, rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "request" in kinds(text, rules_pipeline)


def test_scores_are_probabilities_and_rank(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    strong = nlp.extract("Can you send me the signed contract by Friday?", pipeline=rules_pipeline)
    weak = nlp.extract("Thoughts on the plan?", pipeline=rules_pipeline)
    (s,) = strong.findings
    assert 0.0 < s.score <= 1.0
    assert all(0.0 < f.score <= 1.0 for f in weak.findings)
    assert all(f.score <= s.score for f in weak.findings)


def test_finding_fields(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    ex = nlp.extract(
        "Hi Dana,\n\nCan you send the Q3 numbers by Friday? I'll review them by EOD Monday.",
        sent_at=WED,
        tz="America/Chicago",
        pipeline=rules_pipeline,
    )
    req, cmt = ex.findings
    assert (req.kind, req.owner) == ("request", "reader")
    assert req.text == "Can you send the Q3 numbers by Friday?"
    assert req.action == "send the Q3 numbers"
    assert req.due == datetime(2024, 2, 23, 23, 59, tzinfo=ZoneInfo("America/Chicago"))
    assert req.due_text == "by Friday"
    assert (cmt.kind, cmt.owner, cmt.action) == ("commitment", "writer", "review them")
    assert cmt.due == datetime(2024, 2, 26, 17, 0, tzinfo=ZoneInfo("America/Chicago"))


def test_quoted_text_is_not_judged(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Sounds good.\n\n-----Original Message-----\nFrom: Dana Example\nSent: Monday\n"
        "To: Sam\nSubject: x\n\nCan you send me the report by Friday?\n"
        "> I will call you tomorrow."
    )
    ex = nlp.extract(text, sent_at=WED, pipeline=rules_pipeline)
    assert ex.findings == ()
    assert ex.clean_text == "Sounds good."


def test_signature_is_not_judged(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    text = "Noted.\n\nThanks,\nSam Example\nCall me anytime: 555-0100\n-- \nVisit our site!"
    ex = nlp.extract(text, sent_at=WED, pipeline=rules_pipeline)
    assert ex.findings == ()


def test_both_kinds_regardless_of_from_me(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    text = "Can you check the totals? I will send the file tonight."
    for from_me in (False, True):
        ex = nlp.extract(text, sent_at=WED, from_me=from_me, pipeline=rules_pipeline)
        assert [(f.kind, f.owner) for f in ex.findings] == [
            ("request", "reader"),
            ("commitment", "writer"),
        ]


def test_extract_many_keeps_order_and_count(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    items = [nlp.TextItem(text=t, sent_at=WED) for t in ["", "Can you call me?", "Ok."] * 100]
    out = list(rules_pipeline.extract_many(items, batch_size=7))
    assert len(out) == 300
    assert [bool(e.findings) for e in out[:3]] == [False, True, False]


def test_people_from_headers_greeting_and_signature(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Hi Dana,\n\nSee below.\n\nThanks,\nSam Example\n\n-----Original Message-----\n"
        "From: Example, Dana [mailto:dana@example.com]\nSent: Monday\nTo: Sam\n"
    )
    people = nlp.extract(text, sent_at=WED, pipeline=rules_pipeline).people
    assert ("Dana Example", "dana@example.com") in [(p.name, p.email) for p in people]
    assert "Sam Example" in [p.name for p in people]
    # "Dana" alone is folded into the full name the thread gives.
    assert "Dana" not in [p.name for p in people]


def test_extract_many_people_false_skips_ner(model_pipeline, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    text = "Hi Dana,\n\nCan you ask Robin Sample about the lease?\n\nThanks,\nSam Example\n"
    item = nlp.TextItem(text=text, sent_at=WED)
    (full,) = model_pipeline.extract_many([item])
    assert "Robin Sample" in {p.name for p in full.people}

    def no_ner(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("NER ran with people=False")

    monkeypatch.setattr(model_pipeline.ner, "pipe", no_ner)
    (fast,) = model_pipeline.extract_many([item], people=False)
    assert fast.findings == full.findings
    # Names from the greeting and signature still come from the rules.
    assert {p.name for p in fast.people} == {"Dana", "Sam Example"}


def test_the_ner_loads_only_when_people_are_asked_for(model_pipeline) -> None:  # type: ignore[no-untyped-def]
    """A run analyses with people=False: its pipeline never loads the model's NER."""
    import nlp

    fresh = nlp.load_pipeline("model")
    assert fresh.name == model_pipeline.name  # named from the package's meta, unloaded
    assert fresh.name.startswith("en_core_web_sm 3.8.0 (")
    item = nlp.TextItem(text="Hi Dana,\n\nCan you ask Robin Sample about it?\n\nSam Example\n")
    list(fresh.extract_many([item], people=False))
    assert fresh._ner is None
    (full,) = fresh.extract_many([item])
    assert fresh._ner is not None
    assert "Robin Sample" in {p.name for p in full.people}


def test_rule_pipeline_name(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert rules_pipeline.name.startswith("rules (spacy.blank en + sentencizer + matcher")
    assert rules_pipeline.ner is None


def test_importing_nlp_does_not_import_spacy() -> None:
    import subprocess
    import sys

    code = "import sys, nlp, nlp.quoting, nlp.dates; print('spacy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_model_pipeline_finds_body_names(model_pipeline) -> None:  # type: ignore[no-untyped-def]
    assert "en_core_web_sm" in model_pipeline.name
    text = "Can you ask Dana Example about the lease?\nI met with Robin Sample on Monday."
    ex = nlp.extract(text, sent_at=WED, pipeline=model_pipeline)
    names = {p.name for p in ex.people}
    assert {"Dana Example", "Robin Sample"} <= names
    assert [f.kind for f in ex.findings] == ["request"]
