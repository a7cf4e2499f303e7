"""Runtime fixtures: fresh resources per test on each backend's rig, holding the iris CSV
(helpers: tests.support)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rigs.base import Rig
from tests.support.env import Env, new_env


@pytest.fixture
def env(rig: Rig, tmp_path: Path) -> Env:
    return new_env(rig, tmp_path / "env")
