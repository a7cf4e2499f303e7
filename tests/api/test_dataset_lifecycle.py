"""A dataset's life after upload, on every backend: preview and column statistics, rows
appended (and the training that follows records the new file), and deletion of exactly
what is the dataset's."""

from __future__ import annotations

import csv
import io
from typing import Any

import pandas as pd
import pytest

from runtime.clock import now
from runtime.schema import DATASETS
from tests.support.api import Api, train_through_api
from tests.support.data import iris_csv, row


def _append(api: Api, name: str, data: bytes, scope: str = "admin", **fields: str) -> Any:
    return api.client.post(
        f"/datasets/{name}/rows",
        files={"file": ("more.csv", data, "text/csv")},
        data=fields,
        headers=api.headers(scope),
    )


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _snapshot_rows(api: Api, version: dict[str, Any]) -> list[dict[str, str]]:
    text = api.adapters.blobs.get(version["dataset"]["key"]).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_preview_and_column_statistics(api: Api) -> None:
    read = api.headers("read")
    assert api.upload().status_code == 201
    relabel = api.client.put(
        "/datasets/iris/records/r001/label", json={"label": "2"}, headers=api.headers()
    )
    assert relabel.status_code == 200, relabel.text

    preview = api.client.get("/datasets/iris/preview?rows=3", headers=read)
    assert preview.status_code == 200, preview.text
    items = preview.json()["items"]
    assert [r["record_id"] for r in items] == ["r000", "r001", "r002"]  # file order
    assert [r["label"] for r in items] == ["0", "2", "0"]  # the current labels
    assert items[0]["values"]["sepal length (cm)"] == "5.1"
    assert api.client.get("/datasets/iris/preview?rows=0", headers=read).status_code == 422
    assert api.client.get("/datasets/nope/preview", headers=read).status_code == 404

    response = api.client.get("/datasets/iris/stats", headers=read)
    assert response.status_code == 200, response.text
    stats = response.json()
    frame = pd.read_csv(io.BytesIO(iris_csv()))
    by_name = {c["name"]: c for c in stats["columns"]}
    assert set(by_name) == set(frame.columns) - {"record_id", "target"}
    assert stats["rows"] == 150
    length = by_name["sepal length (cm)"]
    assert length["kind"] == "numeric" and length["missing"] == 0 and length["count"] == 150
    assert length["min"] == frame["sepal length (cm)"].min()
    assert length["max"] == frame["sepal length (cm)"].max()
    assert length["mean"] == pytest.approx(frame["sepal length (cm)"].mean())
    colour = by_name["colour"]
    assert (colour["kind"], colour["missing"], colour["distinct"]) == ("categorical", 1, 3)
    expected = frame["colour"].value_counts()
    assert {t["value"]: t["count"] for t in colour["top"]} == expected.to_dict()
    assert stats["target"]["label_counts"] == {"0": 49, "1": 50, "2": 51}
    # Kept beside the file: the second request reads what the first computed.
    kept = [b.key for b in api.adapters.blobs.iter("datasets/iris/stats/")]
    assert len(kept) == 1 and stats["sha256"] in kept[0]
    assert api.client.get("/datasets/iris/stats", headers=read).json() == stats


def test_append_then_train_records_the_new_file(api: Api) -> None:
    frame = pd.read_csv(io.BytesIO(iris_csv()), dtype={"record_id": str})
    first, later = frame[frame.index % 3 != 0], frame[frame.index % 3 == 0]
    assert api.upload(_csv(first)).status_code == 201
    v1 = train_through_api(api)["result"]
    version1 = api.client.get("/models/iris/versions/1", headers=api.headers("read")).json()
    assert version1["dataset"]["revision"] == 1
    assert len(_snapshot_rows(api, version1)) == 100

    # Refused: a label outside the label set, repeated or taken ids, other columns.
    before = api.stored()
    outsider = later.head(3).assign(target=[0, 7, 1])
    refused = _append(api, "iris", _csv(outsider))
    assert refused.status_code == 422 and "label '7'" in refused.json()["error"]["message"]
    taken = _append(api, "iris", _csv(first.head(2)))
    assert taken.status_code == 400 and "already in 'iris'" in taken.json()["error"]["message"]
    other = _append(api, "iris", _csv(later.drop(columns=["colour"])))
    assert other.status_code == 400 and "'colour'" in other.json()["error"]["message"]
    assert _append(api, "iris", _csv(later), scope="label").status_code == 403
    assert api.stored() == before

    # The rest of iris, columns in another order, some without a label.
    appended = later[list(reversed(later.columns))].copy()
    appended["target"] = appended["target"].astype(object)
    appended.iloc[:5, appended.columns.get_loc("target")] = None
    response = _append(api, "iris", _csv(appended))
    assert response.status_code == 200, response.text
    dataset = response.json()
    assert (dataset["rows"], dataset["labelled"], dataset["revision"]) == (150, 145, 2)
    assert sum(dataset["label_counts"].values()) == 145
    assert dataset["sha256"] != version1["dataset"]["sha256"]
    record = api.client.get(
        "/datasets/iris/records?unlabelled=true&limit=10", headers=api.headers("read")
    ).json()["items"]
    assert sorted(r["record_id"] for r in record) == sorted(later["record_id"].head(5))
    appended_id = str(later["record_id"].iloc[10])
    stored = api.adapters.documents.get("records", f"iris:{appended_id}").data
    assert stored["label"] == str(later["target"].iloc[10])  # the class, as spelled

    v2 = train_through_api(api)["result"]
    assert (v1["version"], v2["version"]) == (1, 2)
    version2 = api.client.get("/models/iris/versions/2", headers=api.headers("read")).json()
    assert version2["dataset"]["revision"] == 2
    assert version2["dataset"]["key"] != version1["dataset"]["key"]
    rows = _snapshot_rows(api, version2)
    assert len(rows) == 150 and appended_id in {r["record_id"] for r in rows}
    assert version2["params"]["n_train"] + version2["params"]["n_validation"] == 145
    # The first version's snapshot still reads as it did.
    assert len(_snapshot_rows(api, version1)) == 100

    # A new class, on purpose.
    extra = later.head(1).assign(record_id="x-1", target=3)
    assert _append(api, "iris", _csv(extra), new_class="true").json()["classes"] == [
        "0",
        "1",
        "2",
        "3",
    ]


def test_one_append_at_a_time(api: Api) -> None:
    assert api.upload().status_code == 201
    first = pd.read_csv(io.BytesIO(iris_csv()), dtype={"record_id": str}).head(1)

    def claim(since: str) -> None:
        api.adapters.documents.modify(
            DATASETS.name, "iris", lambda doc: {**doc.data, "appending": {"since": since}}
        )

    claim(now())  # another append is running
    before = api.stored()
    busy = _append(api, "iris", _csv(first.assign(record_id="new-1")))
    assert busy.status_code == 409 and "another append" in busy.json()["error"]["message"]
    assert api.stored() == before
    claim("2000-01-01T00:00:00.000000+00:00")  # left by a process that died long ago
    taken_over = _append(api, "iris", _csv(first.assign(record_id="new-1")))
    assert taken_over.status_code == 200, taken_over.text
    assert taken_over.json()["rows"] == 151
    assert api.adapters.documents.get(DATASETS.name, "iris").data["appending"] is None


def test_delete_removes_exactly_the_datasets_records_and_predictions(api: Api) -> None:
    assert api.upload().status_code == 201
    assert api.upload(name="other").status_code == 201
    for name in ("iris", "other"):
        labelled = api.client.put(
            f"/datasets/{name}/records/r002/label", json={"label": "1"}, headers=api.headers()
        )
        assert labelled.status_code == 200
        assert api.client.get(f"/datasets/{name}/stats", headers=api.headers()).status_code == 200
    train_through_api(api)
    for name in ("iris", "other"):
        job = api.client.post(
            "/jobs",
            json={"type": "batch_predict", "dataset": name, "model": "iris", "version": 1},
            headers=api.headers(),
        )
        api.run_job(job.json()["id"])
    before = api.stored()
    version = before["model_versions"]["iris:00000001"]
    assert sum(1 for p in before["predictions"].values() if p["dataset"] == "iris") == 150

    assert api.client.delete("/datasets/iris", headers=api.headers("label")).status_code == 403
    response = api.client.delete("/datasets/iris", headers=api.headers())
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "iris",
        "records": 150,
        "annotations": 1,
        "predictions": 150,
        "files": 2,  # the uploaded file and its statistics
        "snapshots_kept": 1,  # version 1 names it
    }

    after = api.stored()
    expected = {
        "blobs": [
            key
            for key in before["blobs"]
            if not key.startswith("datasets/iris/") or key == version["dataset"]["key"]
        ],
        **{
            collection: {
                doc_id: data
                for doc_id, data in docs.items()
                if not (collection == "datasets" and doc_id == "iris")
                and not (
                    collection in ("records", "predictions", "annotations")
                    and data["dataset"] == "iris"
                )
            }
            for collection, docs in before.items()
            if collection != "blobs"
        },
    }
    assert after == expected
    assert any(d["dataset"] == "other" for d in after["predictions"].values())
    assert api.client.get("/datasets/iris", headers=api.headers()).status_code == 404
    assert api.client.delete("/datasets/iris", headers=api.headers()).status_code == 404
    # The model still answers from its artifact, and the name can be used again.
    answer = api.client.post(
        "/models/iris/predict?version=1", json={"row": row(0)}, headers=api.headers()
    )
    assert answer.status_code == 200, answer.text
    assert api.upload().status_code == 201
