"""Calling Google APIs politely: a quota budget, backoff with jitter, batch requests.

Every call goes through :class:`Caller`, which

- charges its cost in quota units to a per-run :class:`QuotaBudget` (the costs come
  from config; Gmail's published ones are the defaults) and keeps the spending rate
  under ``per_second`` units, Gmail's per-user limit;
- retries what Google says to retry (429, 403 ``rateLimitExceeded`` /
  ``userRateLimitExceeded``, 500/502/503/504, a dropped connection) with exponential
  backoff and full jitter, honouring ``Retry-After``, a bounded number of times; all
  the calls here are reads, so a retry repeats nothing;
- sends batch requests (at most 25 parts, Gmail's advice) and retries only the parts
  that failed with a retryable status inside a batch answer that is otherwise 200;
- turns what is left into ``ConnectorError``/``AuthError`` with one line of text.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import AuthError, ConnectorError
from connectors.google_auth import reconnect_hint, translate_auth_errors
from connectors.oauth_flow import one_line

logger = logging.getLogger(__name__)

MAX_BATCH = 25
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


class Passed(Exception):
    """An HTTP status the caller asked to see (``passthrough``): ``error`` is the
    ``HttpError`` (a 404 on an old history id, a 410 on a sync token)."""

    def __init__(self, error: Any) -> None:
        super().__init__(str(error))
        self.error = error
        self.status = error_reason(error)[0]


class QuotaExhausted(ConnectorError):
    """The run's quota budget is spent: the next run continues from the checkpoint."""


@dataclass
class QuotaBudget:
    """Quota units a run may spend (``limit``, 0 = no limit) and at what rate.

    ``clock``/``sleep`` are injectable so tests and the benchmark run without waiting.
    """

    source: str
    limit: int = 0
    per_second: float = 0.0
    spent: int = 0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _window_start: float | None = None
    _window_spent: int = 0

    def spend(self, units: int) -> None:
        if self.limit and self.spent + units > self.limit:
            raise QuotaExhausted(
                self.source,
                f"the quota budget of {self.limit} units for one run is spent "
                "(quota_budget): the next run continues where this one stopped",
                retryable=True,
            )
        if self.per_second > 0:
            now = self.clock()
            if self._window_start is None or now - self._window_start >= 1.0:
                self._window_start, self._window_spent = now, 0
            if self._window_spent + units > self.per_second and self._window_spent:
                self.sleep(max(0.0, 1.0 - (now - self._window_start)))
                self._window_start, self._window_spent = self.clock(), 0
            self._window_spent += units
        self.spent += units


def error_reason(error: Any) -> tuple[int, str, str]:
    """(status, first reason, message) of a googleapiclient ``HttpError``."""
    status = int(getattr(getattr(error, "resp", None), "status", 0) or 0)
    reason, message = "", ""
    content = getattr(error, "content", b"") or b""
    try:
        body = json.loads(content.decode("utf-8", "replace"))
        err = body.get("error", {}) if isinstance(body, dict) else {}
        if isinstance(err, dict):
            message = str(err.get("message") or "")
            errors = err.get("errors") or []
            if errors and isinstance(errors[0], dict):
                reason = str(errors[0].get("reason") or "")
            reason = reason or str(err.get("status") or "")
        elif isinstance(err, str):  # OAuth endpoints: {"error": "invalid_grant"}
            reason = err
    except ValueError:
        pass
    return status, reason, one_line(message, 200)


def is_retryable(error: Any) -> bool:
    status, reason, _ = error_reason(error)
    return status in RETRYABLE_STATUS or (status == 403 and reason in RATE_REASONS)


@dataclass
class Caller:
    """Runs API requests for one source with the budget, the retries and the batching."""

    source: str
    budget: QuotaBudget
    retries: int = 5
    backoff_base: float = 1.0
    backoff_cap: float = 32.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    retried: int = 0  # how many retries this run needed (reported, tested)

    def _delay(self, attempt: int, error: Any = None) -> float:
        after = getattr(getattr(error, "resp", None), "get", lambda _k, _d=None: None)(
            "retry-after"
        )
        if isinstance(after, str) and after.strip().isdigit():
            return min(float(after), self.backoff_cap)
        # Full jitter (AWS architecture blog): spreads the retries of many workers.
        return self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def execute(
        self, request: Any, cost: int, *, doing: str, passthrough: Iterable[int] = ()
    ) -> Any:
        """``request.execute()`` with the budget and retries; the parsed JSON answer.

        A status in ``passthrough`` raises ``Passed`` instead of an error."""
        from googleapiclient.errors import HttpError

        for attempt in range(self.retries + 1):
            self.budget.spend(cost)
            try:
                with translate_auth_errors(self.source):
                    return request.execute()
            except HttpError as e:
                if error_reason(e)[0] in passthrough:
                    raise Passed(e) from e
                if not is_retryable(e) or attempt == self.retries:
                    raise self.wrap(e, doing) from e
                error: Any = e
            except (OSError, TimeoutError) as e:
                if attempt == self.retries:
                    raise self.wrap(e, doing) from e
                error = e
            self.retried += 1
            delay = self._delay(attempt, error)
            logger.info(
                "%s: Google asked to slow down while %s; retrying in %.1f s",
                self.source,
                doing,
                delay,
            )
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def batch(
        self,
        service: Any,
        requests: Mapping[str, Any] | Iterable[tuple[str, Any]],
        cost_each: int,
        *,
        doing: str,
        size: int = MAX_BATCH,
    ) -> dict[str, Any]:
        """Send ``{key: request}`` in batches of ``size`` (at most ``MAX_BATCH``); ``{key:
        answer}``.

        A part that fails with a retryable status is sent again (in a later batch, after
        a backoff); a part that fails otherwise maps to its ``HttpError`` (the caller
        decides: a 404 is a message deleted meanwhile). The batch itself failing is
        retried like any call.
        """
        from googleapiclient.errors import HttpError

        pending = dict(requests.items() if isinstance(requests, Mapping) else requests)
        results: dict[str, Any] = {}
        attempt = 0
        while pending:
            keys = list(pending)
            retry: dict[str, Any] = {}
            step = max(1, min(size, MAX_BATCH))
            for start in range(0, len(keys), step):
                chunk = keys[start : start + step]
                answers = self._send_batch(
                    service, {k: pending[k] for k in chunk}, cost_each, doing=doing
                )
                for key, (response, error) in answers.items():
                    if error is None:
                        results[key] = response
                    elif isinstance(error, HttpError) and is_retryable(error):
                        retry[key] = pending[key]
                    elif isinstance(error, HttpError):
                        status, _, _ = error_reason(error)
                        if status in (401, 403):
                            raise self.wrap(error, doing)
                        results[key] = error
                    else:
                        raise self.wrap(error, doing)
            if not retry:
                break
            if attempt >= self.retries:
                first = next(iter(retry))
                raise ConnectorError(
                    self.source,
                    f"Google kept refusing {len(retry)} request(s) while {doing} "
                    f"(rate limits, first {first}): try again later",
                    retryable=True,
                )
            self.retried += len(retry)
            delay = self._delay(attempt)
            logger.info(
                "%s: %d part(s) of a batch were throttled while %s; retrying in %.1f s",
                self.source,
                len(retry),
                doing,
                delay,
            )
            self.sleep(delay)
            attempt += 1
            pending = retry
        return results

    def _send_batch(
        self, service: Any, chunk: Mapping[str, Any], cost_each: int, *, doing: str
    ) -> dict[str, tuple[Any, BaseException | None]]:
        from googleapiclient.errors import HttpError

        for attempt in range(self.retries + 1):
            answers: dict[str, tuple[Any, BaseException | None]] = {}

            def collect(request_id: str, response: Any, exception: Any) -> None:
                answers[request_id] = (response, exception)  # noqa: B023  (used at once)

            batch = service.new_batch_http_request(callback=collect)
            for key, request in chunk.items():
                batch.add(request, request_id=key)
            # Each part costs its own units; the batch envelope costs nothing more.
            self.budget.spend(cost_each * len(chunk))
            try:
                with translate_auth_errors(self.source):
                    batch.execute()
                return answers
            except HttpError as e:
                if not is_retryable(e) or attempt == self.retries:
                    raise self.wrap(e, doing) from e
                error: Any = e
            except (OSError, TimeoutError) as e:
                if attempt == self.retries:
                    raise self.wrap(e, doing) from e
                error = e
            self.retried += 1
            self.sleep(self._delay(attempt, error))
        raise AssertionError("unreachable")  # pragma: no cover

    def wrap(self, error: BaseException, doing: str) -> ConnectorError:
        """One line for what Google (or the network) answered."""
        from googleapiclient.errors import HttpError

        if isinstance(error, ConnectorError):
            return error
        if isinstance(error, HttpError):
            status, reason, message = error_reason(error)
            detail = f"HTTP {status}" + (f" {reason}" if reason else "")
            if message:
                detail += f": {message}"
            if status == 401:
                return AuthError(self.source, f"{reconnect_hint(self.source)} ({detail})")
            if status == 403 and reason not in RATE_REASONS:
                return AuthError(
                    self.source,
                    f"Google refused access while {doing} ({detail}): check the API is "
                    f"enabled in your Cloud project, or {reconnect_hint(self.source)}",
                )
            return ConnectorError(
                self.source,
                f"Google answered {detail} while {doing}",
                retryable=status in RETRYABLE_STATUS or status == 403,
            )
        if isinstance(error, (OSError, TimeoutError)):
            return ConnectorError(
                self.source,
                f"the connection to Google failed while {doing} ({one_line(error, 120)}): "
                "try again; the next run resumes from the last saved batch",
                retryable=True,
            )
        return ConnectorError(self.source, f"unexpected error while {doing}: {error!r}")
