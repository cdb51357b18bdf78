"""Reply rule: asked directly, unanswered past reply_after business days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from builders import ME, MY, NOW, RULES, ask, kinds, msg, reason, state, thread, title

from followup.rules import plan


def test_unanswered_request_three_business_days_old_is_due():
    m = msg(
        "dana@acme.example",
        ME,
        NOW - timedelta(days=6),
        findings=(ask("Can you send the Q3 numbers?"),),
    )
    nudges = kinds(plan(state(thread(m)), NOW, RULES, MY), "reply")
    assert len(nudges) == 1
    n = nudges[0]
    assert n.key == f"reply:{m.message_id}"
    assert n.person.email == "dana@acme.example"
    assert title(n) == "Reply to Dana"  # name from the address when none is known
    assert "'Can you send the Q3 numbers?'" in reason(n)
    assert "6 days ago" in reason(n)
    assert n.evidence.message_id == m.message_id
    assert n.evidence.sentence == "Can you send the Q3 numbers?"


def test_business_days_not_calendar_days():
    # Friday 10:00 Chicago -> Monday is 1 business day, Tuesday 2.
    friday = datetime(2026, 3, 13, 15, 0, tzinfo=UTC)
    m = msg("dana@acme.example", ME, friday, findings=(ask("Could you check this?"),))
    monday = datetime(2026, 3, 16, 13, 30, tzinfo=UTC)
    assert kinds(plan(state(thread(m)), monday, RULES, MY), "reply") == []
    assert len(kinds(plan(state(thread(m)), NOW, RULES, MY), "reply")) == 1


def test_my_later_message_in_the_thread_answers_it():
    m = msg("dana@acme.example", ME, NOW - timedelta(days=6), findings=(ask("Can you send it?"),))
    r = msg(ME, "dana@acme.example", NOW - timedelta(days=5))
    assert kinds(plan(state(thread(m, r)), NOW, RULES, MY), "reply") == []


def test_cc_automated_muted_and_old_requests_are_not_nudged():
    old = NOW - timedelta(days=6)
    cc = msg("a@acme.example", "boss@acme.example", old, findings=(ask("Can you?"),), cc=(ME,))
    bulk = msg(
        "news@list.example",
        ME,
        old,
        findings=(ask("Can you spare 5 minutes?"),),
        automated="List-Id",
    )
    muted = msg("m@acme.example", ME, old, findings=(ask("Can you?"),))
    ancient = msg("x@acme.example", ME, NOW - timedelta(days=45), findings=(ask("Can you?"),))
    s = state(thread(cc), thread(bulk), thread(muted), thread(ancient), muted=("m@acme.example",))
    assert kinds(plan(s, NOW, RULES, MY), "reply") == []


def test_no_request_no_nudge():
    m = msg("dana@acme.example", ME, NOW - timedelta(days=6))
    assert kinds(plan(state(thread(m)), NOW, RULES, MY), "reply") == []


def test_two_asks_in_one_thread_give_one_nudge_keyed_on_the_first():
    a = msg("dana@acme.example", ME, NOW - timedelta(days=8), findings=(ask("Can you send it?"),))
    b = msg("dana@acme.example", ME, NOW - timedelta(days=4), findings=(ask("Any news on this?"),))
    nudges = kinds(plan(state(thread(a, b)), NOW, RULES, MY), "reply")
    assert [n.key for n in nudges] == [f"reply:{a.message_id}"]
    assert "Any news on this?" in reason(nudges[0])  # the latest ask is shown


def test_naive_now_is_refused():
    import pytest

    with pytest.raises(ValueError, match="timezone-aware"):
        plan(state(), datetime(2026, 3, 17), RULES, MY)


def test_broadcast_request_is_not_a_reply_for_me():
    many = [ME] + [f"p{i}@example.com" for i in range(6)]
    m = msg(
        "dana@acme.example",
        many,
        NOW - timedelta(days=6),
        findings=(ask("Please test the release."),),
    )
    assert kinds(plan(state(thread(m)), NOW, RULES, MY), "reply") == []


def test_people_i_write_to_come_before_strangers():
    from followup.state import Contact

    a = msg("stranger@x.example", ME, NOW - timedelta(days=4), findings=(ask("Can you call me?"),))
    b = msg("dana@acme.example", ME, NOW - timedelta(days=4), findings=(ask("Can you call me?"),))
    dana = Contact(
        "dana@acme.example",
        "Dana Lee",
        received=tuple(NOW - timedelta(days=d) for d in (40, 30, 20)),
        sent=tuple(NOW - timedelta(days=d) for d in (39, 29, 19)),
    )
    nudges = kinds(
        plan(state(thread(a), thread(b), contacts={dana.email: dana}), NOW, RULES, MY), "reply"
    )
    assert [n.person.email for n in nudges] == ["dana@acme.example", "stranger@x.example"]
    assert title(nudges[0]) == "Reply to Dana Lee"


def test_ask_to_a_few_people_is_mine_without_naming_me():
    """An ask put by name to another of the few is no firm finding (nlp's addressees), so
    the firm asks left to a few people, named or not, are mine to answer."""
    to = [ME, "bob@example.com"]
    vague = msg("dana@acme.example", to, NOW - timedelta(days=6), findings=(ask("Can you check?"),))
    named = msg(
        "raj@beta.example",
        to,
        NOW - timedelta(days=6),
        findings=(ask("Can you check?"),),
        names_me=True,
    )
    cc_only = msg(
        "lee@beta.example",
        "bob@example.com",
        NOW - timedelta(days=6),
        findings=(ask("Can you check?"),),
        cc=(ME,),
    )
    nudges = kinds(
        plan(state(thread(vague), thread(named), thread(cc_only)), NOW, RULES, MY), "reply"
    )
    assert sorted(n.person.email for n in nudges) == ["dana@acme.example", "raj@beta.example"]
