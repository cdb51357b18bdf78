"""Follow-up rule: my question or first outreach unanswered; adaptive wait."""

from __future__ import annotations

from datetime import timedelta

from builders import ME, MY, NOW, RULES, ask, kinds, msg, reason, state, thread, title

from followup.rules import plan


def test_first_outreach_unanswered_for_three_business_days():
    m = msg(
        ME,
        "raj@beta.example",
        NOW - timedelta(days=7),
        subject="Intro: Acme x Beta",
        expects_answer=True,  # "I look forward to hearing from you"
    )
    nudges = kinds(plan(state(thread(m)), NOW, RULES, MY), "follow_up")
    assert [n.key for n in nudges] == [f"follow_up:{m.message_id}"]
    assert title(nudges[0]) == "Chase Raj"
    assert "no reply to 'Intro: Acme x Beta'" in reason(nudges[0])


def test_my_question_in_a_reply_unanswered():
    theirs = msg("raj@beta.example", ME, NOW - timedelta(days=10))
    mine = msg(
        ME,
        "raj@beta.example",
        NOW - timedelta(days=6),
        findings=(ask("Can you confirm the date?"),),
    )
    nudges = kinds(plan(state(thread(theirs, mine)), NOW, RULES, MY), "follow_up")
    assert len(nudges) == 1 and "Can you confirm the date?" in reason(nudges[0])


def test_the_surest_ask_speaks_for_the_message():
    from dataclasses import replace

    mine = msg(
        ME,
        "raj@beta.example",
        NOW - timedelta(days=6),
        findings=(
            replace(ask("Thanks, I would be glad to speak."), score=0.7),
            replace(ask("Can you confirm the date?"), score=0.99),
        ),
    )
    (nudge,) = kinds(plan(state(thread(mine)), NOW, RULES, MY), "follow_up")
    assert "asked 'Can you confirm the date?'" in reason(nudge)
    assert nudge.evidence.sentence == "Can you confirm the date?"


def test_statement_in_a_reply_needs_no_chase():
    theirs = msg("raj@beta.example", ME, NOW - timedelta(days=10))
    mine = msg(ME, "raj@beta.example", NOW - timedelta(days=6))
    assert kinds(plan(state(thread(theirs, mine)), NOW, RULES, MY), "follow_up") == []


def test_they_replied():
    mine = msg(ME, "raj@beta.example", NOW - timedelta(days=7), findings=(ask("Can you?"),))
    theirs = msg("raj@beta.example", ME, NOW - timedelta(days=6))
    assert kinds(plan(state(thread(mine, theirs)), NOW, RULES, MY), "follow_up") == []


def test_too_recent():
    mine = msg(ME, "raj@beta.example", NOW - timedelta(days=1), findings=(ask("Can you?"),))
    assert kinds(plan(state(thread(mine)), NOW, RULES, MY), "follow_up") == []


def test_slow_responder_gets_more_time():
    # Raj usually takes 6 days to answer: 2x that = 12 days (~8 business days).
    history = []
    for i in range(3):
        start = NOW - timedelta(days=90 - 20 * i)
        a = msg(ME, "raj@beta.example", start, subject=f"topic {i}", findings=(ask("Can you?"),))
        b = msg("raj@beta.example", ME, start + timedelta(days=6), subject=f"topic {i}")
        history.append(thread(a, b))
    pending = msg(
        ME, "raj@beta.example", NOW - timedelta(days=7), subject="new", findings=(ask("Can you?"),)
    )
    s = state(*history, thread(pending))
    assert kinds(plan(s, NOW, RULES, MY), "follow_up") == []
    later = NOW + timedelta(days=7)
    assert len(kinds(plan(s, later, RULES, MY), "follow_up")) == 1


def test_role_addresses_are_not_chased():
    m = msg(
        ME, "feedback@vendor.example", NOW - timedelta(days=7), findings=(ask("Please remove me?"),)
    )
    assert kinds(plan(state(thread(m)), NOW, RULES, MY), "follow_up") == []
