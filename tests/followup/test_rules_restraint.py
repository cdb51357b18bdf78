"""Restraint in the rules: broadcasts, deleted mail, courtesy outreach, weak histories."""

from __future__ import annotations

from datetime import timedelta

from builders import ME, MY, NOW, RULES, ask, kinds, msg, promise, rhythm, state, thread
from builders import reason as reason_of
from builders import title as title_of

from followup.rules import plan
from followup.rules.restraint import asks_removal, expects_answer, put_away
from followup.state import Contact

DANA = "dana@acme.example"


def test_an_ask_in_a_memo_to_many_makes_no_reply():
    many = [ME, *(f"p{i}@acme.example" for i in range(6))]
    memo = msg(DANA, many, NOW - timedelta(days=4), findings=(ask("Can you send your numbers?"),))
    mine = msg(DANA, ME, NOW - timedelta(days=4), findings=(ask("Can you send your numbers?"),))
    assert kinds(plan(state(thread(memo)), NOW, RULES, MY), "reply") == []
    assert len(kinds(plan(state(thread(mine)), NOW, RULES, MY), "reply")) == 1


def test_an_ask_from_a_distribution_list_makes_no_reply():
    m = msg(
        "all.employees@acme.example", ME, NOW - timedelta(days=4), findings=(ask("Can you RSVP?"),)
    )
    assert kinds(plan(state(thread(m)), NOW, RULES, MY), "reply") == []


def test_waiting_on_needs_me_in_to_of_a_personal_mail():
    due = NOW - timedelta(days=3)
    words = (promise("We will confirm the venue by Friday.", due),)
    to_me = msg(DANA, ME, NOW - timedelta(days=8), findings=words)
    cc_me = msg(DANA, "raj@acme.example", NOW - timedelta(days=8), cc=(ME,), findings=words)
    memo = msg(
        DANA,
        [ME, *(f"p{i}@acme.example" for i in range(8))],
        NOW - timedelta(days=8),
        findings=words,
    )
    assert len(kinds(plan(state(thread(to_me)), NOW, RULES, MY), "waiting_on")) == 1
    assert kinds(plan(state(thread(cc_me)), NOW, RULES, MY), "waiting_on") == []
    assert kinds(plan(state(thread(memo)), NOW, RULES, MY), "waiting_on") == []


def test_outreach_is_chased_only_when_it_asked_or_offered_something():
    when = NOW - timedelta(days=7)
    thanks = msg(ME, "raj@beta.example", when, subject="Thanks")
    resume = msg(ME, "raj@beta.example", when, subject="CV", expects_answer=True)
    assert kinds(plan(state(thread(thanks)), NOW, RULES, MY), "follow_up") == []
    assert len(kinds(plan(state(thread(resume)), NOW, RULES, MY), "follow_up")) == 1


def test_a_chase_quotes_the_ask_not_the_greeting_line_above_it():
    when = NOW - timedelta(days=7)
    lets_know = ask("The files may be too large to send, so please let me know if you need them.")
    greeted = msg(
        ME, "mark@beta.example", when, subject="broker quotes", findings=(ask("Mark,"), lets_know)
    )
    chase = kinds(plan(state(thread(greeted)), NOW, RULES, MY), "follow_up")
    assert len(chase) == 1
    assert reason_of(chase[0]).startswith("asked 'The files may be too large to send")
    # Only the greeting was taken for an ask: the chase names the message instead.
    alone = msg(ME, "mark@beta.example", when, subject="broker quotes", findings=(ask("Hi Mark,"),))
    chase = kinds(plan(state(thread(alone)), NOW, RULES, MY), "follow_up")
    assert [reason_of(n).split(";")[0] for n in chase] == ["no reply to 'broker quotes'"]


def test_what_the_owner_wrote_decides_whether_an_answer_is_awaited():
    assert expects_answer("Dana,\n\nI have attached my CV. I look forward to hearing from you.")
    assert expects_answer("Could we meet on Tuesday?")
    assert not expects_answer("Thanks, I got it.\n\nPenny")
    assert not expects_answer("FYI\n\n-----Original Message-----\nCan you call me?")
    assert not expects_answer("Happy holidays to you and your family!")
    assert asks_removal("Please take me off your list. What is this?")
    assert not asks_removal("Could you take me through the numbers?")


def test_removal_requests_to_a_mailer_are_never_chased():
    from dataclasses import replace

    m = msg(ME, "sam@promo.example", NOW - timedelta(days=7), findings=(ask("Remove me now?"),))
    assert len(kinds(plan(state(thread(m)), NOW, RULES, MY), "follow_up")) == 1
    gone = replace(m, asks_removal=True)
    assert kinds(plan(state(thread(gone)), NOW, RULES, MY), "follow_up") == []


def test_mail_the_owner_deleted_or_filed_as_junk_makes_no_nudge():
    for folder in ("Deleted Items", "deleted_items", "Trash", "INBOX/Bin", "Junk E-mail", "Spam"):
        assert put_away(folder), folder
        m = msg(
            DANA,
            ME,
            NOW - timedelta(days=4),
            folder=folder,
            findings=(ask("Can you send the deck?"),),
        )
        assert plan(state(thread(m)), NOW, RULES, MY) == [], folder
    for folder in ("INBOX", "sent_items", "Archive", "Binders"):
        assert not put_away(folder), folder


def test_a_one_off_burst_is_no_relationship_to_reconnect():
    # Every 3 days for a fortnight, months ago: one deal, not a rhythm.
    burst = rhythm("deal@north.example", NOW - timedelta(days=60), timedelta(days=3), 6)
    steady = rhythm("lee@north.example", NOW - timedelta(weeks=9), timedelta(weeks=3), 8)
    s = state(contacts={c.email: c for c in (burst, steady)})
    assert [n.person.email for n in kinds(plan(s, NOW, RULES, MY), "reconnect")] == [steady.email]


def test_a_history_nine_tenths_one_way_is_no_relationship():
    dates = [NOW - timedelta(weeks=9 + 3 * i) for i in range(12)]
    feed = Contact("feed@north.example", "", received=tuple(sorted(dates[1:])), sent=(dates[0],))
    assert kinds(plan(state(contacts={feed.email: feed}), NOW, RULES, MY), "reconnect") == []


def test_an_old_address_of_someone_writing_from_a_new_one_is_not_quiet():
    old = rhythm("lee@old.example", NOW - timedelta(weeks=9), timedelta(weeks=3), 8, "Lee Park")
    new = rhythm("lee@new.example", NOW - timedelta(days=2), timedelta(weeks=1), 8, "Lee Park")
    s = state(contacts={c.email: c for c in (old, new)})
    assert kinds(plan(s, NOW, RULES, MY), "reconnect") == []


def test_a_name_is_never_a_fragment_of_an_address():
    from followup.people import name_from_address

    def title(sender: str) -> str:
        m = msg(sender, ME, NOW - timedelta(days=4), findings=(ask("Can you send the file?"),))
        return str(title_of(kinds(plan(state(thread(m)), NOW, RULES, MY), "reply")[0]))

    assert title("stp@acme.example") == "Reply to stp@acme.example"
    info = msg("info@acme.example", ME, NOW - timedelta(days=4), findings=(ask("Can you?"),))
    assert kinds(plan(state(thread(info)), NOW, RULES, MY), "reply") == []  # a role address
    assert title("dana.lee@acme.example") == "Reply to Dana Lee"
    assert title("raj@acme.example") == "Reply to Raj"
    assert name_from_address("b11354@kimo.example") == "b11354@kimo.example"
    assert name_from_address("c..gossett@acme.example") == "c..gossett@acme.example"


def test_an_initial_glued_to_a_surname_is_shown_as_the_address():
    def title(sender: str, kind: str = "reply") -> str:
        m = msg(sender, ME, NOW - timedelta(days=4), findings=(ask("Can you send the file?"),))
        return str(title_of(kinds(plan(state(thread(m)), NOW, RULES, MY), kind)[0]))

    assert title("dturner@acme.example") == "Reply to dturner@acme.example"
    assert title("jroyed@acme.example") == "Reply to jroyed@acme.example"
    # A first name alone, however it opens, is still a name.
    assert title("steve@acme.example") == "Reply to Steve"
    assert title("yvonne@acme.example") == "Reply to Yvonne"
