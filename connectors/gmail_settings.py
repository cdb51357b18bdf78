"""The ``[[mail]] kind = "gmail"`` options, checked once, as a frozen dataclass.

Nothing is read or run here (config validation calls it): the token file is opened by
the first sync, the client file and secret command only by ``followup auth``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from connectors.errors import SourceConfigError
from connectors.fileconfig import since_date
from connectors.gmail_messages import HIDDEN_LABELS
from connectors.google_auth import (
    CLIENT_KEYS,
    GMAIL_METADATA,
    GMAIL_READONLY,
    client_problems,
    token_file_option,
)
from connectors.google_calls import MAX_BATCH

SCOPES = {"metadata": GMAIL_METADATA, "readonly": GMAIL_READONLY}
# Gmail's published quota costs (units per call). Google changes them now and then,
# so they are config (quota_costs), not code.
DEFAULT_COSTS: dict[str, int] = {
    "get_profile": 1,
    "labels_list": 1,
    "messages_list": 5,
    "messages_get": 5,
    "history_list": 2,
}
DEFAULT_LABELS = ("INBOX", "SENT")
DEFAULT_BUDGET = 1_000_000
DEFAULT_PER_SECOND = 250.0  # Gmail's per-user rate limit
DEFAULT_PAGE_SIZE = 100
DEFAULT_EXCERPT = 1024  # the first KB of the text part, under gmail.readonly
DEFAULT_MAX_RESYNCS = 3  # full resyncs within RESYNC_WINDOW before the breaker trips
RESYNC_WINDOW_SECONDS = 24 * 3600

KEYS: frozenset[str] = frozenset(
    {
        "oauth_token_file",
        "username",
        "scope",
        "labels",
        "since",
        "batch_size",
        "page_size",
        "excerpt_chars",
        "quota_budget",
        "quota_per_second",
        "quota_costs",
        "max_full_resyncs",
        "retries",
        "timeout",
        *CLIENT_KEYS,
    }
)


@dataclass(frozen=True, slots=True)
class GmailSettings:
    token_file: Path
    username: str | None = None
    scope: str = "metadata"
    labels: tuple[str, ...] = DEFAULT_LABELS
    since: date | None = None
    batch_size: int = MAX_BATCH
    page_size: int = DEFAULT_PAGE_SIZE
    excerpt_chars: int = DEFAULT_EXCERPT
    quota_budget: int = DEFAULT_BUDGET
    quota_per_second: float = DEFAULT_PER_SECOND
    costs: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_COSTS))
    max_full_resyncs: int = DEFAULT_MAX_RESYNCS
    retries: int = 5
    timeout: float = 60.0
    client_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def scope_uri(self) -> str:
        return SCOPES[self.scope]

    @property
    def with_text(self) -> bool:
        return self.scope == "readonly"


def _int(
    options: Mapping[str, Any],
    key: str,
    default: int,
    problems: list[str],
    *,
    low: int,
    high: int | None = None,
) -> int:
    value = options.get(key, default)
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bound = f"between {low} and {high}" if high is not None else f"{low} or more"
        problems.append(f"{key} must be a whole number {bound}, not {value!r}")
        return default
    return int(value)


def settings_from_options(name: str, options: Mapping[str, Any]) -> GmailSettings:
    """Validate a gmail ``[[mail]]`` table; ``SourceConfigError`` with one line each."""
    problems: list[str] = []
    token_file = token_file_option(
        options, KEYS, problems, ' (e.g. "~/.local/share/followup/gmail-token.json")'
    )
    username = options.get("username")
    if username is not None and (not isinstance(username, str) or "@" not in username):
        problems.append("username must be the Gmail address, e.g. penny@gmail.com")
        username = None
    scope = options.get("scope", "metadata")
    if scope not in SCOPES:
        problems.append(
            f'scope must be "metadata" (headers only) or "readonly" (also reads message '
            f"text to find requests and promises), not {scope!r}"
        )
        scope = "metadata"
    labels_value = options.get("labels", list(DEFAULT_LABELS))
    labels: tuple[str, ...] = DEFAULT_LABELS
    if (
        not isinstance(labels_value, list)
        or not labels_value
        or not all(isinstance(x, str) and x.strip() for x in labels_value)
    ):
        problems.append('labels must be a list of label names or ids, e.g. ["INBOX", "SENT"]')
    else:
        labels = tuple(dict.fromkeys(x.strip() for x in labels_value))
        hidden = [x for x in labels if x.upper() in HIDDEN_LABELS]
        if hidden:
            problems.append(f"labels: {', '.join(hidden)} is never read (spam and trash)")
    since: date | None = None
    if options.get("since") is not None:
        try:
            since = since_date(options["since"])
        except ValueError:
            problems.append(f"since must be a date like 2024-01-01, not {options['since']!r}")
    batch_size = _int(options, "batch_size", MAX_BATCH, problems, low=1, high=MAX_BATCH)
    page_size = _int(options, "page_size", DEFAULT_PAGE_SIZE, problems, low=1, high=500)
    excerpt = _int(options, "excerpt_chars", DEFAULT_EXCERPT, problems, low=0, high=65536)
    budget = _int(options, "quota_budget", DEFAULT_BUDGET, problems, low=0)
    resyncs = _int(options, "max_full_resyncs", DEFAULT_MAX_RESYNCS, problems, low=1)
    retries = _int(options, "retries", 5, problems, low=0, high=20)
    per_second = options.get("quota_per_second", DEFAULT_PER_SECOND)
    if not isinstance(per_second, (int, float)) or isinstance(per_second, bool) or per_second < 0:
        problems.append(f"quota_per_second must be 0 (no limit) or more, not {per_second!r}")
        per_second = DEFAULT_PER_SECOND
    costs = dict(DEFAULT_COSTS)
    raw_costs = options.get("quota_costs", {})
    if not isinstance(raw_costs, Mapping):
        problems.append("quota_costs must be a table, e.g. { messages_get = 5 }")
    else:
        for key, value in raw_costs.items():
            if key not in DEFAULT_COSTS:
                problems.append(
                    f"quota_costs.{key} is not a Gmail call followup makes; known: "
                    f"{', '.join(sorted(DEFAULT_COSTS))}"
                )
            elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
                problems.append(f"quota_costs.{key} must be a whole number of units")
            else:
                costs[key] = value
    timeout = options.get("timeout", 60.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        problems.append(f"timeout must be a positive number of seconds, not {timeout!r}")
        timeout = 60.0
    problems.extend(client_problems(options))
    if problems:
        raise SourceConfigError(name, "\n".join(problems))
    return GmailSettings(
        token_file=token_file,
        username=username,
        scope=str(scope),
        labels=labels,
        since=since,
        batch_size=batch_size,
        page_size=page_size,
        excerpt_chars=excerpt,
        quota_budget=budget,
        quota_per_second=float(per_second),
        costs=costs,
        max_full_resyncs=resyncs,
        retries=retries,
        timeout=float(timeout),
        client_options={k: options[k] for k in CLIENT_KEYS if k in options},
    )
