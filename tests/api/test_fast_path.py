"""The compiled path through the API: chosen at training and recorded on the version,
served without scikit-learn, refused when its artifact is tampered with or crafted (the
version then falls back to scikit-learn, saying why), skipped for a model it does not
cover, and loaded before `/readyz` says ready."""

from __future__ import annotations

import threading
from typing import Any

from adapters.ports import Adapters
from runtime import artifacts, inference
from runtime.api import create_app
from runtime.registry import Registry, version_id
from runtime.schema import MODEL_VERSIONS
from runtime.worker import Worker
from tests.inference.test_artifact import rewrite, set_node
from tests.rigs.base import Rig
from tests.runtime.plugins import NaiveBayesTrainer
from tests.support.api import Api, make_api
from tests.support.data import row
from tests.support.waiting import wait_for

TREES = {"estimator": "hist_gradient_boosting", "max_iter": 20}


def promoted(api: Api, params: dict[str, Any] | None = None, worker: Worker | None = None) -> Any:
    response = api.client.post(
        "/datasets/iris/retrain", json={"params": params or TREES}, headers=api.headers()
    )
    assert response.status_code == 202, response.text
    job = api.run_job(response.json()["id"], worker)
    version = job["result"]["version"]
    Registry(api.adapters).move_alias("iris", "production", version, expected=None)
    return Registry(api.adapters).get_version("iris", version)


def predict(api: Api) -> dict[str, Any]:
    response = api.client.post(
        "/models/iris/predict", json={"row": row(5)}, headers=api.headers("predict")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def served(api: Api) -> Any:
    return api.app.state.mlpoc.server.get("iris", "production")


def test_a_tree_model_is_compiled_verified_and_served_compiled(api: Api) -> None:
    assert api.upload().status_code == 201
    version = promoted(api)
    serving = version.serving
    assert serving["path"] == "compiled", serving
    assert serving["compiled"]["format"] == inference.FORMAT
    agreement = serving["agreement"]
    assert agreement["classes_identical"] and agreement["max_difference"] < 1e-6
    assert agreement["rows"] > 0 and agreement["holdout_rows"] > 0
    answer = predict(api)
    scorer = served(api)
    assert scorer.path == "compiled" and scorer.model is None
    # The same answer scikit-learn gives for that row.
    trainer, model = Registry(api.adapters).load(version)
    import pandas as pd

    reference = trainer.predict(model, pd.DataFrame.from_records([row(5)]))
    assert answer["value"] == reference.values[0]
    assert reference.probabilities is not None
    for label, p in reference.probabilities[0].items():
        assert abs(answer["probabilities"][label] - p) < 1e-6


def test_a_tampered_compiled_artifact_falls_back_to_scikit_learn(api: Api) -> None:
    assert api.upload().status_code == 201
    version = promoted(api)
    key = version.serving["compiled"]["key"]
    data = api.adapters.blobs.get(key)
    api.adapters.blobs.put(key, data[:-1] + bytes([data[-1] ^ 0x01]))
    assert predict(api)["version"] == version.version
    scorer = served(api)
    assert scorer.path == "sklearn"
    assert "fails its checksum" in (scorer.fallback or "")


def test_a_crafted_compiled_artifact_is_refused_not_run(api: Api) -> None:
    # Bytes whose registered checksum matches (someone who can write the registry too) but
    # whose first split points far outside its tree: refused by the loader, not walked.
    assert api.upload().status_code == 201
    version = promoted(api)
    data = api.adapters.blobs.get(version.serving["compiled"]["key"])
    crafted = artifacts.store(api.adapters.blobs, rewrite(data, arrays=set_node("left", 10**6)))
    doc = {**version.data}
    pointer = {"key": crafted.key, "sha256": crafted.sha256, "size": crafted.size}
    doc["serving"] = {**doc["serving"], "compiled": {**doc["serving"]["compiled"], **pointer}}
    api.adapters.documents.put(MODEL_VERSIONS.name, version_id("iris", version.version), doc)
    assert predict(api)["version"] == version.version
    scorer = served(api)
    assert scorer.path == "sklearn"
    assert "child index" in (scorer.fallback or "")


def test_a_model_the_path_does_not_cover_is_served_by_scikit_learn(rig: Rig) -> None:
    # A plugin's versions are loaded only where the plugin is allowed (MLPOC_TRAINER_PLUGINS).
    api = make_api(rig, trainer_plugins="tests.runtime.plugins:NaiveBayesTrainer")
    with api.client:
        assert api.upload().status_code == 201
        worker = Worker(api.adapters, api.worker_settings, trainer=NaiveBayesTrainer())
        version = promoted(api, {"max_iter": 5}, worker)
        assert version.serving["path"] == "sklearn"
        assert "GaussianNB" in version.serving["reason"]
        assert predict(api)["version"] == version.version
        assert served(api).path == "sklearn" and served(api).fallback is None


class GatedBlobs:
    """The rig's BlobStore, with artifact reads held until `gate` opens; counts them."""

    def __init__(self, inner: Any, gate: threading.Event) -> None:
        self.inner, self.gate, self.artifact_reads = inner, gate, 0

    def get(self, key: str) -> bytes:
        if key.startswith(artifacts.ARTIFACT_PREFIX):
            self.artifact_reads += 1
            self.gate.wait(timeout=60)
        data: bytes = self.inner.get(key)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_readyz_waits_for_the_production_models_then_the_first_call_loads_nothing(
    rig: Rig,
) -> None:
    made = make_api(rig)
    with made.client:
        assert made.upload().status_code == 201
        promoted(made)
    gate = threading.Event()
    blobs = GatedBlobs(made.adapters.blobs, gate)
    adapters = Adapters(made.adapters.backend, blobs, made.adapters.queue, made.adapters.documents)  # type: ignore[arg-type]
    from fastapi.testclient import TestClient

    with TestClient(create_app(made.settings, adapters)) as client:
        waiting = client.get("/readyz")
        assert waiting.status_code == 503
        assert "loading the production models" in waiting.json()["error"]["message"]
        gate.set()
        wait_for(lambda: client.get("/readyz").status_code == 200, timeout=30, what="ready")
        reads = blobs.artifact_reads
        response = client.post(
            "/models/iris/predict", json={"row": row()}, headers=made.headers("predict")
        )
        assert response.status_code == 200, response.text
        assert blobs.artifact_reads == reads  # the model was already loaded


def test_readiness_waits_for_the_preload_only_so_long(rig: Rig) -> None:
    made = make_api(rig, preload_seconds=0.5)
    with made.client:
        assert made.upload().status_code == 201
        promoted(made)
    gate = threading.Event()  # never opened while readiness is checked
    blobs = GatedBlobs(made.adapters.blobs, gate)
    adapters = Adapters(made.adapters.backend, blobs, made.adapters.queue, made.adapters.documents)  # type: ignore[arg-type]
    from fastapi.testclient import TestClient

    try:
        with TestClient(create_app(made.settings, adapters)) as client:
            wait_for(lambda: client.get("/readyz").status_code == 200, timeout=30, what="ready")
    finally:
        gate.set()
