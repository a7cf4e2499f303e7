"""/readyz needs no key, so a failing backend is reported by adapter name only: the
backend's own error text (bucket and table names, project and account ids) is logged, not
answered."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from adapters import build_adapters
from runtime.api import create_app
from runtime.api.preload import Preload, warm_routes
from runtime.api.settings import ApiSettings
from runtime.schema import COLLECTIONS
from tests.rigs.base import Rig
from tests.support.api import make_api


# Local has no remote resource to lose; Firestore has no missing collection (reads find none).
@pytest.mark.parametrize(
    ("backend", "setting", "adapter"),
    [("aws", "bucket", "blobs"), ("gcp", "bucket", "blobs"), ("aws", "table_prefix", "documents")],
)
def test_a_failing_backend_is_named_not_described(
    backend: str,
    setting: str,
    adapter: str,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rig: Rig = request.getfixturevalue(f"{backend}_rig")
    base = rig.settings(COLLECTIONS)
    missing = Rig.unique("missing-")
    broken = base.model_copy(update={setting: missing})
    # No preload: its progress would join the message, and this test is about the backend.
    app = create_app(ApiSettings(preload_seconds=0), build_adapters(COLLECTIONS, broken))
    with TestClient(app) as client, caplog.at_level(logging.WARNING, "mlpoc.api.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert error["message"] == f"not ready: {adapter} failed (see the API log)"
    assert missing not in response.text
    logged = [r.getMessage() for r in caplog.records if r.name == "mlpoc.api.health"]
    assert any(f"{adapter} failed" in line and missing in line for line in logged), logged


class _Server:
    """What Preload uses of the model server: the registry's list and a load per model."""

    def __init__(self, models: list[str]) -> None:
        self.registry = self
        self.models = models
        self.loads: list[str] = []

    def models_with_alias(self, alias: str, limit: int) -> list[str]:
        return self.models

    def get(self, model: str, ref: str) -> None:
        self.loads.append(model)


@pytest.mark.parametrize(("models", "warmed"), [(["wine"], True), ([], False)])
def test_the_preload_warms_the_request_path_before_ready(models: list[str], warmed: bool) -> None:
    server = _Server(models)
    seen: list[list[str]] = []
    preload = Preload(server, seconds=60, warm=lambda: seen.append(list(server.loads)))  # type: ignore[arg-type]
    thread = preload.start()
    assert thread is not None
    thread.join(timeout=30)
    assert preload.ready() is None
    # Warmed after the models loaded, and only when there is a model to predict with.
    assert seen == ([models] if warmed else [])


def test_warming_the_routes_answers_nothing_and_keeps_the_app_serving(local_rig: Rig) -> None:
    made = make_api(local_rig)
    warm_routes(made.app.router)  # a request that matches no route, straight to the router
    assert made.client.get("/healthz").status_code == 200
