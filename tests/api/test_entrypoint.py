"""`python -m runtime.api` as the image runs it: uvicorn on $PORT, JSON logs on stdout (an
access line per request, with the client's address and the API key's id), a clean exit on
SIGTERM."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx

from adapters import build_adapters
from runtime import api_keys
from runtime.schema import COLLECTIONS
from tests.rigs.base import Rig
from tests.support.live import api_process


def test_the_module_serves_health_and_logs_json(rig: Rig, tmp_path: Path) -> None:
    # The rig's endpoints are in this process's environment, which the process inherits.
    settings = rig.settings(COLLECTIONS)
    key, token = api_keys.create(
        build_adapters(COLLECTIONS, settings).documents, "reader", ["read"]
    )
    with (
        (tmp_path / "api.log").open("wb") as log,
        api_process(settings.to_env(), log=log) as (
            url,
            proc,
        ),
    ):
        response = httpx.get(url + "/healthz", headers={"X-Request-ID": "probe-1"})
        assert response.json() == {"status": "ok"}
        assert response.headers["X-Request-ID"] == "probe-1"
        assert httpx.get(url + "/readyz").json()["status"] == "ready"
        listed = httpx.get(
            url + "/datasets", headers={"X-API-Key": token, "X-Request-ID": "probe-2"}
        )
        assert listed.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    lines = [json.loads(line) for line in (tmp_path / "api.log").read_text().splitlines()]
    access = {line["request_id"]: line for line in lines if line["logger"] == "mlpoc.api.access"}
    assert access["probe-1"]["route"] == "/healthz"
    assert access["probe-1"]["key_id"] is None
    assert access["probe-2"]["route"] == "/datasets" and access["probe-2"]["status"] == 200
    assert access["probe-2"]["key_id"] == key.id
    assert access["probe-2"]["client"] == "127.0.0.1"
    assert token not in (tmp_path / "api.log").read_text()
    assert all("request_id" in line and "level" in line for line in lines)
