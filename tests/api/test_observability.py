"""Request ids in and out and on every log line; Prometheus metrics by route template,
model version and job state."""

from __future__ import annotations

import io
import json
import logging
import threading
from typing import Any

import pytest

from runtime.api.logs import json_handler, reset_request_id, set_request_id
from runtime.api.serving import ModelServer
from runtime.registry import Registry
from tests.rigs.base import Rig
from tests.support.api import Api, make_api, train_through_api
from tests.support.data import row


def test_request_id_is_echoed_or_made(api: Api) -> None:
    given = api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = api.client.get("/healthz", headers={"X-Request-ID": "no spaces or\nnewlines"})
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Request-ID"] != api.client.get("/healthz").headers["X-Request-ID"]


def test_every_log_line_is_json_with_the_request_id(
    rig: Rig, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines logged outside any request carry an id too: the start-up preload is held until
    the requests are under way, then logs in their midst (on a busy machine it did so by
    chance, with no id)."""
    gate = threading.Event()
    models_with_alias = Registry.models_with_alias

    def held(self: Registry, *args: Any, **kwargs: Any) -> Any:
        gate.wait(timeout=120)
        return models_with_alias(self, *args, **kwargs)

    monkeypatch.setattr(Registry, "models_with_alias", held)
    api = make_api(rig)
    handler = json_handler()
    logger = logging.getLogger("mlpoc")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with api.client:
            capsys.readouterr()
            assert api.upload().status_code == 201
            gate.set()
            assert api.app.state.mlpoc.preload.done.wait(timeout=120), "the preload never ended"
            response = api.client.put(
                "/datasets/iris/records/nope/label",
                json={"label": "1"},
                headers={**api.headers(), "X-Request-ID": "req-42"},
            )
            assert response.status_code == 404
    finally:
        gate.set()
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert lines, "no log lines were written"
    assert all(line["request_id"] not in (None, "-") for line in lines), lines
    # An earlier test's app may still be preloading in the background (the gate holds every
    # Registry): its line is logged here too, under the same id. Each such line is the preload's.
    preloaded = [
        (line["message"], line["request_id"])
        for line in lines
        if line["logger"] == "mlpoc.api.preload"
    ]
    assert preloaded, "the preload logged nothing"
    assert set(preloaded) == {("preloaded 0 of 0 production models", "preload")}, preloaded
    access = [line for line in lines if line["logger"] == "mlpoc.api.access"]
    assert [(a["route"], a["status"]) for a in access] == [
        ("/datasets", 201),
        ("/datasets/{name}/records/{record_id}/label", 404),
    ]
    assert access[1]["request_id"] == "req-42"


def test_a_warm_up_logs_with_the_id_of_the_request_that_moved_the_alias() -> None:
    """The background load a move starts runs in the moving request's context."""

    class Unreachable:
        def resolve(self, model: str, ref: object) -> Any:
            raise RuntimeError("the backend is down")

    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger("mlpoc.api")
    logger.addHandler(handler)
    try:
        server = ModelServer(Unreachable(), check_seconds=5)  # type: ignore[arg-type]
        token = set_request_id("move-7")
        try:
            thread = server.warm("iris", "production")
        finally:
            reset_request_id(token)
        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    warned = [line for line in lines if line["message"].startswith("warming iris@production")]
    assert [line["request_id"] for line in warned] == ["move-7"], lines


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
