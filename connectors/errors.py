"""Connector errors. The application maps them to one clear line for the user."""

from __future__ import annotations


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
    """The source is misconfigured (missing path, unknown folder, bad option)."""
