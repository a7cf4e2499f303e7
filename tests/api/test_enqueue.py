"""Enqueueing a training job: the trainer params are checked against the trainer's own
declaration (a 422 naming the parameter and what it accepts, nothing written), and the
request does no per-row work: the worker makes the labelled snapshot and records it on the
job, and every delivery of the job trains on the recorded one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import jobs
from runtime.registry import Registry
from tests.rigs.base import Rig
from tests.support.api import Api, make_api
from tests.support.data import iris_csv
from tests.support.waiting import wait_for

DOCUMENT_METHODS = (
    "get", "get_many", "put", "create", "update", "delete", "put_many", "delete_many",
    "query", "scan", "iter_query", "iter_scan", "modify",
)  # fmt: skip
BLOB_METHODS = ("put", "get", "open", "exists", "list", "delete", "iter")


@pytest.fixture
def api(rig: Rig) -> Iterator[Api]:
    made = make_api(rig)
    with made.client:
        yield made


def spy(monkeypatch: pytest.MonkeyPatch, store: object, methods: tuple[str, ...]) -> list[Any]:
    """(method, first argument) of every call made on `store` from now on (the real calls
    still happen): the collection of a document call, the key of a blob call."""
    calls: list[Any] = []

    def spying(name: str) -> Callable[..., Any]:
        real = getattr(store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, args[0] if args else None))
            return real(*args, **kwargs)

        return call

    for name in methods:
        monkeypatch.setattr(store, name, spying(name))
    return calls


def bigger_iris(copies: int) -> bytes:
    """Iris `copies` times over, each row with its own record id."""
    header, *rows = iris_csv().decode().splitlines()
    out = [header]
    for copy in range(copies):
        out.extend(f"c{copy}-{row}" for row in rows)  # the record id is the first column
    return ("\n".join(out) + "\n").encode()


def test_enqueueing_a_training_job_does_no_per_row_work(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request reads the dataset's description, never its records or its file, and
    makes the same calls for 150 rows as for 600: its time does not grow with the data."""
    assert api.upload().status_code == 201
    assert api.upload(bigger_iris(4), name="iris4").status_code == 201
    document_calls = spy(monkeypatch, api.adapters.documents, DOCUMENT_METHODS)
    blob_calls = spy(monkeypatch, api.adapters.blobs, BLOB_METHODS)

    made: dict[str, list[Any]] = {}
    queued: dict[str, dict[str, Any]] = {}
    for name, (path, body) in {
        "iris": ("/jobs", {"type": "train", "dataset": "iris"}),
        "iris4": ("/jobs", {"type": "train", "dataset": "iris4"}),
        "iris-retrain": ("/datasets/iris/retrain", {}),
        "iris4-retrain": ("/datasets/iris4/retrain", {}),
    }.items():
        document_calls.clear()
        response = api.client.post(path, json=body, headers=api.headers())
        assert response.status_code == 202, response.text
        queued[name] = response.json()
        made[name] = list(document_calls)
        touched = {collection for _, collection in document_calls}
        assert "records" not in touched and "annotations" not in touched, document_calls
    assert blob_calls == []
    assert made["iris"] == made["iris4"] and made["iris-retrain"] == made["iris4-retrain"]
    assert all(job["snapshot"] is None for job in queued.values())
    assert queued["iris4"]["params"]["snapshot_of"] == "iris4"

    monkeypatch.undo()
    done = api.run_job(queued["iris4"]["id"])
    snapshot = done["snapshot"]
    assert snapshot["key"].startswith("datasets/iris4/labelled/") and snapshot["name"] == "iris4"
    assert snapshot["target"] == "target" and snapshot["id_column"] == "record_id"
    stored = api.adapters.blobs.get(snapshot["key"]).decode().splitlines()
    assert len(stored) == 601 and stored[1].startswith("c0-r000,")
    version = Registry(api.adapters).versions_for_job(done["id"])[0]
    assert version.data["dataset"]["key"] == snapshot["key"]
    assert done["params"] == queued["iris4"]["params"]


def test_labels_given_after_the_first_delivery_do_not_change_what_the_job_trains_on(
    rig: Rig, tmp_path: Path
) -> None:
    """The first delivery records its snapshot on the job; a retry trains on that one, not
    on the labels as they are by then."""
    api = make_api(rig, trainer="tests.runtime.plugins:FlakyTrainer")
    with api.client:
        assert api.upload().status_code == 201
        fail_first = str(tmp_path / "fail-first")
        response = api.client.post(
            "/jobs",
            json={"type": "train", "dataset": "iris", "params": {"fail_first": fail_first}},
            headers=api.headers(),
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["id"]
        worker = api.worker()

        def retried() -> jobs.Job | None:
            worker.run_once(wait_seconds=0.2)
            job = jobs.get(api.adapters.documents, job_id)
            return job if job.data["attempts"] == 1 and job.state == "queued" else None

        first = wait_for(retried, timeout=60, interval=0, what="the first delivery to fail")
        assert "boom: a service this trainer needs was unavailable" in first.data["last_error"]
        recorded = first.data["snapshot"]
        relabelled = api.client.put(
            "/datasets/iris/records/r000/label", json={"label": "2"}, headers=api.headers()
        )
        assert relabelled.status_code == 200

        done = api.run_job(job_id, worker)
        assert done["attempts"] == 2 and done["snapshot"] == recorded
        version = Registry(api.adapters).versions_for_job(job_id)[0]
        assert version.data["dataset"]["key"] == recorded["key"]
        # The columns: record_id, four features, target, ... (r000 is labelled 0 in the file)
        trained_on = api.adapters.blobs.get(recorded["key"]).decode().splitlines()[1]
        assert trained_on.startswith("r000,") and trained_on.split(",")[5] == "0"

        # A new job snapshots the labels as they are now.
        again = api.client.post("/datasets/iris/retrain", json={}, headers=api.headers())
        later = api.run_job(again.json()["id"], worker)
        assert later["snapshot"]["key"] != recorded["key"]
        now_on = api.adapters.blobs.get(later["snapshot"]["key"]).decode().splitlines()[1]
        assert now_on.startswith("r000,") and now_on.split(",")[5] == "2"


REFUSED = {
    "max_iter": ("abc", "max_iter: Input should be a valid integer"),
    "validation_fraction": (1.5, "validation_fraction: Input should be less than or equal to 0.99"),
    "estimator": ("forest", "estimator: Input should be 'hist_gradient_boosting' or 'linear'"),
    "learning_rate": (0, "learning_rate: Input should be greater than or equal to 0.000001"),
    "nope": (1, "nope: unknown parameter; this trainer accepts categorical, estimator,"),
}


def test_trainer_params_are_checked_when_the_job_is_enqueued(api: Api) -> None:
    assert api.upload().status_code == 201
    before = api.stored()
    for name, (value, message) in REFUSED.items():
        for path, body in (
            ("/jobs", {"type": "train", "dataset": "iris", "params": {name: value}}),
            ("/datasets/iris/retrain", {"params": {name: value}}),
        ):
            response = api.client.post(path, json=body, headers=api.headers())
            assert response.status_code == 422, (path, name, response.text)
            error = response.json()["error"]
            assert error["code"] == "validation_error"
            assert error["message"].startswith("invalid trainer params: "), error
            assert message in error["message"], error
    assert api.stored() == before  # no job, no message, no counter moved

    # Accepted values are stored as the trainer reads them; defaults stay out of the job.
    given = {"max_iter": "20", "estimator": "linear"}
    response = api.client.post(
        "/jobs", json={"type": "train", "dataset": "iris", "params": given}, headers=api.headers()
    )
    assert response.status_code == 202, response.text
    assert response.json()["params"]["params"] == {"max_iter": 20, "estimator": "linear"}


# Values DynamoDB cannot hold (38 digits, magnitude 1e-130..1e126): once a 400 on AWS only
# and a 202 elsewhere; the declared bounds refuse them first, the same on every backend.
UNSTORABLE = [
    ("learning_rate", 9.3e184, "learning_rate: Input should be less than or equal to 10"),
    ("learning_rate", 3.98e-308, "learning_rate: Input should be greater than or equal to"),
    ("validation_fraction", 3.98e-308, "validation_fraction: Input should be greater than"),
    ("max_iter", 10**39, "max_iter: Input should be less than or equal to 10000"),
    ("categorical", ["\ud800"], "categorical.0: Input should be a valid string"),
    ("categorical", ["a\x00b"], "categorical.0: String should match pattern"),
]


def test_params_no_backend_can_store_are_a_422_everywhere(api: Api) -> None:
    assert api.upload().status_code == 201
    before = api.stored()
    for name, value, message in UNSTORABLE:
        for path, body in (
            ("/jobs", {"type": "train", "dataset": "iris", "params": {name: value}}),
            ("/datasets/iris/retrain", {"params": {name: value}}),
        ):
            # Sent as JSON text: a lone surrogate is valid JSON ("\ud800") but not UTF-8.
            response = api.client.post(
                path,
                content=json.dumps(body),
                headers={**api.headers(), "content-type": "application/json"},
            )
            assert response.status_code == 422, (path, name, value, response.text)
            assert message in response.json()["error"]["message"], response.text
    assert api.stored() == before


def test_a_plugins_unbounded_params_are_held_to_what_every_backend_stores(rig: Rig) -> None:
    """SlowTrainer declares `sleep_seconds: float` with no bounds: the base refuses what a
    job document cannot hold, whatever the plugin declares."""
    plugin = make_api(rig, trainer="tests.runtime.plugins:SlowTrainer")
    with plugin.client:
        assert plugin.upload().status_code == 201
        before = plugin.stored()
        for value, message in (
            (9.3e184, "magnitude 1e-130 to 1e126 (got 9.3e+184)"),
            (3.98e-308, "magnitude 1e-130 to 1e126 (got 3.98e-308)"),
        ):
            for path, body in (
                ("/jobs", {"type": "train", "dataset": "iris", "params": {"sleep_seconds": value}}),
                ("/datasets/iris/retrain", {"params": {"sleep_seconds": value}}),
            ):
                response = plugin.client.post(path, json=body, headers=plugin.headers())
                assert response.status_code == 422, (path, value, response.text)
                error = response.json()["error"]["message"]
                assert "sleep_seconds: cannot be stored on every backend: " in error, error
                assert message in error, error
        assert plugin.stored() == before


def test_the_configured_trainers_declaration_decides(rig: Rig) -> None:
    """A plugin's own parameters are accepted when it is the trainer the workers use, and
    refused when it is not."""
    body = {"type": "train", "dataset": "iris", "params": {"sleep_seconds": 0}}
    plugin = make_api(rig, trainer="tests.runtime.plugins:SlowTrainer")
    with plugin.client:
        assert plugin.upload().status_code == 201
        accepted = plugin.client.post("/jobs", json=body, headers=plugin.headers())
        assert accepted.status_code == 202, accepted.text
        assert plugin.run_job(accepted.json()["id"])["result"]["version"] == 1
    default = make_api(rig)
    with default.client:
        assert default.upload().status_code == 201
        refused = default.client.post("/jobs", json=body, headers=default.headers())
        assert refused.status_code == 422
        assert "sleep_seconds: unknown parameter" in refused.json()["error"]["message"]
