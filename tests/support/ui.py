"""The browser tests' view of the live API (a real uvicorn on a loopback port), and where a
failed test leaves its screenshot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from adapters import Adapters
from runtime.api.settings import ApiSettings

ARTIFACTS = Path(__file__).resolve().parents[1] / "ui" / "artifacts"


@dataclass
class LiveApi:
    url: str
    key: str
    adapters: Adapters
    settings: ApiSettings

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(
            self.url + path, params=params, headers={"X-API-Key": self.key}, timeout=10
        )
        response.raise_for_status()
        return response.json()
