"""The registry: every kind loads its class, the class says the same kind, and the
capabilities the application looks for are the ones each source has."""

from __future__ import annotations

from pathlib import Path

import pytest

import connectors
from connectors import (
    CALENDAR_KINDS,
    MAIL_KINDS,
    calendar_source_class,
    mail_source_class,
)
from connectors.base import Appending, ListsFolders, Probing, UsesOAuth
from connectors.errors import SourceConfigError


@pytest.mark.parametrize("kind", sorted(MAIL_KINDS))
def test_every_mail_kind_loads_a_class_of_that_kind(kind: str) -> None:
    cls = mail_source_class(kind)
    assert cls.kind == kind
    assert "name" not in cls.KEYS and "kind" not in cls.KEYS


@pytest.mark.parametrize("kind", sorted(CALENDAR_KINDS))
def test_every_calendar_kind_loads_a_class_of_that_kind(kind: str) -> None:
    assert calendar_source_class(kind).kind == kind


def test_unknown_kinds_and_a_class_that_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KeyError):
        mail_source_class("pop3")
    with pytest.raises(KeyError):
        calendar_source_class("imap")  # a mail kind is no calendar kind
    monkeypatch.setitem(connectors.MAIL_KINDS, "mbox2", "connectors.mbox.MboxSource")
    with pytest.raises(TypeError, match="kind = 'mbox2'"):
        mail_source_class("mbox2")


def test_capabilities_are_what_each_source_has(tmp_path: Path) -> None:
    imap = mail_source_class("imap").from_config(
        "work",
        {
            "host": "imap.gmail.com",
            "username": "penny@example.com",
            "auth": "xoauth2",
            "oauth_token_file": str(tmp_path / "t.json"),
        },
    )
    assert isinstance(imap, Probing) and isinstance(imap, Appending)
    assert isinstance(imap, UsesOAuth)
    oauth = imap.oauth()
    assert oauth is not None and oauth.token_file == tmp_path / "t.json"
    assert (oauth.provider, oauth.login_hint) == ("google", "penny@example.com")
    (tmp_path / "mbox").write_bytes(b"")
    mbox = mail_source_class("mbox").from_config("files", {"path": str(tmp_path / "mbox")})
    assert isinstance(mbox, ListsFolders)
    assert not isinstance(mbox, Probing | Appending | UsesOAuth)
    ics = calendar_source_class("ics").from_config("cal", {"path": str(tmp_path / "mbox")})
    assert not isinstance(ics, Probing | Appending | UsesOAuth)


def test_from_config_reports_every_problem_in_one_error() -> None:
    with pytest.raises(SourceConfigError) as caught:
        mail_source_class("imap").from_config("work", {"port": 0, "security": "tls"})
    problems = caught.value.problems
    assert len(problems) >= 3
    assert any("host is required" in p for p in problems)
    assert any("security must be one of" in p for p in problems)
    assert "\n".join(problems) == caught.value.message
