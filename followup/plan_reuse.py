"""Reusing the last plan: a run in which nothing changed plans nothing.

A plan is a function of the store's planning inputs, the settings, the user's stopped
pairs (learning) and ``now``. The first three are compared exactly: the change counter
of the tables planning reads (store.plan_inputs, kept by triggers, so every writer
counts: sync, analysis, ``mute``, ``forget``, reply commands, another process), and a
fingerprint of the rules' and [me] settings, the followup version and the stopped pairs.

``now`` cannot be compared that way. The rules read it to the second (ages in the
scores, "2 business days" elapsed, due dates passing, meetings starting), so no plan at
a later ``now`` is provably the same as an earlier one. A reused plan is exactly the
one an earlier run recorded, and it is reused only where a run that many minutes
earlier is as good as this one:

- for at most REPLAN_EVERY after it was made, never for a ``now`` before it;
- on the same local day (business days, "today"/"tomorrow", the reconnect rotation);
- never by a run that may send the digest: the email is always made from a fresh plan,
  and ``followup digest`` always plans too.

So a cron entry every few minutes, with nothing arriving, plans as if it ran hourly:
a threshold crossed at 10:10 shows by 11:10 at the latest, and anything new at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from followup import __version__
from followup.config import Config
from followup.store.glance import PlanStamp

if TYPE_CHECKING:
    from followup.store.store import Store

REPLAN_EVERY = timedelta(hours=1)


def _canonical(value: Any) -> Any:
    """Settings as plain JSON, the same in every process (sets sorted, no hashes)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def fingerprint(config: Config, stopped: frozenset[tuple[str, str]]) -> str:
    """What besides the store and ``now`` a plan depends on, as one digest."""
    data = {
        "followup": __version__,
        "me": _canonical(config.me),
        "rules": _canonical(config.rules),
        "stopped": sorted(stopped),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def reusable(
    stamp: PlanStamp | None, version: int | None, fp: str, now: datetime, config: Config
) -> bool:
    """The rules above, on a stamp: same inputs, same settings, ``now`` soon after."""
    if stamp is None or version is None or stamp.version != version or stamp.fingerprint != fp:
        return False
    if not stamp.planned_at <= now < stamp.planned_at + REPLAN_EVERY:
        return False
    tz = config.me.tz
    return stamp.planned_at.astimezone(tz).date() == now.astimezone(tz).date()


def last_plan_holds(
    store: Store, config: Config, now: datetime, stopped: frozenset[tuple[str, str]]
) -> datetime | None:
    """When the last plan was made, if its nudges are what this run may keep (see
    above); the caller checks that the run will not send the digest."""
    from followup.store.plan_inputs import last_stamp  # SQLAlchemy: off the quiet run's path

    version, stamp = last_stamp(store)
    if stamp is not None and reusable(stamp, version, fingerprint(config, stopped), now, config):
        return stamp.planned_at
    return None
