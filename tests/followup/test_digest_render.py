"""The digest renderers: sections in order, items complete, hostile content inert."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from digest_samples import (
    HOSTILE_NAME,
    NOW,
    TZ,
    every_kind,
    hostile,
    open_nudge,
)

from followup.digest.items import describe_due, describe_when, mailto_link
from followup.digest.render import render_html, render_json, render_markdown, render_plain
from followup.nudges import KIND_ORDER, KIND_TITLES, OpenNudge


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(html: str) -> _Links:
    p = _Links()
    p.feed(html)
    return p


def positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(n) for n in needles]
    assert -1 not in found, dict(zip(needles, found, strict=True))
    return found


def test_plain_sections_follow_urgency_order() -> None:
    text = render_plain(every_kind(), NOW, TZ)
    heads = [f"{KIND_TITLES[k].upper()} (1)" for k in KIND_ORDER]
    pos = positions(text, heads)
    assert pos == sorted(pos)
    assert text.startswith("followup · Thursday 14 March 2024\n7 things need you: 1 to reply,")


def test_plain_item_has_person_why_sentence_age_number_and_link() -> None:
    text = render_plain(every_kind(), NOW, TZ)
    block = text[text.index("[3] Raj Patel") :].split("\n\n")[0].splitlines()
    assert block == [
        "[3] Raj Patel <raj@beta.example>",
        "    Chase Raj Patel — no reply to 'Intro: Acme x Beta' since Tue",
        '    "Would you have 20 minutes next week?"',
        "    2 days ago · Intro: Acme x Beta",
        "    Reply: mailto:raj@beta.example?subject=Re%3A%20Intro%3A%20Acme%20x%20Beta"
        "&In-Reply-To=%3Cintro-7%40example.com%3E",
    ]
    assert "Open thread: https://mail.google.com/mail/u/0/#all/18e3f0a1b2c3d4e5" in text
    assert "3 days ago · 3 days late · Venue" in text  # waiting on: overdue
    assert "due tomorrow · Re: deck" in text  # promise


def test_html_and_markdown_sections_in_order() -> None:
    html = render_html(every_kind(), NOW, TZ)
    ids = [f'id="section-{k}"' for k in KIND_ORDER]
    pos = positions(html, ids)
    assert pos == sorted(pos)
    md = render_markdown(every_kind(), NOW, TZ)
    pos = positions(md, [f"## {KIND_TITLES[k]} (1)" for k in KIND_ORDER])
    assert pos == sorted(pos)


def test_links_thread_url_else_mailto_reply_with_subject() -> None:
    hrefs = parse_html(render_html(every_kind(), NOW, TZ)).hrefs
    assert hrefs[0] == "https://mail.google.com/mail/u/0/#all/18e3f0a1b2c3d4e5"
    mailtos = {urlsplit(h).path: parse_qs(urlsplit(h).query) for h in hrefs[1:]}
    assert mailtos["sam@example.com"]["subject"] == ["Re: deck"]  # no "Re: Re:"
    assert mailtos["raj@beta.example"]["subject"] == ["Re: Intro: Acme x Beta"]
    assert mailtos["raj@beta.example"]["In-Reply-To"] == ["<intro-7@example.com>"]
    # meetings: to every attendee, no In-Reply-To
    assert mailtos["ana@venue.example,raj@beta.example"]["subject"] in (
        ["Acme sync"],
        ["Follow-up: Acme intro call"],
    )
    assert len(hrefs) == 7


def test_mailto_percent_encodes_everything() -> None:
    n = open_nudge(1, "reply", email="a+b@example.com", subject="50% & more?=#")
    link = mailto_link(n.nudge)
    assert link is not None
    assert link.startswith("mailto:a%2Bb@example.com?subject=")
    query = urlsplit(link).query
    assert "&" in query and query.count("&") == 1  # only the separator
    assert unquote(query.split("&")[0].removeprefix("subject=")) == "Re: 50% & more?=#"


def test_no_link_for_unusable_address() -> None:
    n = open_nudge(1, "reply", email="not an address?subject=x")
    assert mailto_link(n.nudge) is None
    assert "Reply:" not in render_plain([n], NOW, TZ)


def test_hostile_content_is_inert_in_html() -> None:
    html = render_html([hostile(), *every_kind()], NOW, TZ)
    parsed = parse_html(html)
    assert "script" not in parsed.tags
    assert "img" not in parsed.tags
    assert "b" not in parsed.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert all(h.startswith(("https://", "mailto:")) for h in parsed.hrefs)
    assert not any("javascript" in h.lower() for h in parsed.hrefs)
    assert "\u202e" not in html
    text = "".join(parsed.text)
    assert "Eve <script>alert(1)</script> Bcc: victim@example.net" in text


def test_hostile_content_stays_on_its_line_in_plain_text() -> None:
    text = render_plain([hostile()], NOW, TZ)
    assert "\r" not in text
    lines = text.splitlines()
    # CR/LF inside a name, subject or sentence cannot start a line of its own.
    assert not any(
        line.startswith(("Bcc:", "X-Evil", "done 1", ".", "MAIL FROM")) for line in lines
    )
    assert f"[9] {HOSTILE_NAME.replace(chr(13) + chr(10), ' ')} <eve@evil.example>" in lines


def test_markdown_escapes_markup_and_keeps_numbers_literal() -> None:
    md = render_markdown([hostile(), *every_kind()], NOW, TZ)
    assert "<script>" not in md
    assert "\\<script\\>" in md
    assert "**\\[9\\] Eve" in md
    assert "**\\[1\\] Dana Lee**" in md
    assert "[Open thread](<https://mail.google.com/mail/u/0/#all/18e3f0a1b2c3d4e5>)" in md


def test_max_items_keeps_the_top_scores_across_kinds_grouped_by_section() -> None:
    from dataclasses import replace

    scores = {7: 90.0, 1: 10.0, 3: 80.0, 2: 5.0}  # reconnect, reply, follow-up, promise
    nudges = [
        replace(o, nudge=replace(o.nudge, score=scores.get(o.number, 1.0))) for o in every_kind()
    ]
    text = render_plain(nudges, NOW, TZ, max_items=3)
    # The three best scores, whatever their kind: the follow-up, the reconnect, the reply.
    assert "[3] Raj Patel" in text and "[7] Lee Park" in text and "[1] Dana Lee" in text
    assert "[2] Sam Diaz" not in text
    # Grouped by section within what is shown: Reply, then Follow up, then Reconnect.
    assert text.index("[1] Dana Lee") < text.index("[3] Raj Patel") < text.index("[7] Lee Park")
    assert 'And 4 more: run "followup digest --all" to see them all.' in text
    assert "7 things need you" in text  # the headline counts all of them
    html = render_html(nudges, NOW, TZ, max_items=3)
    assert html.count('class="fu-card"') == 3
    assert "And 4 more" in html


def test_reconnects_are_capped_and_rotate_through_every_candidate() -> None:
    from followup.ranking import choose

    candidates = [open_nudge(10 + i, "reconnect", name=f"P{i}", score=50.0 + i) for i in range(7)]
    seen: set[int] = set()
    for day in range(3):
        chosen = choose(candidates, NOW + timedelta(days=day), max_items=10)
        assert len(chosen.shown) == 3 and chosen.hidden == 4
        seen |= {o.number for o in chosen.shown}
    assert seen == {o.number for o in candidates}  # each one had its day within 3 days
    # Other kinds are not capped by default, and a cap of 0 hides a kind entirely.
    assert len(choose(candidates, NOW, max_items=10, caps={}).shown) == 7
    assert choose(candidates, NOW, max_items=10, caps={"reconnect": 0}).shown == ()


def test_min_score_leaves_weak_items_out_but_counts_them() -> None:
    from dataclasses import replace

    from followup.ranking import choose

    def scored(o: OpenNudge) -> OpenNudge:  # ranked: the floor applies to it
        return replace(o, nudge=replace(o.nudge, extra={"score_parts": {}}))

    strong = scored(open_nudge(1, "reply", score=60.0))
    weak = scored(open_nudge(2, "reply", name="Weak", email="weak@example.com", score=5.0))
    unranked = open_nudge(3, "reply", name="Old", email="old@example.com", score=5.0)
    chosen = choose([strong, weak, unranked], NOW, max_items=10, min_score=20.0)
    assert [o.number for o in chosen.shown] == [1, 3] and chosen.hidden == 1


def test_score_orders_items_within_a_section() -> None:
    low = open_nudge(1, "reply", name="Low", score=0.1)
    high = open_nudge(2, "reply", name="High", score=0.9)
    text = render_plain([low, high], NOW, TZ)
    assert text.index("[2] High") < text.index("[1] Low")


def test_empty_digest() -> None:
    assert "Nothing needs you today." in render_plain([], NOW, TZ)
    assert "Nothing needs you today" in render_html([], NOW, TZ)
    assert "Reply to this email" not in render_plain([], NOW, TZ)
    assert render_json([], NOW, TZ) == []


def test_json_shape() -> None:
    data = render_json(every_kind(), NOW, TZ)
    json.dumps(data)  # serialisable as is
    assert [d["kind"] for d in data] == list(KIND_ORDER)
    first = data[0]
    assert first["number"] == 1
    assert first["key"] == "reply:1"
    assert first["state"] == "open"
    assert first["person"] == {"name": "Dana Lee", "email": "dana@example.com"}
    assert first["title"] == "Reply to Dana Lee"
    assert first["evidence"]["message_id"] == "q3-1@example.com"
    assert first["evidence"]["sentence"] == "Can you send the Q3 numbers?"
    assert first["evidence"]["subject"] == "Q3 numbers"
    assert datetime.fromisoformat(first["evidence"]["date"]) == NOW - timedelta(days=3)
    assert first["link"].startswith("https://mail.google.com/")
    promise = data[1]
    assert datetime.fromisoformat(promise["due"]) == NOW + timedelta(days=1)
    meeting = next(d for d in data if d["kind"] == "before_meeting")
    assert meeting["person"] is None
    assert meeting["people"][1] == {"name": "", "email": "raj@beta.example"}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (NOW - timedelta(hours=2), "today"),
        (NOW - timedelta(days=1), "yesterday"),
        (NOW - timedelta(days=5), "5 days ago"),
        (NOW - timedelta(days=63), "2 months ago"),
        (NOW - timedelta(days=21), "3 weeks ago"),
        (NOW + timedelta(hours=2), "today 09:30"),
        (NOW + timedelta(days=1), "tomorrow 07:30"),
        (NOW + timedelta(days=3), "Sun 17 Mar 07:30"),
    ],
)
def test_describe_when(when: datetime, expected: str) -> None:
    assert describe_when(when, NOW, TZ) == expected


def test_day_boundaries_are_the_users() -> None:
    # 03:00 UTC on the 15th is still the 14th in Chicago.
    late = datetime(2024, 3, 15, 3, 0, tzinfo=UTC)
    assert describe_when(datetime(2024, 3, 14, 14, 0, tzinfo=UTC), late, TZ) == "today"
    n = open_nudge(1, "promise", due=datetime(2024, 3, 15, 4, 59, tzinfo=UTC))
    assert describe_due(n.nudge, late, TZ) == "due today"
    assert describe_due(open_nudge(1, "reply", due=late).nudge, late, TZ) == ""


def test_reason_that_repeats_the_shown_sentence_is_not_repeated():
    from followup.digest.items import make_item

    reply = make_item(open_nudge(1, "reply"), NOW, TZ)
    assert reply.why == "Reply to Dana Lee"  # the sentence and age are shown below it
    meeting = make_item(
        open_nudge(
            2,
            "after_meeting",
            title="Send a follow-up after 'Kickoff'",
            reason="met yesterday with Ana; nothing sent since",
            sentence=None,
        ),
        NOW,
        TZ,
    )
    assert (
        meeting.why
        == "Send a follow-up after 'Kickoff' — met yesterday with Ana; nothing sent since"
    )
    plain = render_plain([open_nudge(1, "reply")], NOW, TZ)
    assert plain.count("Can you send the Q3 numbers?") == 1
