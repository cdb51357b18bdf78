"""State shared by the commands: the config path, verbosity, loaded config and store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from followup.config import Config, load_config
from followup.errors import UserError

if TYPE_CHECKING:
    from followup.store.store import Store


@dataclass
class AppContext:
    config_path: Path | None = None
    verbose: int = 0
    _config: Config | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def store(self) -> Store:
        if self._store is None:
            from followup.store.store import Store  # SQLAlchemy: off the --help path

            self._store = Store.open(self.config.database_url())
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_app = click.make_pass_decorator(AppContext)


# Planning reaches back and ahead of ``now`` by up to twice the longest duration (100
# years, see durations.MAX_DURATION): a --now near either end of the calendar would
# overflow, and nobody needs it.
NOW_YEARS = (1900, 9000)


def parse_now(value: str | None, tz: ZoneInfo) -> datetime:
    """--now: ISO-8601 in years 1900..9000; a naive value is read in the user's zone."""
    if not value:
        return datetime.now(UTC)
    shown = repr(value) if len(value) <= 40 else repr(value[:37] + "...")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as e:
        raise UserError(f"--now {shown} is not an ISO-8601 date/time, e.g. 2026-03-17T07:30") from e
    low, high = NOW_YEARS
    if not low <= dt.year <= high:
        raise UserError(f"--now {shown} is out of range: use a date from {low} to {high}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


now_option = click.option(
    "--now",
    "now_",
    metavar="ISO-8601",
    help="Pretend it is this moment (reproducible output); naive times are in [me] timezone.",
)
json_option = click.option("json_", "--json", is_flag=True, help="Output as JSON.")
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "html", "plain"]),
    default="text",
    help="Output format (text: for a terminal; plain: the email's text part).",
)
