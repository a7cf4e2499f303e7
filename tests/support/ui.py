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

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method, self.url + path, headers={"X-API-Key": self.key}, timeout=30, **kwargs
        )
        assert response.is_success, (method, path, response.status_code, response.text)
        return response.json()

    def upload(self, name: str, data: bytes, **fields: str) -> Any:
        return self.call(
            "POST",
            "/datasets",
            files={"file": (f"{name}.csv", data, "text/csv")},
            data={"name": name, **fields},
        )

    def job(self, job_id: str, timeout: float = 90) -> Any:
        """The job once it is terminal (polled with a deadline); it must have succeeded."""
        from tests.support.waiting import wait_for

        def done() -> Any:
            job = self.get(f"/jobs/{job_id}")
            return job if job["state"] in ("succeeded", "failed") else None

        job = wait_for(done, timeout=timeout, interval=0.2, what=f"job {job_id}")
        assert job["state"] == "succeeded", job
        return job

    def train(self, dataset: str, **params: Any) -> Any:
        """Retrain `dataset` and wait for it and for the scoring job it enqueues."""
        job = self.job(
            self.call("POST", f"/datasets/{dataset}/retrain", json={"params": params})["id"]
        )
        follow = job["result"].get("batch_predict_job")
        if follow:
            self.job(follow)
        return job["result"]

    def promote(self, model: str, version: int) -> None:
        current = httpx.get(
            f"{self.url}/models/{model}/aliases/production",
            headers={"X-API-Key": self.key},
            timeout=10,
        )
        expected = current.json()["version"] if current.status_code == 200 else None
        self.call(
            "PUT",
            f"/models/{model}/aliases/production",
            json={"version": version, "expected_version": expected},
        )
