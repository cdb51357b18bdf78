"""The cheap tests in front of threading's reply patterns change no answer: on text made
of the patterns' own pieces, in any case, ``looks_like_reply`` and ``quoted_header`` say
what the bare regular expressions say."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from followup import threads

PIECES = st.sampled_from(
    [
        "-----Original Message-----", "---", "--", "Original Message", "original message",
        "On Mon, Dana wrote:", "On Tue 3 Mar 2026, someone ", "WROTE:", "wrote", "wrote:",
        "From: Dana <d@x.example>", "Subject: Q3", "Sent: Monday", "\n", " ", "\t", "Re: ",
        "hello", "ſ", "İ", "K", "–––", "ｗrote:",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=12).map("".join)


def bare_looks_like_reply(subject: str, excerpt: str) -> bool:
    return bool(threads._PREFIX.match(subject)) or bool(threads._ORIGINAL.search(excerpt))


def bare_quoted_header(excerpt: str) -> threads.QuotedHeader | None:
    m = threads._QUOTED_HEADER.search(excerpt)
    if m is None:
        return None
    fields = {k.lower(): v.strip() for k, v in threads._HEADER_LINE.findall(m.group("block"))}
    return threads.QuotedHeader(sender=fields.get("from", ""), subject=fields.get("subject", ""))


@settings(max_examples=600)
@given(subject=TEXT, excerpt=TEXT, upper=st.booleans())
def test_the_prefilters_change_no_answer(subject: str, excerpt: str, upper: bool) -> None:
    if upper:
        excerpt = excerpt.upper()
    assert threads.looks_like_reply(subject, excerpt) == bare_looks_like_reply(subject, excerpt)
    assert threads.quoted_header(excerpt) == bare_quoted_header(excerpt)


def test_replies_are_still_seen() -> None:
    assert threads.looks_like_reply("Q3", "Thanks\n\nOn Mon, 2 Mar 2026, Dana Lee WROTE:\n> hi")
    assert threads.looks_like_reply("Q3", "ok\n-----Original Message-----\nFrom: x")
    assert not threads.looks_like_reply("Q3", "No quote here, wrote it myself.")
