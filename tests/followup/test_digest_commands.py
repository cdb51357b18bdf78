"""Parsing the commands in a reply to the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from followup.digest.commands import Command, parse_commands, parse_line


def actions(text: str) -> list[tuple[str, int | str | None, timedelta | None]]:
    return [
        (
            c.action,
            c.number if c.number is not None else c.address,
            c.snooze.delta if c.snooze else None,
        )
        for c in parse_commands(text)
    ]


def test_one_command_per_line() -> None:
    text = "done 3\nsnooze 2 3d\ndismiss 4\nmute Dana@Example.com\n"
    assert actions(text) == [
        ("done", 3, None),
        ("snooze", 2, timedelta(days=3)),
        ("dismiss", 4, None),
        ("mute", "dana@example.com", None),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Done 3", [("done", 3, None)]),
        ("done 3, 5 and 7.", [("done", 3, None), ("done", 5, None), ("done", 7, None)]),
        ("done #3", [("done", 3, None)]),
        ("- dismiss 4", [("dismiss", 4, None)]),
        ("snooze 2", [("snooze", 2, timedelta(days=1))]),
        ("snooze 2 tomorrow", [("snooze", 2, timedelta(days=1))]),
        ("snooze 2 for 2 weeks", [("snooze", 2, timedelta(weeks=2))]),
        ("snooze 2 3 days", [("snooze", 2, timedelta(days=3))]),
        (
            "snooze 2, 6 12h",
            [("snooze", 2, timedelta(hours=12)), ("snooze", 6, timedelta(hours=12))],
        ),
        ("reopen 8", [("reopen", 8, None)]),
        ("unmute raj@beta.example", [("unmute", "raj@beta.example", None)]),
        (
            "mute dana@example.com <mailto:dana@example.com>",
            [("mute", "dana@example.com", None)],
        ),
    ],
)
def test_accepted_forms(line: str, expected: list[tuple[str, object, object]]) -> None:
    assert actions(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "done",
        "done with the deck, thanks",
        "I am done 3 times over",
        "done 3 snooze 2 3d dismiss 4 mute name@example.com",  # the footer's example line
        "  done 3    snooze 2 3d    dismiss 4    mute name@example.com",
        "snooze 2 forever",
        "snooze 2 0d",
        "mute Dana",
        "delete 3",
    ],
)
def test_anything_else_is_not_a_command(line: str) -> None:
    assert parse_line(line) == []
    assert actions(line) == []


def test_header_like_lines_do_nothing() -> None:
    text = "mute dana@example.com\r\nBcc: x@example.net\r\nmute"
    assert actions(text) == [("mute", "dana@example.com", None)]


def test_quoted_digest_and_signature_are_ignored() -> None:
    text = "done 3\r\n\r\nthanks!\r\n-- \r\nPenny\r\ndone 9\r\n"
    assert actions(text) == [("done", 3, None)]


def test_gmail_style_reply() -> None:
    text = (
        "snooze 2 1w\n\n"
        "On Thu, Mar 14, 2024 at 7:30 AM followup <penny@example.com> wrote:\n"
        "> [3] Raj Patel <raj@beta.example>\n"
        "> Reply to this email to act, one command per line:\n"
        ">   done 3    snooze 2 3d    dismiss 4    mute name@example.com\n"
        "done 1\n"
    )
    assert actions(text) == [("snooze", 2, timedelta(weeks=1))]


def test_inline_quoting_keeps_the_users_lines() -> None:
    text = "> [3] Raj Patel\ndone 3\n> [4] Ana Ruiz\ndismiss 4\n"
    assert actions(text) == [("done", 3, None), ("dismiss", 4, None)]


def test_outlook_style_reply_stops_at_the_header_block() -> None:
    text = (
        "dismiss 4\r\n\r\n"
        "________________________________\r\n"
        "From: followup <penny@example.com>\r\n"
        "Sent: Thursday, March 14, 2024 7:30 AM\r\n"
        "done 3\r\n"
    )
    assert actions(text) == [("dismiss", 4, None)]
    text2 = "dismiss 4\n-----Original Message-----\ndone 3\n"
    assert actions(text2) == [("dismiss", 4, None)]


def test_mobile_footer_stops() -> None:
    assert actions("done 2\nSent from my phone\ndone 5") == [("done", 2, None)]


def test_command_keeps_its_line() -> None:
    (cmd,) = parse_commands("  * done 3.  ")
    assert cmd == Command("done", number=3, line="* done 3.")
