"""Who may do what, and who did it: an annotator's `label` key labels records but cannot
move an alias, enqueue a job or upload; alias moves, jobs and labels record the id of the
key that made them."""

from __future__ import annotations

from tests.support.api import Api, train_through_api


def key_id(token: str) -> str:
    return token.split("_")[1]  # mlpoc_<key id>_<secret>


def test_a_label_key_labels_and_nothing_more(api: Api) -> None:
    assert api.upload().status_code == 201
    label = api.headers("label")
    one = api.client.put("/datasets/iris/records/r001/label", json={"label": 2}, headers=label)
    assert one.status_code == 200, one.text
    bulk = api.client.post(
        "/datasets/iris/labels", json={"labels": [{"record_id": "r002", "label": 1}]},
        headers=label,
    )  # fmt: skip
    assert bulk.status_code == 200, bulk.text
    train_through_api(api)
    refusals = [
        api.client.put("/models/iris/aliases/production",
                       json={"version": 1, "expected_version": None}, headers=label),
        api.client.post("/jobs", json={"type": "train", "dataset": "iris"}, headers=label),
        api.client.post("/datasets/iris/retrain", json={}, headers=label),
        api.upload(scope="label", name="other"),
        api.client.post("/models/iris/predict", json={"row": {}}, headers=label),
    ]  # fmt: skip
    for response in refusals:
        assert response.status_code == 403, response.text
        assert "lacks the" in response.json()["error"]["message"]
    # A read key cannot label.
    read_label = api.client.put(
        "/datasets/iris/records/r003/label", json={"label": 0}, headers=api.headers("read")
    )
    assert read_label.status_code == 403


def test_moves_jobs_and_labels_record_the_key(api: Api) -> None:
    admin, label, read = api.headers(), api.headers("label"), api.headers("read")
    assert api.upload().status_code == 201
    labelled = api.client.put("/datasets/iris/records/r001/label", json={"label": 2}, headers=label)
    assert labelled.status_code == 200
    annotations = api.client.get("/datasets/iris/annotations", headers=read).json()["items"]
    assert annotations[0]["key_id"] == key_id(api.tokens["label"])
    assert annotations[0]["by"] == "label-key"

    job = train_through_api(api)
    assert job["created_by"] == key_id(api.tokens["admin"])
    enqueued = api.client.post(
        "/jobs", json={"type": "train", "dataset": "iris", "job_id": "j-by"}, headers=admin
    )
    assert enqueued.json()["created_by"] == key_id(api.tokens["admin"])
    assert api.client.get("/jobs/j-by", headers=read).json()["created_by"] == (
        key_id(api.tokens["admin"])
    )
    moved = api.client.put(
        "/models/iris/aliases/production", json={"version": 1, "expected_version": None},
        headers=admin,
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    history = api.client.get("/models/iris/aliases/production/history", headers=read).json()
    assert [move["key_id"] for move in history["items"]] == [key_id(api.tokens["admin"])]
