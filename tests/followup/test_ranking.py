"""One score per nudge: relationship, directness, confidence, urgency, staleness."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from builders import ME, MY, NOW, RULES, ask, kinds, msg, promise, rhythm, state, thread

from followup.rules import plan
from followup.state import Contact

DANA = "dana@acme.example"


def _reply_score(*messages, contacts=None):  # type: ignore[no-untyped-def]
    nudges = kinds(plan(state(thread(*messages), contacts=contacts), NOW, RULES, MY), "reply")
    assert len(nudges) == 1
    return nudges[0]


def test_every_nudge_carries_its_score_and_the_parts():
    n = _reply_score(msg(DANA, ME, NOW - timedelta(days=3), findings=(ask("Can you send it?"),)))
    parts = n.extra["score_parts"]
    assert set(parts) == {
        "relationship",
        "directness",
        "confidence",
        "urgency",
        "freshness",
        "audience",
    }
    assert 0 < n.score <= 100


def test_a_known_person_outranks_a_stranger():
    when = NOW - timedelta(days=3)
    known = rhythm(DANA, NOW - timedelta(days=5), timedelta(weeks=2), 12)
    a = _reply_score(msg(DANA, ME, when, findings=(ask("Can you send it?"),)))
    b = _reply_score(
        msg(DANA, ME, when, findings=(ask("Can you send it?"),)), contacts={DANA: known}
    )
    assert b.score > a.score


def test_sole_recipient_outranks_one_of_several():
    when = NOW - timedelta(days=3)
    alone = _reply_score(msg(DANA, ME, when, findings=(ask("Can you send it?"),)))
    several = _reply_score(
        msg(
            DANA,
            [ME, "raj@acme.example", "kim@acme.example", "lee@acme.example"],
            when,
            names_me=True,
            findings=(ask("Can you send it?"),),
        )
    )
    assert alone.score > several.score


def test_a_surer_finding_scores_higher():
    when = NOW - timedelta(days=3)
    sure = _reply_score(msg(DANA, ME, when, findings=(replace(ask("Send it?"), score=0.95),)))
    unsure = _reply_score(msg(DANA, ME, when, findings=(replace(ask("Send it?"), score=0.55),)))
    assert sure.score > unsure.score


def test_a_time_bound_ask_decays_once_its_moment_has_passed():
    when = NOW - timedelta(days=8)
    bound = _reply_score(msg(DANA, ME, when, findings=(ask("Can you call me tomorrow?"),)))
    open_ = _reply_score(msg(DANA, ME, when, findings=(ask("Can you send the contract?"),)))
    assert bound.extra["score_parts"]["freshness"] < 0.5
    assert bound.score < open_.score / 2


def test_many_mails_exchanged_since_make_an_item_stale():
    when = NOW - timedelta(days=6)
    since = tuple(when + timedelta(hours=6 * i) for i in range(1, 20))
    busy = Contact(DANA, "Dana Lee", received=since, sent=since)
    quiet = Contact(DANA, "Dana Lee", received=(when - timedelta(days=20),), sent=(when,))
    m = msg(DANA, ME, when, findings=(ask("Can you call me tomorrow?"),))
    assert (
        _reply_score(m, contacts={DANA: busy}).score
        < _reply_score(m, contacts={DANA: quiet}).score / 3
    )


def test_an_overdue_promise_outranks_one_due_next_week():
    late = msg(
        ME,
        "sam@acme.example",
        NOW - timedelta(days=6),
        findings=(promise("I'll send the deck.", NOW - timedelta(days=2)),),
    )
    later = msg(
        ME,
        "ana@acme.example",
        NOW - timedelta(days=1),
        findings=(promise("I'll send the plan.", NOW + timedelta(days=2)),),
    )
    nudges = kinds(plan(state(thread(late), thread(later)), NOW, RULES, MY), "promise")
    scores = {n.person.email: n.score for n in nudges}
    assert scores["sam@acme.example"] > scores["ana@acme.example"]


def test_an_item_left_three_weeks_fades_with_each_further_week():
    def aged(days: int):  # type: ignore[no-untyped-def]
        when = NOW - timedelta(days=days)
        return _reply_score(msg(DANA, ME, when, findings=(ask("Can you send the contract?"),)))

    fresh, three, four = aged(16), aged(20), aged(28)
    # Urgency alone has bottomed out by 16 days; only the fade tells these apart.
    assert fresh.extra["score_parts"]["urgency"] == four.extra["score_parts"]["urgency"]
    assert three.score == fresh.score
    assert four.score < 0.6 * three.score


def test_a_reminder_restarts_the_fade():
    first = NOW - timedelta(days=27)
    asked = msg(DANA, ME, first, findings=(ask("Can you send the contract?"),))
    alone = _reply_score(asked)
    reminded = _reply_score(asked, msg(DANA, ME, NOW - timedelta(days=3), subject="Re: Q3 numbers"))
    assert reminded.score > 2 * alone.score


def test_a_dated_promise_fades_from_its_due_date_not_from_when_it_was_made():
    made = NOW - timedelta(days=29)
    due_soon = msg(ME, "sam@acme.example", made, findings=(promise("I'll send the deck.", made),))
    due_lately = msg(
        ME,
        "ana@acme.example",
        made,
        findings=(promise("I'll send the plan.", NOW - timedelta(days=10)),),
    )
    nudges = kinds(plan(state(thread(due_soon), thread(due_lately)), NOW, RULES, MY), "promise")
    fresh = {n.person.email: n.extra["score_parts"]["freshness"] for n in nudges}
    assert fresh["ana@acme.example"] == 1.0
    assert fresh["sam@acme.example"] < 0.5


def test_a_promise_in_a_mail_to_many_counts_for_less_than_one_to_one_person():
    when = NOW - timedelta(days=2)
    team = [f"p{i}@acme.example" for i in range(7)]

    def promised(to):  # type: ignore[no-untyped-def]
        m = msg(ME, to, when, findings=(promise("We will have to change the links."),))
        (n,) = kinds(plan(state(thread(m)), NOW, RULES, MY), "promise")
        return n

    one, few, many = promised("p0@acme.example"), promised(team[:4]), promised(team)
    assert one.extra["score_parts"]["audience"] == 1.0
    assert one.score > few.score > many.score
    # Beyond its lower directness, a memo to seven keeps little more than half its score.
    assert many.extra["score_parts"]["audience"] <= 0.6
