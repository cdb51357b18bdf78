"""Whom an ask is put to: the greeting, a vocative, and what the reader's names make of
it (an ask put by name to someone else is not the reader's)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nlp.addressees import addressed_to_other, greeting_names, sentence_addressee
from nlp.findings import PersonMention, TextItem
from nlp.thresholds import rejudge

WED = datetime(2024, 2, 21, 15, 0, tzinfo=UTC)
ME = ("Kim Ito",)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("Hi Dana,\n\nCan you send it?", ("Dana",)),
        ("Dana, Robin -\n\nCan you send it?", ("Dana", "Robin")),
        ("Good morning Lee -\nCan you send it?", ("Lee",)),
        ("Hi all,\n\nCan you send it?", ()),
        ("Team,\n\nCan you send it?", ()),
        ("Dana and all,\n\nCan you send it?", ()),
        ("Thanks for the note. Can you send it?", ()),
        ("Hey,\n\nCan you send it?", ()),
        ("", ()),
    ],
)
def test_greeting_names(body: str, names: tuple[str, ...]) -> None:
    assert greeting_names(body) == names


@pytest.mark.parametrize(
    ("sentence", "name"),
    [
        ("Dana, please call the vendor.", "Dana"),
        ("We need new tabs - John has anyone in ops made a template?", "John"),
        ("Robin - let me know when it is done.", "Robin"),
        ("Thanks, can you send it?", None),
        ("Also, can you send it?", None),
        ("Can you send it?", None),
        ("The tabs - John has the file.", None),  # a statement about John
    ],
)
def test_sentence_addressee(sentence: str, name: str | None) -> None:
    assert sentence_addressee(sentence) == name


def test_addressed_to_other() -> None:
    assert addressed_to_other(("John",), ME)
    assert not addressed_to_other(("Kim",), ME)
    assert not addressed_to_other(("John", "Kim"), ME)
    assert not addressed_to_other((), ME)  # everyone's
    assert not addressed_to_other(("John",), ())  # reader unknown


def _asks(pipeline, text: str, **kw):  # type: ignore[no-untyped-def]
    (ex,) = pipeline.extract_many([TextItem(text=text, sent_at=WED, **kw)])
    return [f for f in ex.findings if f.kind == "request"]


def test_an_ask_put_to_another_recipient_is_not_firm(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    text = "Thanks for the tabs. John, can you send me the new template by Friday?"
    (ask,) = _asks(rules_pipeline, text, reader_names=ME)
    assert ask.addressees == ("John",)
    assert not ask.firm and "addressed_other" in (ask.cues or ())
    # Stored and judged again, it stays not firm.
    th = rules_pipeline.installed.thresholds
    assert not rejudge(th, "request", ask.cues, ask.p_request, ask.p_commitment, ask.p_task)
    # Without the reader's names nothing is decided for it.
    (same,) = _asks(rules_pipeline, text)
    assert same.firm and same.addressees == ("John",)


def test_the_greeting_addresses_every_ask_below_it(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    (ask,) = _asks(rules_pipeline, "Hi John,\n\nCan you send the template?", reader_names=ME)
    assert ask.addressees == ("John",) and not ask.firm
    (mine,) = _asks(rules_pipeline, "Hi Kim,\n\nCan you send the template?", reader_names=ME)
    assert mine.addressees == ("Kim",) and mine.firm


def test_an_ask_to_several_people_that_names_nobody_is_everyones(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    for text in ("Hi all,\n\nCan you send your numbers by Friday?", "Can you send yours?"):
        (ask,) = _asks(rules_pipeline, text, reader_names=ME)
        assert ask.addressees == () and ask.firm


def test_a_name_no_correspondent_has_is_not_an_addressee(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    people = (PersonMention("John Doe", "john@example.com"), PersonMention("Kim Ito", "k@x.com"))
    text = "Houston - can you check the curve?"
    (ask,) = _asks(rules_pipeline, text, reader_names=ME, correspondents=people)
    assert ask.firm
    (other,) = _asks(
        rules_pipeline, "John - can you check the curve?", reader_names=ME, correspondents=people
    )
    assert not other.firm
    # Headers often give a bare address: its words count as names too.
    bare = (PersonMention("", "john.doe@example.com"), PersonMention("", "kim.ito@example.com"))
    (ask,) = _asks(rules_pipeline, "John - can you check it?", reader_names=ME, correspondents=bare)
    assert not ask.firm
