"""Train through the queue, infer ahead, and refuse tampered artifacts: on every backend."""

from __future__ import annotations

import pytest

from adapters import NotFound
from runtime import artifacts, jobs
from runtime.batch_predict import get_prediction
from runtime.datasets.ref import read_dataset
from runtime.registry import Registry
from runtime.schema import PREDICTIONS
from runtime.worker import Worker
from tests.support.data import IRIS, train_params
from tests.support.env import Env
from tests.support.waiting import wait_for


def run_until(
    env: Env, worker: Worker, job_id: str, state: str, *, errored: bool = False
) -> jobs.Job:
    """Drive an in-process worker until the job is in `state` (and has an error recorded,
    if `errored`)."""

    def check() -> jobs.Job | None:
        worker.run_once(wait_seconds=0.2)
        job = jobs.get(env.adapters.documents, job_id)
        ok = job.state == state and (not errored or job.data["last_error"])
        return job if ok else None

    return wait_for(check, timeout=120, interval=0, what=f"job {job_id} to be {state}")


def test_train_then_batch_predict(env: Env) -> None:
    worker = env.worker(batch_predict_after_train=True, auto_promote_metric="accuracy")
    job = jobs.enqueue(env.adapters, "train", train_params())
    assert jobs.get(env.adapters.documents, job.id).state == "queued"

    done = run_until(env, worker, job.id, "succeeded")
    assert done.data["attempts"] == 1
    assert done.data["worker_id"] == worker.worker_id
    assert done.result is not None and done.result["version"] == 1
    assert done.result["promoted"] is True

    registry = Registry(env.adapters)
    version = registry.get_version("iris", 1)
    assert version.data["job_id"] == job.id
    assert version.metrics["accuracy"] >= 0.85 and version.metrics["f1_macro"] >= 0.85
    assert version.data["dataset"]["sha256"] == read_dataset(env.adapters.blobs, IRIS)[1]
    features = {f["name"]: f["kind"] for f in version.data["input_schema"]["features"]}
    assert features["colour"] == features["petal_size"] == "categorical"
    assert "record_id" not in features and "target" not in features
    stored = env.adapters.blobs.get(version.artifact.key)
    assert artifacts.sha256_hex(stored) == version.artifact.sha256
    trainer, model = registry.load(version)
    assert registry.get_alias("iris", "production").version == 1

    # The follow-up batch_predict job was enqueued by the train job; run it.
    child_id = done.result["batch_predict_job"]
    child = run_until(env, worker, child_id, "succeeded")
    assert child.result is not None and child.result["predictions"] == 150

    frame, _ = read_dataset(env.adapters.blobs, IRIS)
    expected = trainer.predict(model, frame)
    stored = env.adapters.documents.iter_query(PREDICTIONS.name, "dataset", "iris")
    ids = {doc.data["record_id"] for doc in stored}
    assert ids == set(frame["record_id"])
    for row in (0, 77, 149):
        prediction = get_prediction(env.adapters, "iris", frame["record_id"][row])
        assert prediction["value"] == expected.values[row]
        assert prediction["version"] == 1 and prediction["model"] == "iris"
        assert expected.probabilities is not None
        assert prediction["probabilities"] == pytest.approx(expected.probabilities[row])
    with pytest.raises(NotFound):
        get_prediction(env.adapters, "iris", "r999")


def test_batch_predict_job_by_alias(env: Env) -> None:
    worker = env.worker()
    train = jobs.enqueue(env.adapters, "train", train_params(estimator="linear"))
    run_until(env, worker, train.id, "succeeded")
    Registry(env.adapters).move_alias("iris", "production", 1, expected=None)
    dataset = {**IRIS.to_json(), "name": "iris-ahead"}
    job = jobs.enqueue(
        env.adapters,
        "batch_predict",
        {"model": "iris", "alias": "production", "dataset": dataset},
    )
    done = run_until(env, worker, job.id, "succeeded")
    assert done.result is not None and done.result["predictions"] == 150
    assert get_prediction(env.adapters, "iris-ahead", "r042")["version"] == 1


def test_tampered_artifact_is_refused(env: Env) -> None:
    worker = env.worker()
    train = jobs.enqueue(env.adapters, "train", train_params(estimator="linear"))
    run_until(env, worker, train.id, "succeeded")
    registry = Registry(env.adapters)
    version = registry.get_version("iris", 1)
    original = env.adapters.blobs.get(version.artifact.key)
    registry.load(version)  # loads before tampering

    # Someone with write access to the bucket swaps the bytes under the registered key.
    tampered = original[:-1] + bytes([original[-1] ^ 0xFF])
    env.adapters.blobs.put(version.artifact.key, tampered)
    with pytest.raises(artifacts.ArtifactRejected, match="fails its checksum"):
        registry.load(version)

    # Through the queue (with the compiled artifact tampered too: nothing left to fall back
    # on), the refusal is the job's readable error, at once: a retry would meet the same bytes.
    compiled = version.serving["compiled"]["key"]
    data = env.adapters.blobs.get(compiled)
    env.adapters.blobs.put(compiled, data[:-1] + bytes([data[-1] ^ 0xFF]))
    job = jobs.enqueue(
        env.adapters, "batch_predict", {"model": "iris", "version": 1, "dataset": IRIS.to_json()}
    )
    failed = run_until(env, worker, job.id, "failed")
    assert "fails its checksum" in failed.data["last_error"]
    assert failed.data["attempts"] == 1
    page = env.adapters.documents.query(PREDICTIONS.name, "dataset", "iris", limit=1)
    assert page.items == []
