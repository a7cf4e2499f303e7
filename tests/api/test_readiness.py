"""/readyz needs no key, so a failing backend is reported by adapter name only: the
backend's own error text (bucket and table names, project and account ids) is logged, not
answered."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from adapters import build_adapters
from runtime.api import create_app
from runtime.api.settings import ApiSettings
from runtime.schema import COLLECTIONS
from tests.rigs.base import Rig


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
    app = create_app(ApiSettings(), build_adapters(COLLECTIONS, broken))
    with TestClient(app) as client, caplog.at_level(logging.WARNING, "mlpoc.api.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert error["message"] == f"not ready: {adapter} failed (see the API log)"
    assert missing not in response.text
    logged = [r.getMessage() for r in caplog.records if r.name == "mlpoc.api.health"]
    assert any(f"{adapter} failed" in line and missing in line for line in logged), logged
