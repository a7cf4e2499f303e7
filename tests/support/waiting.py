"""Polling with a deadline: the one way tests wait for something to happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(
    check: Callable[[], T],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str | Callable[[], str] = "condition",
) -> T:
    """Poll `check` until it returns something truthy; fail the test after `timeout`.
    `what` may be a callable, to describe the state at the time of the failure (logs)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            described = what() if callable(what) else what
            pytest.fail(f"timed out after {timeout} s waiting for {described}")
        time.sleep(interval)
