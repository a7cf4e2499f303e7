"""Predictions by record id (the dataset is the feature store) and a version's export, on
every backend: by-id equals predict on the same rows; the exported artifact loads and
predicts the same."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pandas as pd
import pytest

from runtime import artifacts, inference
from runtime.inference import RowSchema
from runtime.trainers.tabular import TabularTrainer
from tests.support.api import Api, train_through_api
from tests.support.data import iris_csv, row

ROWS = (0, 7, 75, 149)  # r007 has no colour: a missing categorical value


def test_predict_by_id_equals_predict_on_the_same_rows(api: Api) -> None:
    assert api.upload().status_code == 201
    train_through_api(api, params={})  # gradient boosting: the compiled path answers
    ids = [f"r{i:03d}" for i in ROWS]
    asked = [ids[0], "nope", *ids[1:], ids[0], "bad/id"]
    response = api.client.post(
        "/models/iris/predict/by-id?version=1",
        json={"record_ids": asked},
        headers=api.headers("predict"),
    )
    assert response.status_code == 200, response.text
    by_id = response.json()
    assert (by_id["model"], by_id["version"], by_id["dataset"]) == ("iris", 1, "iris")
    assert [p["record_id"] for p in by_id["predictions"]] == ids  # order asked, once each
    assert by_id["missing"] == ["nope", "bad/id"]  # reported per id, not as one failure

    batch = api.client.post(
        "/models/iris/predict/batch?version=1",
        json={"rows": [row(i) for i in ROWS]},
        headers=api.headers("predict"),
    )
    assert batch.status_code == 200, batch.text
    expected = batch.json()["predictions"]
    assert [{k: p[k] for k in ("value", "probabilities")} for p in by_id["predictions"]] == expected

    # Another dataset's records, named explicitly; a record that does not fit is named.
    frame = pd.read_csv(io.BytesIO(iris_csv()), dtype={"record_id": str})
    frame["sepal length (cm)"] = frame["sepal length (cm)"].astype(object)
    frame.loc[3, "sepal length (cm)"] = "abc"
    assert api.upload(frame.to_csv(index=False).encode(), name="odd").status_code == 201
    other = api.client.post(
        "/models/iris/predict/by-id?version=1",
        json={"record_ids": ["r000"], "dataset": "odd"},
        headers=api.headers("predict"),
    )
    assert other.status_code == 200 and other.json()["predictions"][0] == {
        "record_id": "r000",
        **expected[0],
    }
    unfit = api.client.post(
        "/models/iris/predict/by-id?version=1",
        json={"record_ids": ["r000", "r003"], "dataset": "odd"},
        headers=api.headers("predict"),
    )
    assert unfit.status_code == 422
    assert (
        "record 'r003': feature 'sepal length (cm)' must be a number"
        in (unfit.json()["error"]["message"])
    )
    unknown = api.client.post(
        "/models/iris/predict/by-id?version=1",
        json={"record_ids": ["r000"], "dataset": "nowhere"},
        headers=api.headers("predict"),
    )
    assert unknown.status_code == 404


def _zip(response: Any) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _no_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


def test_export_round_trips(api: Api) -> None:
    assert api.upload().status_code == 201
    train_through_api(api, params={})
    read = api.headers("read")
    response = api.client.get("/models/iris/versions/1/export", headers=read)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="iris-v1.zip"'
    files = _zip(response)
    version = api.client.get("/models/iris/versions/1", headers=read).json()
    expected_files = {"model.skops", "compiled.mlpoc", "card.json", "version.json", "SHA256SUMS",
                      "README.txt"}  # fmt: skip
    assert set(files) == expected_files
    # Training always writes a card; the API's schema spells absent fields as null.
    assert _no_nulls(json.loads(files["card.json"])) == _no_nulls(version["card"])
    sums = dict(reversed(line.split("  ")) for line in files["SHA256SUMS"].decode().splitlines())
    assert set(sums) == expected_files - {"SHA256SUMS", "README.txt"}
    for name, digest in sums.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    assert sums["model.skops"] == version["artifact"]["sha256"]
    record = json.loads(files["version.json"])
    # The version as the API shows it, and more: how it is served.
    assert _no_nulls({k: record[k] for k in version}) == _no_nulls(version)
    assert record["serving"]["compiled"]["sha256"] == sums["compiled.mlpoc"]

    rows = [row(i) for i in ROWS]
    served = api.client.post(
        "/models/iris/predict/batch?version=1", json={"rows": rows}, headers=api.headers()
    ).json()["predictions"]
    # The artifact, loaded as anyone loads it (skops, the allow-list), predicts the same.
    model = artifacts.skops_loads(files["model.skops"])
    local = TabularTrainer().predict(model, pd.DataFrame.from_records(rows))
    assert local.values == [p["value"] for p in served]
    assert local.probabilities is not None
    for mine, theirs in zip(local.probabilities, served, strict=True):
        assert mine == pytest.approx(theirs["probabilities"], abs=1e-6)
    # The compiled artifact is exactly what the API answered with.
    compiled = inference.loads(files["compiled.mlpoc"])
    schema = RowSchema.from_input_schema(version["input_schema"])
    assert schema is not None
    fast = compiled.predict_rows(schema.validate(rows))
    assert fast.values == [p["value"] for p in served]
    assert fast.probabilities == [p["probabilities"] for p in served]

    assert api.client.get("/models/iris/versions/9/export", headers=read).status_code == 404
    assert api.client.get("/models/iris/versions/1/export").status_code == 401
