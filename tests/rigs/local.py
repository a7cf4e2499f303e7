"""Local rig: the embedded backend on a fresh temporary directory; no server."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from adapters import Collection, Settings
from tests.rigs.base import Rig


class LocalRig(Rig):
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def settings(self, collections: Iterable[Collection], *, max_deliveries: int = 5) -> Settings:
        data_dir = self.root / self.unique("data-")
        data_dir.mkdir(parents=True)
        return Settings(backend="local", data_dir=data_dir, max_deliveries=max_deliveries)
