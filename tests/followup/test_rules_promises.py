"""Promise and waiting-on rules."""

from __future__ import annotations

from datetime import timedelta

from builders import ME, MY, NOW, RULES, kinds, msg, promise, reason, state, thread, title

from followup.rules import plan


def test_my_overdue_and_soon_promises():
    overdue = msg(
        ME,
        "sam@acme.example",
        NOW - timedelta(days=6),
        subject="deck",
        findings=(
            promise("I'll send the deck by Friday.", NOW - timedelta(days=4), "send the deck"),
        ),
    )
    soon = msg(
        ME,
        "ana@acme.example",
        NOW - timedelta(days=1),
        subject="pricing",
        findings=(promise("I will get you pricing tomorrow.", NOW + timedelta(days=1)),),
    )
    later = msg(
        ME,
        "lee@acme.example",
        NOW - timedelta(days=1),
        subject="later",
        findings=(promise("I'll write by next month.", NOW + timedelta(days=20)),),
    )
    nudges = kinds(
        plan(state(thread(overdue), thread(soon), thread(later)), NOW, RULES, MY), "promise"
    )
    assert [n.person.email for n in nudges] == ["sam@acme.example", "ana@acme.example"]
    assert title(nudges[0]) == "You promised Sam: send the deck"
    assert "4 days overdue" in reason(nudges[0])
    assert "due tomorrow" in reason(nudges[1])


def test_a_later_message_of_mine_delivers_the_promise():
    p = msg(
        ME,
        "sam@acme.example",
        NOW - timedelta(days=6),
        findings=(promise("I'll send the deck by Friday.", NOW - timedelta(days=4)),),
    )
    d = msg(ME, "sam@acme.example", NOW - timedelta(days=3))
    assert kinds(plan(state(thread(p, d)), NOW, RULES, MY), "promise") == []


def test_their_late_promise_is_waiting_on():
    p = msg(
        "ana@acme.example",
        ME,
        NOW - timedelta(days=8),
        findings=(
            promise(
                "I'll confirm the venue by Monday.", NOW - timedelta(days=2), "confirm the venue"
            ),
        ),
    )
    nudges = kinds(plan(state(thread(p)), NOW, RULES, MY), "waiting_on")
    assert len(nudges) == 1
    assert title(nudges[0]) == "Ana owes you: confirm the venue"
    assert "2 days late" in reason(nudges[0])


def test_not_yet_late_or_already_delivered():
    fresh = msg(
        "ana@acme.example",
        ME,
        NOW - timedelta(days=3),
        findings=(promise("I'll confirm by today.", NOW - timedelta(hours=5)),),
    )
    done = msg(
        "bo@acme.example",
        ME,
        NOW - timedelta(days=8),
        findings=(promise("I'll send it Monday.", NOW - timedelta(days=2)),),
    )
    delivered = msg("bo@acme.example", ME, NOW - timedelta(days=1))
    undated = msg(
        "cy@acme.example", ME, NOW - timedelta(days=8), findings=(promise("I'll look into it."),)
    )
    s = state(thread(fresh), thread(done, delivered), thread(undated))
    assert kinds(plan(s, NOW, RULES, MY), "waiting_on") == []


def test_undated_state_is_no_deliverable_but_dated_one_is():
    rsvp = msg(
        ME,
        "sam@acme.example",
        NOW - timedelta(days=5),
        findings=(promise("I will be attending.", None, "be attending"),),
    )
    dated = msg(
        ME,
        "ana@acme.example",
        NOW - timedelta(days=5),
        findings=(
            promise("I will be sending it Monday.", NOW - timedelta(days=1), "be sending it"),
        ),
    )
    nudges = kinds(plan(state(thread(rsvp), thread(dated)), NOW, RULES, MY), "promise")
    assert [n.person.email for n in nudges] == ["ana@acme.example"]
