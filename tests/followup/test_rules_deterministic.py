"""Same state, same clock, same settings: the same nudges in the same order, in any process.

Two calls in one process share a hash seed, so they would agree even if the order came
from iterating a set of strings. The plan is computed in separate processes with
different ``PYTHONHASHSEED`` values and compared.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from followup.nudges import KIND_ORDER

REPO = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).with_name("plan_scenario.py")


def plan_in_a_process(hash_seed: str) -> list[str]:
    env = {
        **os.environ,
        "PYTHONHASHSEED": hash_seed,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
    }
    result = subprocess.run(
        [sys.executable, str(SCENARIO)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_plan_does_not_depend_on_the_hash_seed() -> None:
    first = plan_in_a_process("1")
    # The scenario gives every kind several times over, so an order has to be chosen.
    assert {kind for kind in KIND_ORDER if f"kind='{kind}'" in "\n".join(first)} == set(KIND_ORDER)
    assert len(first) > 30
    for seed in ("2", "3"):
        assert plan_in_a_process(seed) == first, f"PYTHONHASHSEED={seed} changed the plan"
