"""Every route in process, on every backend: the annotation-to-serving loop."""

from __future__ import annotations

from typing import Any

from runtime import jobs
from tests.rigs.base import Rig
from tests.support.api import Api, make_api, train_through_api
from tests.support.data import row


def test_health_needs_no_key_and_readiness_checks_the_adapters(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"blobs": "ok", "documents": "ok", "queue": "ok", "models": "ok"},
    }


def test_upload_describe_and_list(api: Api) -> None:
    response = api.upload()
    assert response.status_code == 201, response.text
    described = response.json()
    assert described["rows"] == 150 and described["status"] == "ready"
    assert described["label_counts"] == {"0": 50, "1": 50, "2": 50}
    kinds = {c["name"]: c["kind"] for c in described["columns"]}
    assert kinds["petal length (cm)"] == "numeric" and kinds["colour"] == "categorical"
    assert {c["name"]: c["missing"] for c in described["columns"]}["colour"] == 1
    assert api.adapters.blobs.exists(described["key"])

    again = api.client.get("/datasets/iris", headers=api.headers("read"))
    assert again.json() == described
    listed = api.client.get("/datasets", headers=api.headers("read")).json()
    assert [d["name"] for d in listed["items"]] == ["iris"]
    duplicate = api.upload()
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["message"] == "dataset 'iris' already exists"


def test_records_labels_annotations(api: Api) -> None:
    data = b"id,x,y,label\n" + b"".join(f"a{i},{i},{i % 3},\n".encode() for i in range(12))
    assert api.upload(data, name="fresh", target="label", id_column="id").status_code == 201
    read = api.headers("read")
    page = api.client.get("/datasets/fresh/records?unlabelled=true&limit=5", headers=read).json()
    assert [r["record_id"] for r in page["items"]] == ["a0", "a1", "a10", "a11", "a2"]
    assert page["items"][0]["values"] == {"x": "0", "y": "0"} and page["next_token"]

    # Nothing labelled at upload: an empty label set, each first use of a class says so.
    one = api.client.put(
        "/datasets/fresh/records/a1/label",
        json={"label": "cat", "new_class": True},
        headers=api.headers(),
    )
    assert one.status_code == 200, one.text
    assert one.json()["label"] == "cat" and one.json()["labelled_by"] == "admin-key"
    bulk = api.client.post(
        "/datasets/fresh/labels",
        json={
            "labels": [{"record_id": f"a{i}", "label": "dog"} for i in (0, 1, 2)],
            "new_class": True,
        },
        headers=api.headers(),
    )
    assert bulk.status_code == 200, bulk.text
    assert [r["label"] for r in bulk.json()["records"]] == ["dog"] * 3

    left = api.client.get("/datasets/fresh/records?unlabelled=true", headers=read).json()
    assert len(left["items"]) == 9 and "a1" not in {r["record_id"] for r in left["items"]}
    described = api.client.get("/datasets/fresh", headers=read).json()
    assert described["label_counts"] == {"dog": 3} and described["labelled"] == 3
    assert described["task"] == "classification" and described["classes"] == ["cat", "dog"]
    log = api.client.get("/datasets/fresh/annotations", headers=read).json()["items"]
    assert len(log) == 4
    relabel = next(a for a in log if a["record_id"] == "a1" and a["label"] == "dog")
    assert relabel["previous"] == "cat" and relabel["by"] == "admin-key"

    # An unknown record refuses the whole bulk request.
    before = api.stored()
    refused = api.client.post(
        "/datasets/fresh/labels",
        json={"labels": [{"record_id": "a3", "label": "cat"}, {"record_id": "zz", "label": "dog"}]},
        headers=api.headers(),
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["message"] == "dataset 'fresh' has no record 'zz'"
    assert api.stored() == before


def test_train_promote_predict_rollback_and_lookup(api: Api) -> None:
    assert api.upload().status_code == 201
    first = train_through_api(api)
    assert first["result"]["version"] == 1
    second = train_through_api(api, params={"estimator": "hist_gradient_boosting"})
    assert second["result"]["version"] == 2
    read, admin, predict = api.headers("read"), api.headers(), api.headers("predict")

    versions = api.client.get("/models/iris/versions", headers=read).json()["items"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["metrics"]["accuracy"] > 0.8
    assert api.client.get("/models/iris/versions/2", headers=read).json()["job_id"] == second["id"]

    no_model = api.client.post("/models/iris/predict", json={"row": row()}, headers=predict)
    assert no_model.status_code == 404
    assert no_model.json()["error"]["message"] == "model 'iris' has no alias 'production'"

    created = api.client.put(
        "/models/iris/aliases/production", json={"version": 1, "expected_version": None},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 200 and created.json()["version"] == 1
    stale = api.client.put(
        "/models/iris/aliases/production", json={"version": 2, "expected_version": 2},
        headers=admin,
    )  # fmt: skip
    assert stale.status_code == 409
    assert "points at version 1, not 2" in stale.json()["error"]["message"]
    moved = api.client.put(
        "/models/iris/aliases/production", json={"version": 2, "expected_version": 1},
        headers=admin,
    )  # fmt: skip
    assert moved.json() == {"model": "iris", "alias": "production", "version": 2, "previous": 1}
    api.client.put(
        "/models/iris/aliases/staging", json={"version": 1, "expected_version": None},
        headers=admin,
    )  # fmt: skip
    listed = api.client.get("/models/iris/aliases", headers=read).json()["items"]
    assert [(a["alias"], a["version"]) for a in listed] == [("production", 2), ("staging", 1)]
    assert api.client.get("/models/other/aliases", headers=read).json()["items"] == []

    def single() -> dict[str, Any]:
        answer = api.client.post("/models/iris/predict", json={"row": row(0)}, headers=predict)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    # The move warmed version 2; the caller who moved it is answered by it at once (the
    # call waits for the load rather than answer with version 1).
    answered = single()
    assert answered["version"] == 2
    assert answered["value"] == "0"  # the class as the file spells it
    assert set(answered["probabilities"]) == {"0", "1", "2"}
    rows = [row(i) for i in (0, 60, 120)]
    batch = api.client.post(
        "/models/iris/predict/batch?version=1", json={"rows": rows}, headers=predict
    )
    assert batch.status_code == 200, batch.text
    assert batch.json()["version"] == 1
    assert [p["value"] for p in batch.json()["predictions"]] == ["0", "1", "2"]
    # An alias named "2" is that alias, not version 2, even with version 2 loaded already.
    named = api.client.put(
        "/models/iris/aliases/2", json={"version": 1, "expected_version": None}, headers=admin
    )
    assert named.status_code == 200, named.text
    by_alias = api.client.post("/models/iris/predict?alias=2", json={"row": row()}, headers=predict)
    assert by_alias.status_code == 200 and by_alias.json()["version"] == 1
    by_version = api.client.post(
        "/models/iris/predict?version=2", json={"row": row()}, headers=predict
    )
    assert by_version.status_code == 200 and by_version.json()["version"] == 2

    back = api.client.post(
        "/models/iris/aliases/production/rollback", json={"expected_version": 2}, headers=admin
    )
    assert back.json()["version"] == 1
    history = api.client.get("/models/iris/aliases/production/history", headers=read).json()
    assert [(m["from_version"], m["to_version"]) for m in history["items"]] == [
        (None, 1), (1, 2), (2, 1)
    ]  # fmt: skip

    job = api.client.post(
        "/jobs",
        json={"type": "batch_predict", "dataset": "iris", "model": "iris", "alias": "production"},
        headers=admin,
    )
    assert job.status_code == 202, job.text
    api.run_job(job.json()["id"])
    one = api.client.get("/datasets/iris/predictions/r042", headers=predict)
    assert one.status_code == 200 and one.json()["version"] == 1
    looked = api.client.post(
        "/datasets/iris/predictions/lookup",
        json={"record_ids": ["r000", "r149", "nope"]},
        headers=read,
    ).json()
    assert [p["record_id"] for p in looked["found"]] == ["r000", "r149"]
    assert looked["missing"] == ["nope"]
    page = api.client.get("/datasets/iris/predictions?limit=10", headers=read).json()
    assert len(page["items"]) == 10 and page["next_token"]

    succeeded = api.client.get("/jobs?state=succeeded&type=train", headers=read).json()
    assert {j["id"] for j in succeeded["items"]} == {first["id"], second["id"]}
    assert api.client.get(f"/jobs/{first['id']}", headers=read).json()["attempts"] == 1
    assert api.client.get("/jobs/missing", headers=read).status_code == 404


def test_retrain_after_n_labels(rig: Rig) -> None:
    made = make_api(rig, retrain_after_labels=3)
    with made.client:
        assert made.upload().status_code == 201
        first = made.client.post(
            "/datasets/iris/labels",
            json={"labels": [{"record_id": f"r00{i}", "label": "1"} for i in (0, 1)]},
            headers=made.headers(),
        )
        assert first.json()["retrain_job"] is None
        second = made.client.put(
            "/datasets/iris/records/r002/label", json={"label": "1"}, headers=made.headers()
        )
        assert second.status_code == 200
        # The retrain is a train job on the dataset; its worker snapshots the new labels.
        page = made.adapters.documents.query("jobs", "state", "queued")
        assert len(page.items) == 1
        assert jobs.get(made.adapters.documents, page.items[0].id).params["snapshot_of"] == "iris"
        done = made.run_job(page.items[0].id)
        snapshot = made.adapters.blobs.get(done["snapshot"]["key"]).decode()
        assert snapshot.splitlines()[1].split(",")[5] == "1"  # r000 relabelled 0 -> 1
        described = made.client.get("/datasets/iris", headers=made.headers()).json()
        assert described["labels_since_train"] == 0


def test_label_from_scratch_then_train(api: Api) -> None:
    """A file without the target column: every record waits for a label; once labelled, the
    training snapshot carries the labels in a new target column."""
    lines = ["id,x,colour"] + [f"p{i},{i},{'red' if i < 10 else 'blue'}" for i in range(20)]
    data = ("\n".join(lines) + "\n").encode()
    uploaded = api.upload(data, name="scratch", target="kind", id_column="id", unlabelled="true")
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["labelled"] == 0 and uploaded.json()["label_counts"] == {}
    read = api.headers("read")
    waiting = api.client.get("/datasets/scratch/records?unlabelled=true", headers=read).json()
    assert len(waiting["items"]) == 20
    labels = [{"record_id": f"p{i}", "label": "low" if i < 10 else "high"} for i in range(20)]
    response = api.client.post("/datasets/scratch/labels",
                               json={"labels": labels, "new_class": True},
                               headers=api.headers())  # fmt: skip
    assert response.status_code == 200, response.text
    assert api.client.get("/datasets/scratch/records?unlabelled=true", headers=read).json() == {
        "items": [],
        "next_token": None,
    }
    job = api.client.post("/datasets/scratch/retrain", json={"params": {"estimator": "linear"}},
                          headers=api.headers())  # fmt: skip
    done = api.run_job(job.json()["id"])
    assert done["result"]["model"] == "scratch" and done["result"]["metrics"]["accuracy"] == 1.0
