"""The task and the label set are facts of the dataset: inferred (or stated) at upload,
obeyed by labelling and by training, on every backend."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pandas as pd

from tests.support.api import Api


def _with_blanks(frame: Any, every: int) -> tuple[bytes, dict[str, Any]]:
    """`frame` (features + `target`) with a record id and every `every`-th target blank,
    as CSV bytes, and the true target of each record."""
    frame = frame.copy()
    frame.insert(0, "record_id", [f"p{i:04d}" for i in range(len(frame))])
    truth = dict(zip(frame["record_id"], frame["target"], strict=True))
    frame["target"] = frame["target"].astype(object)
    frame.loc[frame.index % every == 0, "target"] = None
    return frame.to_csv(index=False).encode(), truth


def breast_cancer() -> tuple[bytes, dict[str, int]]:
    from sklearn.datasets import load_breast_cancer

    return _with_blanks(load_breast_cancer(as_frame=True).frame, every=9)


def diabetes() -> tuple[bytes, dict[str, float]]:
    """An integer-valued measurement (214 distinct values): a quantity, not classes."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    assert (frame["target"] == frame["target"].round()).all()
    return _with_blanks(frame, every=10)


def _labels(api: Api, name: str, labels: list[dict[str, Any]], **extra: Any) -> Any:
    return api.client.post(
        f"/datasets/{name}/labels", json={"labels": labels, **extra}, headers=api.headers()
    )


def test_integer_coded_classes_with_blanks_train_a_classifier(api: Api) -> None:
    data, truth = breast_cancer()
    # The trap: pandas reads 0/1 with blanks as floats, which looked like a quantity.
    assert pd.read_csv(io.BytesIO(data))["target"].dtype == float
    uploaded = api.upload(data, name="cancer", target="target", id_column="record_id")
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()
    assert (dataset["task"], dataset["task_source"]) == ("classification", "inferred")
    assert dataset["classes"] == ["0", "1"]  # the classes as spelled, not "0.0" / "1.0"
    assert set(dataset["label_counts"]) == {"0", "1"}
    waiting = [
        r["record_id"]
        for r in api.client.get(
            "/datasets/cancer/records?unlabelled=true&limit=1000", headers=api.headers("read")
        ).json()["items"]
    ]
    assert len(waiting) == len(truth) // 9 + 1

    # A label outside the label set is refused, naming the allowed values; nothing is written.
    before = api.stored()
    one = api.client.put(
        f"/datasets/cancer/records/{waiting[0]}/label",
        json={"label": "malignant"},
        headers=api.headers("label"),
    )
    assert one.status_code == 422, one.text
    assert "'0', '1'" in one.json()["error"]["message"]
    bulk = _labels(api, "cancer", [{"record_id": waiting[0], "label": 1},
                                   {"record_id": waiting[1], "label": 2}])  # fmt: skip
    assert bulk.status_code == 422 and "label '2'" in bulk.json()["error"]["message"]
    assert api.stored() == before

    # Added on purpose, a new class joins the label set.
    added = _labels(api, "cancer", [{"record_id": waiting[0], "label": 2}], new_class=True)
    assert added.status_code == 200, added.text
    described = api.client.get("/datasets/cancer", headers=api.headers("read")).json()
    assert described["classes"] == ["0", "1", "2"] and described["label_counts"]["2"] == 1

    # Numbers name the classes that spell them: every label is stored as its class.
    labelled = _labels(api, "cancer", [{"record_id": r, "label": int(truth[r])} for r in waiting])
    assert labelled.status_code == 200, labelled.text
    assert {r["label"] for r in labelled.json()["records"]} == {"0", "1"}

    job = api.client.post(
        "/jobs", json={"type": "train", "dataset": "cancer"}, headers=api.headers()
    )
    assert job.status_code == 202, job.text
    result = api.run_job(job.json()["id"])["result"]
    assert set(result["metrics"]) == {"accuracy", "f1_macro"}
    version = api.client.get("/models/cancer/versions/1", headers=api.headers("read")).json()
    assert version["params"]["task"] == "classification"
    assert version["input_schema"]["classes"] == ["0", "1"]
    assert version["dataset"]["task"] == "classification"
    snapshot = api.adapters.blobs.get(version["dataset"]["key"]).decode()
    assert {row["target"] for row in csv.DictReader(io.StringIO(snapshot))} == {"0", "1"}

    rows = [{k: v for k, v in r.items() if k not in ("record_id", "target")}
            for r in csv.DictReader(io.StringIO(data.decode()))][:5]  # fmt: skip
    rows = [{k: float(v) for k, v in r.items()} for r in rows]
    answer = api.client.post(
        "/models/cancer/predict/batch?version=1", json={"rows": rows}, headers=api.headers()
    )
    assert answer.status_code == 200, answer.text
    for prediction in answer.json()["predictions"]:
        assert prediction["value"] in ("0", "1")
        assert set(prediction["probabilities"]) == {"0", "1"}


def test_integer_measurement_is_regression_and_takes_only_numbers(api: Api) -> None:
    data, _ = diabetes()
    uploaded = api.upload(data, name="diabetes", target="target", id_column="record_id")
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()
    assert (dataset["task"], dataset["classes"], dataset["label_counts"]) == (
        "regression",
        None,
        None,
    )
    before = api.stored()
    for label in ("abc", True):
        refused = api.client.put(
            "/datasets/diabetes/records/p0000/label", json={"label": label}, headers=api.headers()
        )
        assert refused.status_code == 422, refused.text
        assert "regression labels must be numbers" in refused.json()["error"]["message"]
    new_class = _labels(api, "diabetes", [{"record_id": "p0000", "label": 1}], new_class=True)
    assert new_class.status_code == 422
    # Appended rows are held to the same task: a text target is refused, line named.
    header, first = data.decode().splitlines()[:2]
    cells = first.split(",")
    text_row = ",".join(["extra-1", *cells[1:-1], "abc"])
    appended = api.client.post(
        "/datasets/diabetes/rows",
        files={"file": ("more.csv", f"{header}\n{text_row}\n".encode(), "text/csv")},
        headers=api.headers(),
    )
    assert appended.status_code == 422, appended.text
    assert (
        "line 2: the target 'abc' is not a number, and 'diabetes' is a regression"
        in (appended.json()["error"]["message"])
    )
    assert api.stored() == before

    text = api.client.put(
        "/datasets/diabetes/records/p0000/label", json={"label": "151"}, headers=api.headers()
    )
    assert text.status_code == 200 and text.json()["label"] == 151  # stored as the number
    job = api.client.post(
        "/jobs",
        json={"type": "train", "dataset": "diabetes", "params": {"estimator": "linear"}},
        headers=api.headers(),
    )
    result = api.run_job(job.json()["id"])["result"]
    assert set(result["metrics"]) == {"rmse", "r2"}
    assert np.isfinite(result["metrics"]["rmse"])


def test_the_task_can_be_stated_and_training_keeps_to_it(api: Api) -> None:
    data = b"id,x,y\n" + b"".join(f"s{i},{i},{i % 2}\n".encode() for i in range(20))
    stated = api.upload(data, name="stated", target="y", id_column="id", task="regression")
    assert stated.status_code == 201, stated.text
    assert (stated.json()["task"], stated.json()["task_source"]) == ("regression", "stated")
    inferred = api.upload(data, name="inferred", target="y", id_column="id")
    assert (inferred.json()["task"], inferred.json()["classes"]) == ("classification", ["0", "1"])

    lines = [f"t{i},{i},{'a' if i % 2 else 'b'}\n" for i in range(20)]
    texts = ("id,x,y\n" + "".join(lines)).encode()
    before = api.stored()
    refused = api.upload(texts, name="texts", target="y", id_column="id", task="regression")
    assert refused.status_code == 400
    assert "'b' is not a number" in refused.json()["error"]["message"]
    bad_task = api.upload(texts, name="texts", target="y", id_column="id", task="ranking")
    assert bad_task.status_code == 422
    assert api.stored() == before

    contrary = api.client.post(
        "/jobs",
        json={"type": "train", "dataset": "stated", "params": {"task": "classification"}},
        headers=api.headers(),
    )
    assert contrary.status_code == 400
    assert "is a regression dataset" in contrary.json()["error"]["message"]
    assert api.stored() == before
