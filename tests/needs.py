"""Skip a test whose tool is missing here, but fail it under ``CI=true``.

``.ci/run`` installs everything the suite needs, so a missing tool in CI is a broken CI
setup, never a reason to pass by skipping (the server fixtures do the same).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> NoReturn:
    """Skip with ``reason``; under ``CI=true`` fail with it instead."""
    if in_ci():
        pytest.fail(f"{reason}; CI must run this test, not skip it", pytrace=False)
    pytest.skip(reason)
