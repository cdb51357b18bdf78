"""Reconnect, after-meeting and before-meeting rules."""

from __future__ import annotations

from datetime import timedelta

from builders import (
    ME,
    MY,
    NOW,
    RULES,
    ask,
    kinds,
    meeting,
    msg,
    promise,
    reason,
    rhythm,
    state,
    thread,
    title,
)

from followup.rules import plan


def test_quiet_relationship_beyond_its_rhythm():
    lee = rhythm("lee@north.example", NOW - timedelta(weeks=9), timedelta(weeks=3), 8, "Lee Park")
    fresh = rhythm("kim@north.example", NOW - timedelta(weeks=2), timedelta(weeks=3), 8)
    nudges = kinds(
        plan(state(contacts={c.email: c for c in (lee, fresh)}), NOW, RULES, MY), "reconnect"
    )
    assert [n.person.email for n in nudges] == ["lee@north.example"]
    assert reason(nudges[0]).startswith("You usually talk every ~3 weeks; last contact 9 weeks ago")
    assert "board prep" in reason(nudges[0])


def test_one_way_or_few_contacts_are_no_relationship():
    from followup.state import Contact

    one_way = Contact(
        "n@news.example", "", received=tuple(NOW - timedelta(weeks=w) for w in range(10, 30, 2))
    )
    few = rhythm("f@x.example", NOW - timedelta(weeks=12), timedelta(weeks=3), 2)
    s = state(contacts={"n@news.example": one_way, "f@x.example": few})
    assert kinds(plan(s, NOW, RULES, MY), "reconnect") == []


def test_key_changes_with_the_last_contact_so_done_does_not_hide_the_next_silence():
    a = rhythm("lee@north.example", NOW - timedelta(weeks=9), timedelta(weeks=3), 8)
    b = rhythm("lee@north.example", NOW - timedelta(weeks=8), timedelta(weeks=3), 8)
    ka = kinds(plan(state(contacts={a.email: a}), NOW, RULES, MY), "reconnect")[0].key
    kb = kinds(plan(state(contacts={b.email: b}), NOW, RULES, MY), "reconnect")[0].key
    assert ka != kb


def test_after_meeting_with_outside_people_and_no_mail_since():
    m = meeting("e1", NOW - timedelta(hours=20), 60, ["ana@acme.example", "bob@example.com"])
    nudges = kinds(plan(state(meetings=(m,)), NOW, RULES, MY), "after_meeting")
    assert len(nudges) == 1
    assert [p.email for p in nudges[0].people] == ["ana@acme.example"]  # colleagues left out
    assert title(nudges[0]) == "Send a follow-up after 'Meeting e1'"


def test_no_after_meeting_when_followed_up_internal_or_cancelled():
    m1 = meeting("e1", NOW - timedelta(hours=20), 60, ["ana@acme.example"])
    sent = msg(ME, "ana@acme.example", NOW - timedelta(hours=10))
    internal = meeting("e2", NOW - timedelta(hours=20), 60, ["bob@example.com"])
    cancelled = meeting("e3", NOW - timedelta(hours=20), 60, ["x@acme.example"], status="cancelled")
    s = state(thread(sent), meetings=(m1, internal, cancelled))
    assert kinds(plan(s, NOW, RULES, MY), "after_meeting") == []


def test_before_meeting_lists_open_items_with_attendees():
    m = meeting("e9", NOW + timedelta(hours=3), 30, ["ana@acme.example"])
    p = msg(
        ME,
        "ana@acme.example",
        NOW - timedelta(days=3),
        subject="pricing",
        findings=(
            promise(
                "I'll send the pricing sheet by Monday.",
                NOW - timedelta(days=1),
                "send the pricing sheet",
            ),
        ),
    )
    nudges = plan(state(thread(p), meetings=(m,)), NOW, RULES, MY)
    before = kinds(nudges, "before_meeting")
    assert len(before) == 1
    assert title(before[0]).endswith("Meeting e9")
    assert "today" in reason(before[0])
    assert "You promised Ana: send the pricing sheet" in reason(before[0])


def test_muted_people_never_appear():
    m = msg("dana@acme.example", ME, NOW - timedelta(days=6), findings=(ask("Can you?"),))
    meet = meeting("e1", NOW - timedelta(hours=20), 60, ["dana@acme.example"])
    s = state(thread(m), meetings=(meet,), muted=("dana@acme.example",))
    assert plan(s, NOW, RULES, MY) == []


def test_many_days_in_one_conversation_are_no_rhythm():
    # Eight days of contact, all within one week: a project, not a relationship's beat.
    c = rhythm("pat@north.example", NOW - timedelta(weeks=6), timedelta(days=1), 8)
    assert kinds(plan(state(contacts={c.email: c}), NOW, RULES, MY), "reconnect") == []
