"""The whole loop through the API, on every backend (local, moto server, Google's
emulators): upload, label, train (an in-process worker), promote, predict, infer ahead,
look up."""

from __future__ import annotations

from tests.support.api import Api, train_through_api
from tests.support.data import row


def test_upload_label_train_promote_predict_lookup(api: Api) -> None:
    admin, read, predict = api.headers(), api.headers("read"), api.headers("predict")
    uploaded = api.upload()
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["rows"] == 150

    # Relabel a few records (an annotator fixing labels), then train on the labels.
    labels = [{"record_id": f"r{i:03d}", "label": "0"} for i in range(0, 5)]
    labelled = api.client.post("/datasets/iris/labels", json={"labels": labels}, headers=admin)
    assert labelled.status_code == 200, labelled.text
    assert api.client.get("/datasets/iris", headers=read).json()["label_counts"]["0"] == 50
    job = train_through_api(api)
    assert job["result"]["version"] == 1 and job["result"]["metrics"]["accuracy"] > 0.8

    promoted = api.client.put(
        "/models/iris/aliases/production",
        json={"version": 1, "expected_version": None},
        headers=admin,
    )
    assert promoted.status_code == 200, promoted.text
    single = api.client.post("/models/iris/predict", json={"row": row(100)}, headers=predict)
    assert single.status_code == 200, single.text
    assert single.json()["value"] == "2" and single.json()["version"] == 1
    batch = api.client.post(
        "/models/iris/predict/batch", json={"rows": [row(i) for i in range(0, 150, 50)]},
        headers=predict,
    )  # fmt: skip
    assert [p["value"] for p in batch.json()["predictions"]] == ["0", "1", "2"]

    queued = api.client.post(
        "/jobs",
        json={"type": "batch_predict", "dataset": "iris", "model": "iris", "alias": "production"},
        headers=admin,
    )
    assert queued.status_code == 202, queued.text
    done = api.run_job(queued.json()["id"])
    assert done["result"]["predictions"] == 150
    stored = api.client.get("/datasets/iris/predictions/r100", headers=predict).json()
    assert stored["value"] == single.json()["value"] and stored["version"] == 1
    looked = api.client.post(
        "/datasets/iris/predictions/lookup",
        json={"record_ids": ["r000", "r050", "r999"]},
        headers=read,
    ).json()
    assert [p["value"] for p in looked["found"]] == ["0", "1"] and looked["missing"] == ["r999"]
    assert api.client.get("/readyz").json()["status"] == "ready"


def test_unlabelled_records_are_listed_by_the_sparse_index(api: Api) -> None:
    data = b"id,x,label\n" + b"".join(f"u{i},{i},\n".encode() for i in range(6))
    assert api.upload(data, name="pool", target="label", id_column="id").status_code == 201
    path = "/datasets/pool/records?unlabelled=true"
    waiting = api.client.get(path, headers=api.headers("read")).json()["items"]
    assert [r["record_id"] for r in waiting] == [f"u{i}" for i in range(6)]
    labelled = api.client.put(
        "/datasets/pool/records/u2/label",
        json={"label": "yes", "new_class": True},
        headers=api.headers(),
    )
    assert labelled.status_code == 200, labelled.text
    waiting = api.client.get(path, headers=api.headers("read")).json()["items"]
    assert [r["record_id"] for r in waiting] == ["u0", "u1", "u3", "u4", "u5"]
