"""People from the rules alone (spacy.blank): the places mail puts names, and traps."""

from __future__ import annotations

import pytest

from nlp.people import known_name_spans, rule_spans

# (case, text, names that must be found, names that must not)
CASES = [
    (
        "lotus forward line",
        "Forwarded by Dana Example/HOU/ECT on 05/25/2001 12:42 PM\nSee below.",
        {"Dana Example"},
        set(),
    ),
    ("closing with name, no comma", "Noted.\nThanks Robin !\n", {"Robin"}, set()),
    ("closing with name and comma", "Noted.\nregards , Robin\n", {"Robin"}, set()),
    ("two names greeted", "Dana / Robin :\nThe file is attached.", {"Dana", "Robin"}, set()),
    ("names joined by &", "Dana & Robin ,\nThe file is attached.", {"Dana", "Robin"}, set()),
    ("vocative then ask", "Dana , please send the file.", {"Dana"}, set()),
    ("vocative with dash", "Karon - please order two panels.", {"Karon"}, set()),
    ("initials signing off", "I sent it.\nThanks , TK", {"TK"}, set()),
    ("bare name at the very end", "Let me know.\nHeather", {"Heather"}, set()),
    ("place, not a vocative", "Houston , Texas\nThe office moved.", set(), {"Houston"}),
    ("field label", "Price : $ 850.00\nDimensions : 54 wide", set(), {"Price", "Dimensions"}),
    ("sentence adverb", "However , we can wait.", set(), {"However"}),
    (
        "empty header value does not take the next line",
        "X - bcc :\nOriginal Message\nFrom : Example , Dana\n",
        {"Dana Example"},
        {"Original Message"},
    ),
]


@pytest.mark.parametrize(("case", "text", "must", "must_not"), CASES, ids=[c[0] for c in CASES])
def test_rule_names(case: str, text: str, must: set[str], must_not: set[str]) -> None:
    names = {s.name for s in rule_spans(text)}
    assert must <= names
    assert not (must_not & names)


def test_known_names_found_again_in_the_body() -> None:
    text = "Dana will call on Monday.\nAsk Dana about it.\nThanks,\nDana Example"
    found = rule_spans(text)
    assert {s.name for s in found} == {"Dana Example"}
    again = [(s.start, s.name) for s in known_name_spans(text, found)]
    assert again == [
        (0, "Dana"),
        (text.index("Ask Dana") + 4, "Dana"),
        (text.index("Dana Example"), "Dana Example"),  # the longer name wins
    ]


def test_known_names_skip_addresses_and_file_names() -> None:
    text = "Write to dana . example@example.com or Dana Example@ACME, see Dana.doc\n"
    spans = known_name_spans(text, rule_spans("Thanks,\nDana Example\n"))
    assert spans == []


def test_pipeline_merges_rules_and_known_names(rules_pipeline) -> None:  # type: ignore[no-untyped-def]
    text = "Robin , can you call Dana ?\nThanks ,\nDana Example"
    names = [(s.name, text[s.start : s.end]) for s in rules_pipeline.person_spans(text)]
    assert ("Robin", "Robin") in names
    assert ("Dana", "Dana") in names
    assert ("Dana Example", "Dana Example") in names


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("dana.whitfield@example.com", "Dana Whitfield"),
        ("dwhitfield@example.com", "Dana Whitfield"),
        ("whitfieldd@example.com", "Dana Whitfield"),
        ("d.whitfield@example.com", "Dana Whitfield"),
        ("dana@example.com", "Dana Whitfield"),
        ("robin_sample2@example.com", "Robin Sample"),
        ("k..moreau@example.com", "Lee K. Moreau"),  # middle initial, first name dropped
        ("l.k.moreau@example.com", "Lee K. Moreau"),
        ("x.moreau@example.com", None),  # an initial the name does not have
        ("rs@example.com", None),  # initials alone: too little to go on
        ("ops@example.com", None),
    ],
)
def test_name_for_address(email: str, expected: str | None) -> None:
    from nlp.findings import PersonMention
    from nlp.people import name_for_address

    people = [
        PersonMention("Dana Whitfield"),
        PersonMention("Robin Sample"),
        PersonMention("Kim"),
        PersonMention("Lee K. Moreau"),
    ]
    assert name_for_address(people, email) == expected


def test_name_for_address_refuses_two_candidates() -> None:
    from nlp.findings import PersonMention
    from nlp.people import name_for_address

    people = [PersonMention("Dana Whitfield"), PersonMention("Dana Moreau")]
    assert name_for_address(people, "dana@example.com") is None
    assert name_for_address(people, "dmoreau@example.com") == "Dana Moreau"


@pytest.mark.parametrize(
    ("mentions", "correspondents", "expected"),
    [
        # The one correspondent named Dana, by header name or by the address it spells.
        (["Dana"], [("Dana Whitfield", "dw@example.com")], [("Dana Whitfield", "dw@example.com")]),
        (["Dana"], [("", "dana.whitfield@example.com")],
         [("Dana Whitfield", "dana.whitfield@example.com")]),
        (["Dana"], [("Whitfield, Dana", "dw@example.com")], [("Dana Whitfield", "dw@example.com")]),
        # Two correspondents named Dana: which one is meant is not clear.
        (["Dana"], [("Dana Whitfield", "dw@example.com"), ("Dana Moreau", "dm@example.com")],
         [("Dana", None)]),
        # No Dana among them; an address that does not spell a first name links nothing.
        (["Dana"], [("Robin Sample", "rs@example.com")], [("Dana", None)]),
        (["Dana"], [("", "dwhitfield@example.com")], [("Dana", None)]),
        # A full name that is a correspondent's takes its address; others stay as they are.
        (["Robin Sample", "Kim Grant"], [("Robin Sample", "rs@example.com")],
         [("Robin Sample", "rs@example.com"), ("Kim Grant", None)]),
        # "Dana" and the correspondent it names are one person, listed once.
        (["Dana Whitfield", "Dana"], [("Dana Whitfield", "dw@example.com")],
         [("Dana Whitfield", "dw@example.com")]),
    ],
)  # fmt: skip
def test_first_names_link_to_the_threads_correspondents(
    mentions: list[str],
    correspondents: list[tuple[str, str]],
    expected: list[tuple[str, str | None]],
) -> None:
    from nlp.findings import PersonMention
    from nlp.people import NameSpan, to_people

    spans = [NameSpan(0, 0, name) for name in mentions]
    corr = [PersonMention(name, email) for name, email in correspondents]
    got = to_people(spans, correspondents=corr)
    assert [(p.name, p.email) for p in got] == expected
