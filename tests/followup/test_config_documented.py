"""config.example.toml documents every key the config accepts (the keys are a contract)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connectors import CALENDAR_KINDS, MAIL_KINDS, source_class
from followup import config

EXAMPLE = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
# Keys as written in the example, commented out or not: `key = ...` at a line's start.
DOCUMENTED = set(re.findall(r"^#?\s*([a-z_]+)\s*=", EXAMPLE, re.MULTILINE))

APP_KEYS = (
    config._ME_KEYS
    | config._RULE_DURATIONS
    | config._RULE_NUMBERS
    | config._RULE_LISTS
    | (config._DIGEST_KEYS - {"smtp"})  # [digest.smtp] is a table, documented as one
    | config._SMTP_KEYS
    | {"url", "pipeline", "batch_size"}
)


@pytest.mark.parametrize("key", sorted(APP_KEYS))
def test_application_key_is_documented(key):
    assert key in DOCUMENTED


def test_smtp_table_is_documented():
    assert "[digest.smtp]" in EXAMPLE


@pytest.mark.parametrize(
    ("kind", "calendar"),
    [(k, False) for k in MAIL_KINDS] + [(k, True) for k in CALENDAR_KINDS],
)
def test_source_keys_are_documented(kind, calendar):
    keys = source_class(kind, calendar=calendar).KEYS
    # `calendars` is accepted on every calendar for DESIGN's shape; ICS has one per file.
    undocumented = sorted(k for k in keys if k not in DOCUMENTED and k != "calendars")
    assert undocumented == []


def test_the_example_followup_init_writes_is_this_one() -> None:
    packaged = Path(__file__).resolve().parents[2] / "followup" / "config.example.toml"
    assert packaged.read_text() == EXAMPLE
