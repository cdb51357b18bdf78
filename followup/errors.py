"""Application errors. The CLI turns each into one clear line (see cli/errors.py)."""

from __future__ import annotations

from connectors.errors import AuthError, ConnectorError, SourceConfigError

__all__ = [
    "AuthError",
    "ConnectorError",
    "FollowupError",
    "SourceConfigError",
    "StoreError",
    "UserError",
]


class FollowupError(Exception):
    """Base of every error followup raises on purpose."""


class UserError(FollowupError):
    """Something the user can fix (config, arguments). Carries every problem found."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class StoreError(FollowupError):
    """The database could not be opened or migrated."""
