"""Passwords from a command, an environment variable or the keyring; errors say the fix."""

from __future__ import annotations

import sys

import pytest

from connectors.errors import SourceConfigError
from connectors.secrets import PasswordSpec, password_spec_from_options, resolve_password


def _resolve(**options: object) -> str:
    return resolve_password("work", password_spec_from_options("work", options), "penny")


def test_command_string_runs_in_the_shell_and_takes_the_first_line() -> None:
    assert _resolve(password_command="printf 'hunter2\\nsecond line\\n' | cat") == "hunter2"


def test_command_list_runs_without_a_shell() -> None:
    # "$HOME" stays literal: no shell expands it.
    assert _resolve(password_command=["printf", "%s", "pa$$ $HOME"]) == "pa$$ $HOME"


def test_failing_command_names_the_exit_status_but_never_the_output() -> None:
    with pytest.raises(SourceConfigError) as info:
        _resolve(password_command="echo leaked-secret; echo 'gpg: decryption failed' >&2; exit 3")
    message = str(info.value)
    assert message == (
        "work: password_command \"echo leaked-secret; echo 'gpg: decryption failed' >&2; "
        'exit 3" failed with exit status 3: gpg: decryption failed'
    )
    assert "leaked-secret\n" not in message


def test_missing_program_and_empty_output() -> None:
    with pytest.raises(SourceConfigError, match="not found: check the program name"):
        _resolve(password_command=["/nonexistent/pass", "show"])
    with pytest.raises(SourceConfigError, match="printed nothing: it must print the password"):
        _resolve(password_command="true")


def test_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWUP_TEST_PW", "from-env")
    assert _resolve(password_env="FOLLOWUP_TEST_PW") == "from-env"
    monkeypatch.delenv("FOLLOWUP_TEST_PW")
    with pytest.raises(SourceConfigError) as info:
        _resolve(password_env="FOLLOWUP_TEST_PW")
    assert str(info.value) == (
        "work: environment variable FOLLOWUP_TEST_PW (password_env) is not set or empty: "
        "export it before running followup"
    )


def test_keyring_without_the_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if keyring were not installed, whether or not it is here: None blocks the import.
    monkeypatch.setitem(sys.modules, "keyring", None)
    monkeypatch.setitem(sys.modules, "keyring.errors", None)
    with pytest.raises(SourceConfigError) as info:
        _resolve(password_keyring=True)
    assert str(info.value) == (
        "work: password_keyring needs the keyring package: pip install keyring"
    )


def test_spec_validation_lists_every_problem() -> None:
    with pytest.raises(SourceConfigError) as info:
        password_spec_from_options(
            "work", {"password_command": 42, "password_env": "X", "password_keyring": 3}
        )
    assert info.value.message.splitlines() == [
        "set only one of password_command, password_env, password_keyring",
        "password_command must be a non-empty string or list of strings",
        "password_keyring must be true or a keyring service name",
    ]
    assert password_spec_from_options("work", {"password_keyring": "mail"}) == PasswordSpec(
        keyring_service="mail"
    )
    with pytest.raises(SourceConfigError, match="no password configured"):
        resolve_password("work", PasswordSpec(), "penny")
