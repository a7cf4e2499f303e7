"""Request ids in and out and on every log line; Prometheus metrics by route template,
model version and job state."""

from __future__ import annotations

import json
import logging

import pytest

from runtime.api.logs import json_handler
from tests.support.api import Api, train_through_api
from tests.support.data import row


def test_request_id_is_echoed_or_made(api: Api) -> None:
    given = api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = api.client.get("/healthz", headers={"X-Request-ID": "no spaces or\nnewlines"})
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Request-ID"] != api.client.get("/healthz").headers["X-Request-ID"]


def test_every_log_line_is_json_with_the_request_id(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = json_handler()
    logger = logging.getLogger("mlpoc")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # The start-up preload logs once, outside any request: let it finish before capturing
    # (it takes longer than the client's start on the emulators).
    assert api.app.state.mlpoc.preload.done.wait(timeout=120), "the preload never finished"
    try:
        capsys.readouterr()
        assert api.upload().status_code == 201
        response = api.client.put(
            "/datasets/iris/records/nope/label",
            json={"label": "1"},
            headers={**api.headers(), "X-Request-ID": "req-42"},
        )
        assert response.status_code == 404
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert lines, "no log lines were written"
    assert all(line["request_id"] not in (None, "-") for line in lines)
    access = [line for line in lines if line["logger"] == "mlpoc.api.access"]
    assert [(a["route"], a["status"]) for a in access] == [
        ("/datasets", 201),
        ("/datasets/{name}/records/{record_id}/label", 404),
    ]
    assert access[1]["request_id"] == "req-42"


def test_metrics(api: Api) -> None:
    assert api.upload().status_code == 201
    job = train_through_api(api)
    api.client.put(
        "/models/iris/aliases/production",
        json={"version": 1, "expected_version": None},
        headers=api.headers(),
    )
    batch = {"rows": [row(0), row(1), row(2)]}
    api.client.post("/models/iris/predict/batch", json=batch, headers=api.headers("predict"))
    api.client.get("/datasets/nope", headers=api.headers("read"))
    text = api.client.get("/metrics", headers=api.headers("read")).text
    assert 'mlpoc_predictions_total{model="iris",version="1"} 3.0' in text
    assert (
        'mlpoc_http_request_duration_seconds_count{method="GET",route="/datasets/{name}",'
        'status="404"} 1.0'
    ) in text
    assert 'mlpoc_jobs{state="succeeded"} 1.0' in text
    assert 'mlpoc_jobs_enqueued_total{type="train"} 1.0' in text
    assert job["state"] == "succeeded"
