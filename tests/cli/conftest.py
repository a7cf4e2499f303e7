"""CLI fixtures (helpers to run the CLI: tests.support.cli)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import clean_env


@pytest.fixture
def local_env(tmp_path: Path) -> dict[str, str]:
    return clean_env(MLPOC_BACKEND="local", MLPOC_DATA_DIR=str(tmp_path / "data"))
