"""Threads joined as a person would: blank subjects, quoted originals, participants, time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from followup.threads import ThreadInput, assign_threads, normalise_subject, quoted_header

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ME = "penny@example.com"
OUTLOOK = (
    "Here they are.\n\n-----Original Message-----\nFrom: \tLee, Dana  \n"
    "Sent:\tMonday, March 02, 2026 9:15 AM\nTo:\tExample, Penny\nSubject:\t{subject}\n\n..."
)


def item(pk, sender, to, when, subject="", excerpt="", name=""):  # type: ignore[no-untyped-def]
    return ThreadInput(
        pk=pk,
        message_id=f"m{pk}@x",
        refs=(),
        norm_subject=normalise_subject(subject),
        is_reply=subject.lower().startswith("re") or "Original Message" in excerpt,
        date=when,
        people=frozenset({sender, *to}),
        sender=sender,
        sender_name=name,
        quoted=quoted_header(excerpt),
    )


def test_the_quoted_header_is_read():
    q = quoted_header(OUTLOOK.format(subject="RE: Q3"))
    assert q is not None and (q.sender, q.subject) == ("Lee, Dana", "RE: Q3")
    assert quoted_header("no quote here") is None


def test_a_blank_subject_reply_joins_the_blank_subject_mail_it_answers():
    ask = item(1, "dana@acme.example", [ME], T0, "")
    other = item(2, "raj@acme.example", [ME], T0 + timedelta(hours=1), "")
    reply = item(
        3,
        ME,
        ["dana@acme.example"],
        T0 + timedelta(hours=16),
        "RE:",
        "x\n-----Original Message-----",
    )
    threads = assign_threads([ask, other, reply])
    assert threads[3] == threads[1] and threads[2] != threads[1]


def test_a_blank_subject_reply_days_later_stays_apart():
    ask = item(1, "dana@acme.example", [ME], T0, "")
    reply = item(
        2, ME, ["dana@acme.example"], T0 + timedelta(days=9), "RE:", "-----Original Message-----"
    )
    threads = assign_threads([ask, reply])
    assert threads[1] != threads[2]


def test_a_reply_without_a_subject_joins_by_the_quoted_originals_subject():
    ask = item(1, "dana@acme.example", [ME], T0, "Q3 numbers", name="Dana Lee")
    reply = item(
        2,
        ME,
        ["dana@acme.example"],
        T0 + timedelta(days=1),
        "",
        OUTLOOK.format(subject="Q3 numbers"),
    )
    assert assign_threads([ask, reply])[2] == 1


def test_an_answer_seen_only_as_a_quote_joins_my_question_to_it():
    # I asked Dana; her answer is not in the mailbox, but my later mail (to someone
    # else, under another subject) quotes it: the question is answered.
    mine = item(1, ME, ["dana@acme.example"], T0, "Q3 numbers")
    later = item(
        2,
        ME,
        ["raj@acme.example"],
        T0 + timedelta(days=2),
        "Numbers for you",
        OUTLOOK.format(subject="RE: Q3 numbers"),
    )
    assert assign_threads([mine, later])[2] == 1
    # A quote from someone who had no part in it joins nothing.
    stranger = OUTLOOK.format(subject="RE: Q3 numbers").replace("Lee, Dana", "Moss, Kim")
    other = item(3, ME, ["raj@acme.example"], T0 + timedelta(days=2), "Numbers", stranger)
    assert assign_threads([mine, other])[3] == 3
