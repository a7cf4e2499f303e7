"""API fixtures: an app over fresh backend resources, its TestClient, one API key per
scope, an in-process worker to run the jobs the API enqueues, and a snapshot of everything
stored (to prove a refused request wrote nothing)."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from adapters import Adapters, build_adapters
from runtime import api_keys, jobs
from runtime.api import create_app
from runtime.api.settings import ApiSettings
from runtime.schema import COLLECTIONS
from runtime.worker import Worker
from tests.rigs.base import Rig
from tests.runtime.conftest import FAST, iris_csv, wait_for

IRIS_FIELDS = {"name": "iris", "target": "target", "id_column": "record_id"}
FEATURES = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)


@dataclass
class Api:
    client: TestClient
    app: FastAPI
    adapters: Adapters
    settings: ApiSettings
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
        return Worker(self.adapters, self.settings)

    def run_job(self, job_id: str, worker: Worker | None = None) -> dict[str, Any]:
        """Run queued jobs in-process until `job_id` is terminal; its document."""
        worker = worker or self.worker()

        def done() -> jobs.Job | None:
            job = jobs.get(self.adapters.documents, job_id)
            if job.state in jobs.TERMINAL:
                return job
            worker.run_once(wait_seconds=0.2)
            return None

        job = wait_for(done, timeout=60, interval=0, what=f"job {job_id}")
        assert job.state == "succeeded", job.data
        return {"id": job.id, **job.data}

    def stored(self) -> dict[str, Any]:
        """Every blob key and every document (id and data) the backend holds."""
        snapshot: dict[str, Any] = {"blobs": sorted(b.key for b in self.adapters.blobs.iter())}
        for collection in COLLECTIONS:
            docs, token = {}, None
            while True:
                page = self.adapters.documents.scan(collection.name, page_token=token)
                docs.update({doc.id: doc.data for doc in page.items})
                token = page.next_token
                if token is None:
                    break
            snapshot[collection.name] = docs
        return snapshot


def make_api(rig: Rig, **overrides: Any) -> Api:
    base = rig.settings(COLLECTIONS)
    settings = ApiSettings(
        **{
            **base.model_dump(),
            **FAST,
            "serving_check_seconds": 0.2,
            "api_key_cache_seconds": 0,
            **overrides,
        }
    )
    adapters = build_adapters(COLLECTIONS, settings)
    tokens = {
        scope: api_keys.create(adapters.documents, f"{scope}-key", [scope])[1]
        for scope in api_keys.SCOPES
    }
    app = create_app(settings, adapters)
    return Api(TestClient(app), app, adapters, settings, tokens)


@pytest.fixture
def api(local_rig: Rig) -> Iterator[Api]:
    made = make_api(local_rig)
    with made.client:
        yield made


@pytest.fixture
def rig_api(rig: Rig) -> Iterator[Api]:
    made = make_api(rig)
    with made.client:
        yield made


def train_through_api(api: Api, *, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Enqueue a retrain of `iris` through the API and run it; the finished job."""
    response = api.client.post(
        "/datasets/iris/retrain",
        json={"params": params or {"estimator": "linear"}},
        headers=api.headers(),
    )
    assert response.status_code == 202, response.text
    return api.run_job(response.json()["id"])


def row(index: int = 0) -> dict[str, Any]:
    """A feature row of iris (as the API takes it)."""
    return dict(_rows()[index])


@functools.cache
def _rows() -> list[dict[str, Any]]:
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(iris_csv())).drop(columns=["target", "record_id"])
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        for record in frame.to_dict("records")
    ]
