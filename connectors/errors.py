"""Connector errors. The application maps them to one clear line for the user."""

from __future__ import annotations

from collections.abc import Iterable


class ConnectorError(Exception):
    """A source failed. ``retryable`` is True for transient failures (network, timeout)."""

    def __init__(self, source: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
        self.retryable = retryable


class AuthError(ConnectorError):
    """The server refused the credentials: retrying will not help."""


class SourceConfigError(ConnectorError):
    """The source is misconfigured (missing path, unknown folder, bad option).

    ``problems`` holds one line per problem (``from_config`` reports them all at once);
    ``message`` is those lines joined.
    """

    def __init__(self, source: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(source, message, retryable=retryable)
        self.problems: tuple[str, ...] = tuple(
            line for line in message.splitlines() if line.strip()
        )

    @classmethod
    def of(cls, source: str, problems: Iterable[str]) -> SourceConfigError:
        """One error for every problem found in a source's options."""
        return cls(source, "\n".join(problems))
