"""Compiled-path fixtures: one fitted model per case (helpers: tests.support.inference)."""

from __future__ import annotations

import pytest

from tests.support.inference import CASES, Fitted, fitted


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Fitted:
    return fitted(request.param)
