"""Passwords from outside the config file: a command, an environment variable, a keyring.

The config never needs to hold a secret. ``password_command`` works like mbsync's
PassCmd (``"pass show mail/work"`` run by the shell, or an argv list run directly);
the first line of its output is the password. Nothing here logs a secret or a
command's output: errors name the account and the setting, never the value.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectors.errors import SourceConfigError

logger = logging.getLogger(__name__)

# A password manager may ask for a passphrase (gpg-agent pinentry), so allow a while.
COMMAND_TIMEOUT = 120.0
DEFAULT_KEYRING_SERVICE = "followup"


@dataclass(frozen=True, slots=True)
class PasswordSpec:
    """Where an account's password comes from: exactly one of the three is set."""

    command: str | tuple[str, ...] | None = None
    env: str | None = None
    keyring_service: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.command or self.env or self.keyring_service)


def password_spec_from_options(source: str, options: Mapping[str, object]) -> PasswordSpec:
    """Validate ``password_command`` / ``password_env`` / ``password_keyring``.

    Raises ``SourceConfigError`` listing every problem, one per line.
    """
    problems: list[str] = []
    command = options.get("password_command")
    env = options.get("password_env")
    keyring = options.get("password_keyring")
    set_keys = [
        key
        for key, value in (
            ("password_command", command),
            ("password_env", env),
            ("password_keyring", keyring),
        )
        if value not in (None, False, "", [])
    ]
    if len(set_keys) > 1:
        problems.append(f"set only one of {', '.join(set_keys)}")
    spec_command: str | tuple[str, ...] | None = None
    if command is not None:
        if isinstance(command, str) and command.strip():
            spec_command = command
        elif (
            isinstance(command, Sequence)
            and not isinstance(command, str)
            and command
            and all(isinstance(part, str) for part in command)
        ):
            spec_command = tuple(command)
        else:
            problems.append("password_command must be a non-empty string or list of strings")
    if env is not None and (not isinstance(env, str) or not env):
        problems.append("password_env must be the name of an environment variable")
    service: str | None = None
    if keyring is True:
        service = DEFAULT_KEYRING_SERVICE
    elif isinstance(keyring, str) and keyring:
        service = keyring
    elif keyring not in (None, False):
        problems.append("password_keyring must be true or a keyring service name")
    if problems:
        raise SourceConfigError(source, "\n".join(problems))
    return PasswordSpec(
        command=spec_command, env=env if isinstance(env, str) else None, keyring_service=service
    )


def resolve_password(source: str, spec: PasswordSpec, username: str) -> str:
    """Return the password ``spec`` points to; ``SourceConfigError`` saying what to fix."""
    if spec.command is not None:
        return _from_command(source, spec.command)
    if spec.env is not None:
        value = os.environ.get(spec.env)
        if not value:
            raise SourceConfigError(
                source,
                f"environment variable {spec.env} (password_env) is not set or empty: "
                f"export it before running followup",
            )
        return value
    if spec.keyring_service is not None:
        return _from_keyring(source, spec.keyring_service, username)
    raise SourceConfigError(
        source,
        "no password configured: set password_command, password_env or password_keyring",
    )


def _from_command(source: str, command: str | tuple[str, ...]) -> str:
    return run_secret_command(source, command, key="password_command", what="the password")


def run_secret_command(source: str, command: str | Sequence[str], *, key: str, what: str) -> str:
    """The first line a secret command prints (``key`` names it in errors, ``what`` says
    what it must print). A string goes through the shell, like mbsync's PassCmd; a list
    does not. Its output never appears in an error; its stderr may."""
    shown = command if isinstance(command, str) else " ".join(command)
    try:
        result = subprocess.run(
            command if isinstance(command, str) else list(command),
            shell=isinstance(command, str),
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError as e:
        raise SourceConfigError(source, f"{key} {shown!r} not found: check the program name") from e
    except subprocess.TimeoutExpired as e:
        raise SourceConfigError(
            source, f"{key} {shown!r} did not finish in {COMMAND_TIMEOUT:.0f} s"
        ) from e
    if result.returncode != 0:
        # stderr is safe to show (a password manager's complaint), stdout never is.
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        hint = f": {detail[-1]}" if detail else ""
        raise SourceConfigError(
            source, f"{key} {shown!r} failed with exit status {result.returncode}{hint}"
        )
    lines = result.stdout.decode(errors="replace").splitlines()
    if not lines or not lines[0].strip():
        raise SourceConfigError(source, f"{key} {shown!r} printed nothing: it must print {what}")
    return lines[0]


def _from_keyring(source: str, service: str, username: str) -> str:
    try:
        import keyring  # type: ignore[import-not-found,unused-ignore]  # optional extra
        from keyring.errors import KeyringError  # type: ignore[import-not-found,unused-ignore]
    except ImportError as e:
        raise SourceConfigError(
            source, "password_keyring needs the keyring package: pip install keyring"
        ) from e
    try:
        value = keyring.get_password(service, username)
    except KeyringError as e:
        raise SourceConfigError(source, f"the system keyring failed: {e}") from e
    if not value:
        raise SourceConfigError(
            source,
            f"no password in the keyring for service {service!r}, user {username!r}: "
            f"add it with `keyring set {service} {username}`",
        )
    return str(value)
