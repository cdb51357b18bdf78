"""The cheap checks in front of threading's reply regexes change no answer.

``looks_like_reply`` and ``quoted_header`` skip their regular expressions when the text
cannot match them; this compares them with the regular expressions alone, on generated
mail shaped like real mail, the hostile samples, and any text.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st
from mail_texts import mail_texts

from followup import threads
from followup.threads import QuotedHeader, looks_like_reply, quoted_header

REPO = Path(__file__).resolve().parents[2]


def reference_looks_like_reply(subject: str, excerpt: str) -> bool:
    return bool(threads._PREFIX.match(subject or "")) or bool(
        threads._ORIGINAL.search(excerpt or "")
    )


def reference_quoted_header(excerpt: str) -> QuotedHeader | None:
    m = threads._QUOTED_HEADER.search(excerpt or "")
    if m is None:
        return None
    fields = {k.lower(): v.strip() for k, v in threads._HEADER_LINE.findall(m.group("block"))}
    return QuotedHeader(sender=fields.get("from", ""), subject=fields.get("subject", ""))


def assert_same(subject: str, text: str) -> None:
    assert looks_like_reply(subject, text) == reference_looks_like_reply(subject, text)
    assert quoted_header(text) == reference_quoted_header(text)


def test_generated_mail_threads_as_before() -> None:
    texts = mail_texts(7, 9)
    assert len(texts) > 3000
    replies = 0
    for text in texts:
        for piece in (text, text[:3000]):  # what threading reads: the first 3000 chars
            assert_same("", piece)
        replies += reference_looks_like_reply("", text[:3000])
    assert replies > len(texts) // 20  # the corpus has replies for the checks to find


FRAGMENTS = [
    "---",
    "--",
    "-----Original Message-----",
    "----- ORIGINAL MESSAGE -----",
    "-----Original Message-----\nFrom: Dana <d@x.example>\nSubject: Q3\n",
    "On Monday, Dana wrote:",
    "On Mon, 5 Jan 2026 Dana Example WROTE:",
    "On Tue Dana wRoTe:  ",
    "wrote",
    ":",
    "Wrote:",
    "\n",
    " ",
    "On ",
    "Original Message",
    "ＷＲＯＴＥ:",
    "ſ",
    "İ",
]


@given(
    st.text(max_size=20),
    st.one_of(
        st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=40).map(
            "".join
        ),
        st.text(max_size=300),
    ),
)
@example("", "Sure.\nOn Monday Dana Example <dana@x.example> WROTE:\n> Can you?")
@example("", "Fine.\n-----Original Message-----\nFrom: Dana\nSubject: Q3\n")
@example("RE: Q3", "")
def test_any_text_threads_as_before(subject: str, text: str) -> None:
    assert_same(subject, text)
