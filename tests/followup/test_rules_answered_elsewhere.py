"""Asks and promises settled outside their thread, reminders, and to whom a promise is
made (issue: a digest a busy person acts on). Rules with a fixed ``now``."""

from __future__ import annotations

from datetime import timedelta

from builders import ME, MY, NOW, RULES, ask, kinds, msg, promise, reason, state, thread

from followup.nudges import OpenNudge
from followup.ranking import choose, rank
from followup.rules import plan
from followup.state import Contact

DANA = "dana@acme.example"


def test_send_me_is_answered_by_my_new_mail_to_them_under_another_subject():
    asked = NOW - timedelta(days=6)
    m = msg(DANA, ME, asked, findings=(ask("Email the sheet to me for now."),))
    sheet = msg(ME, DANA, asked + timedelta(hours=3), subject="the sheet")
    assert kinds(plan(state(thread(m), thread(sheet)), NOW, RULES, MY), "reply") == []
    # A forward counts too; a reply in another of their threads answers that thread only.
    fwd = msg(ME, DANA, asked + timedelta(hours=3), subject="FW: prices")
    assert kinds(plan(state(thread(m), thread(fwd)), NOW, RULES, MY), "reply") == []
    other = msg(ME, DANA, asked + timedelta(hours=3), subject="Re: lunch")
    assert len(kinds(plan(state(thread(m), thread(other)), NOW, RULES, MY), "reply")) == 1
    # New mail that asks something back starts a conversation; it hands nothing over.
    lunch = msg(ME, DANA, asked + timedelta(hours=3), subject="Lunch", expects_answer=True)
    assert len(kinds(plan(state(thread(m), thread(lunch)), NOW, RULES, MY), "reply")) == 1
    # New mail a week later is no answer to it.
    late = msg(ME, DANA, asked + timedelta(days=5), subject="the sheet")
    assert len(kinds(plan(state(thread(m), thread(late)), NOW, RULES, MY), "reply")) == 1
    # And an ask that is not for something sent stays open whatever I mailed them.
    q = msg(DANA, ME, asked, findings=(ask("Can you review the contract?"),))
    assert len(kinds(plan(state(thread(q), thread(sheet)), NOW, RULES, MY), "reply")) == 1


def test_my_promise_to_send_is_kept_by_new_mail_to_them_soon_after():
    said = NOW - timedelta(days=6)
    p = promise(
        "I will have the procedures to you tomorrow.",
        said + timedelta(days=1),
        "have the procedures to you",
    )
    m = msg(ME, DANA, said, findings=(p,))
    procedures = msg(ME, DANA, said + timedelta(hours=4), subject="Deal entry procedures")
    assert kinds(plan(state(thread(m), thread(procedures)), NOW, RULES, MY), "promise") == []
    assert len(kinds(plan(state(thread(m)), NOW, RULES, MY), "promise")) == 1


def test_a_reminder_from_the_asker_makes_an_old_ask_pressing_again():
    asked = NOW - timedelta(days=12)
    m = msg(DANA, ME, asked, findings=(ask("Can you find out what they want?"),))
    again = msg(DANA, ME, NOW - timedelta(days=2))  # re-forwarded, no new words
    contacts = {DANA: Contact(email=DANA, name="", received=(asked, NOW - timedelta(days=2)))}
    plain_state = state(thread(m), contacts=contacts)
    plain = rank(plain_state, kinds(plan(plain_state, NOW, RULES, MY), "reply"), NOW)
    reminded_state = state(thread(m, again), contacts=contacts)
    reminded = rank(reminded_state, kinds(plan(reminded_state, NOW, RULES, MY), "reply"), NOW)
    assert reminded[0].extra["reminded_at"] == again.date.isoformat()
    assert reminded[0].score > plain[0].score
    assert reason(reminded[0]).endswith("; they wrote again 2 days ago")
    assert "wrote again" not in reason(plain[0])


def test_a_promise_opening_with_a_recipients_name_is_made_to_them():
    m = msg(
        ME,
        [DANA, "monte.jones@acme.example"],
        NOW - timedelta(days=5),
        findings=(promise("Monte, I will help you with these."),),
    )
    nudges = kinds(plan(state(thread(m)), NOW, RULES, MY), "promise")
    assert [n.person.email for n in nudges] == ["monte.jones@acme.example"]


def test_one_mail_with_two_promises_is_one_shown_item():
    m = msg(
        ME,
        DANA,
        NOW - timedelta(days=5),
        findings=(promise("I'll run it by you first."), promise("I will send the notes.")),
    )
    s = state(thread(m))
    ranked = rank(s, kinds(plan(s, NOW, RULES, MY), "promise"), NOW)
    assert len(ranked) == 2
    opened = [
        OpenNudge(number=i, nudge=n, state="open", first_seen=NOW) for i, n in enumerate(ranked, 1)
    ]
    shown = choose(opened, NOW, max_items=10, min_score=0.0).shown
    assert len(shown) == 1
    assert shown[0].nudge.extra["more_asks"] == 1
    # --all (no limit) lists both.
    assert len(choose(opened, NOW, max_items=None, min_score=0.0).shown) == 2
