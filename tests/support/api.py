"""An app over fresh backend resources, its TestClient, one API key per scope, an in-process
worker to run the jobs the API enqueues, and a snapshot of everything stored (to prove a
refused request wrote nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters import Adapters, build_adapters
from runtime import api_keys, jobs
from runtime.api import create_app
from runtime.api.settings import ApiSettings
from runtime.config import RuntimeSettings
from runtime.schema import COLLECTIONS
from runtime.worker import Worker
from tests.rigs.base import Identities, Rig, build_as
from tests.support.data import IRIS_FIELDS, iris_csv
from tests.support.env import FAST
from tests.support.waiting import wait_for


@dataclass
class Api:
    client: TestClient
    app: FastAPI
    adapters: Adapters
    settings: ApiSettings
    worker_settings: RuntimeSettings
    tokens: dict[str, str]

    def headers(self, scope: str = "admin") -> dict[str, str]:
        return {"X-API-Key": self.tokens[scope]}

    def upload(
        self,
        data: bytes | None = None,
        *,
        scope: str = "admin",
        filename: str = "data.csv",
        **fields: str,
    ) -> httpx.Response:
        form = {**IRIS_FIELDS, **fields}
        return self.client.post(
            "/datasets",
            files={"file": (filename, iris_csv() if data is None else data, "text/csv")},
            data={k: v for k, v in form.items() if v},
            headers=self.headers(scope),
        )

    def worker(self) -> Worker:
        return Worker(self.adapters, self.worker_settings)

    def run_job(self, job_id: str, worker: Worker | None = None) -> dict[str, Any]:
        """Run queued jobs in-process until `job_id` is terminal; its document."""
        worker = worker or self.worker()

        def done() -> jobs.Job | None:
            job = jobs.get(self.adapters.documents, job_id)
            if job.state in jobs.TERMINAL:
                return job
            worker.run_once(wait_seconds=0.2)
            return None

        job = wait_for(done, timeout=180, interval=0, what=f"job {job_id}")
        assert job.state == "succeeded", job.data
        return job.to_json()

    def score(self, name: str = "iris", alias: str = "production") -> dict[str, Any]:
        """Score every record of dataset `name` with its model at `alias` (a batch_predict
        job, run in-process); the finished job."""
        job = self.client.post(
            "/jobs",
            json={"type": "batch_predict", "dataset": name, "model": name, "alias": alias},
            headers=self.headers(),
        )
        assert job.status_code == 202, job.text
        return self.run_job(job.json()["id"])

    def stored(self) -> dict[str, Any]:
        """Every blob key and every document (id and data) the backend holds."""
        snapshot: dict[str, Any] = {"blobs": sorted(b.key for b in self.adapters.blobs.iter())}
        for collection in COLLECTIONS:
            documents = self.adapters.documents.iter_scan(collection.name)
            snapshot[collection.name] = {doc.id: doc.data for doc in documents}
        return snapshot


def make_api(rig: Rig, *, identities: Identities | None = None, **overrides: Any) -> Api:
    """An app over fresh resources on `rig`, with one key per scope; `overrides` are API or
    worker settings. With `identities`, the keys are made by the owner and the app acts as
    the reader (every write denied)."""
    backend = rig.settings(COLLECTIONS) if identities is None else identities.settings
    api_fields = {k: v for k, v in overrides.items() if k in ApiSettings.model_fields}
    worker_fields = {k: v for k, v in overrides.items() if k not in api_fields}
    settings = ApiSettings(
        **{"serving_check_seconds": 0.2, "api_key_cache_seconds": 0, **api_fields}
    )
    if identities is None:
        adapters = keys_by = build_adapters(COLLECTIONS, backend)
    else:
        keys_by = build_as(identities.owner, COLLECTIONS, backend)
        adapters = build_as(identities.reader, COLLECTIONS, backend)
    tokens = {
        scope: api_keys.create(keys_by.documents, f"{scope}-key", [scope])[1]
        for scope in api_keys.SCOPES
    }
    worker_settings = RuntimeSettings(**{**FAST, **worker_fields})
    # The app may load what the worker may train with (MLPOC_TRAINER, _PLUGINS).
    app = create_app(settings, adapters, trainers=worker_settings)
    return Api(TestClient(app), app, adapters, settings, worker_settings, tokens)


def train_through_api(api: Api, *, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Enqueue a retrain of `iris` through the API and run it; the finished job."""
    response = api.client.post(
        "/datasets/iris/retrain",
        json={"params": params or {"estimator": "linear"}},
        headers=api.headers(),
    )
    assert response.status_code == 202, response.text
    return api.run_job(response.json()["id"])
