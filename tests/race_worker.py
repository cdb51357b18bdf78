"""A worker process for the race tests: plans or records a decision the moment every
worker has reached the barrier, so two processes write the nudge table at once."""

from __future__ import annotations

from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path


def serve(config_path: str, conn: Connection, barrier: Barrier) -> None:
    """Answer ("plan", iso_now) and ("set", number, state) with "ok" or the error's
    class name, until None arrives."""
    from followup.config import load_config
    from followup.runner import plan_now
    from followup.store.nudges import set_state
    from followup.store.store import Store

    config = load_config(Path(config_path))
    store = Store.open(config.database_url())
    try:
        while (cmd := conn.recv()) is not None:
            barrier.wait(timeout=60)
            try:
                if cmd[0] == "plan":
                    plan_now(store, config, datetime.fromisoformat(cmd[1]))
                else:
                    set_state(store, str(cmd[1]), cmd[2])
                conn.send("ok")
            except Exception as e:
                conn.send(f"{e.__class__.__name__}: {str(e)[:200]}")
    finally:
        store.close()
