"""Suggestions and the least-confident-first labeling order, from stored predictions, on
every backend: the order is the stored confidences' order, every record comes exactly once
across pages, records without a usable prediction follow by id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runtime import suggestions
from runtime.schema import PREDICTIONS
from tests.rigs.base import Rig
from tests.support.api import Api, make_api
from tests.support.data import species_csv


def _trained_and_scored(api: Api) -> set[str]:
    """Upload, train v1, promote it, score the dataset with production; the blank ids."""
    data, blank = species_csv()
    assert api.upload(data).status_code == 201
    trained = api.client.post(
        "/datasets/iris/retrain", json={"params": {"estimator": "linear"}}, headers=api.headers()
    )
    api.run_job(trained.json()["id"])
    promoted = api.client.put(
        "/models/iris/aliases/production",
        json={"version": 1, "expected_version": None},
        headers=api.headers(),
    )
    assert promoted.status_code == 200, promoted.text
    scored = api.client.post(
        "/jobs",
        json={"type": "batch_predict", "dataset": "iris", "model": "iris", "alias": "production"},
        headers=api.headers(),
    )
    api.run_job(scored.json()["id"])
    return blank


@pytest.fixture(scope="module")
def scored(module_rig: Rig) -> Iterator[tuple[Api, set[str]]]:
    """One trained, promoted and scored dataset per backend, shared by the tests that only
    read it (each upload + train + batch predict costs seconds on the emulators)."""
    made = make_api(module_rig)
    with made.client:
        yield made, _trained_and_scored(made)


def _pages(api: Api, **query: Any) -> tuple[list[dict[str, Any]], int]:
    """Every record the listing gives, following next_token; and how many pages it took."""
    items: list[dict[str, Any]] = []
    token, pages = None, 0
    while True:
        params = {**query, **({"page_token": token} if token else {})}
        response = api.client.get(
            "/datasets/iris/records", params=params, headers=api.headers("read")
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= query.get("limit", 100)
        items += body["items"]
        pages += 1
        token = body["next_token"]
        if token is None:
            return items, pages


def _stored_predictions(api: Api) -> dict[str, dict[str, Any]]:
    items = api.adapters.documents.iter_query(PREDICTIONS.name, "dataset", "iris")
    return {doc.data["record_id"]: doc.data for doc in items}


def test_least_confident_first_follows_the_stored_confidences(api: Api) -> None:
    blank = _trained_and_scored(api)
    stored = _stored_predictions(api)
    assert len(stored) == 150

    listed, pages = _pages(api, unlabelled="true", order="uncertainty", limit=7)
    ids = [r["record_id"] for r in listed]
    assert sorted(ids) == sorted(blank) and len(ids) == len(set(ids)) and pages >= 6
    confidences = [r["suggestion"]["confidence"] for r in listed]
    assert confidences == sorted(confidences)
    assert confidences == sorted(max(stored[i]["probabilities"].values()) for i in blank)
    assert confidences[0] < confidences[-1]  # a real spread, not one repeated value
    for record in listed:
        prediction = stored[record["record_id"]]
        assert record["label"] is None
        assert record["suggestion"]["value"] == prediction["value"]
        assert record["suggestion"]["version"] == 1
        assert record["suggestion"]["model"] == "iris"

    # Labelling the least confident record takes it out of the order; the rest keep it.
    first = ids[0]
    labelled = api.client.put(
        f"/datasets/iris/records/{first}/label", json={"label": "setosa"}, headers=api.headers()
    )
    assert labelled.status_code == 200, labelled.text
    again, _ = _pages(api, unlabelled="true", order="uncertainty", limit=50)
    assert sorted(r["record_id"] for r in again) == sorted(ids[1:])
    assert [r["suggestion"]["confidence"] for r in again] == confidences[1:]

    # Without `unlabelled`, every record in one order: ranked by confidence throughout.
    everything, _ = _pages(api, order="uncertainty", limit=200)
    assert len(everything) == 150
    assert [r["suggestion"]["confidence"] for r in everything] == sorted(
        max(p["probabilities"].values()) for p in stored.values()
    )


def test_records_without_a_usable_prediction_follow_by_record_id(api: Api) -> None:
    blank = sorted(_trained_and_scored(api))
    documents = api.adapters.documents
    # One record never scored, one scored by another model: neither is ranked, both follow.
    documents.delete(PREDICTIONS.name, f"iris:{blank[3]}")
    other = documents.get(PREDICTIONS.name, f"iris:{blank[1]}").data
    documents.put(PREDICTIONS.name, f"iris:{blank[1]}", {**other, "model": "another"})

    listed, _ = _pages(api, unlabelled="true", order="uncertainty", limit=5)
    ids = [r["record_id"] for r in listed]
    assert sorted(ids) == blank and len(ids) == len(set(ids))
    assert ids[-2:] == [blank[1], blank[3]]
    assert [r["suggestion"] for r in listed[-2:]] == [None, None]
    ranked = [r["suggestion"]["confidence"] for r in listed[:-2]]
    assert ranked == sorted(ranked)

    # The default order (record id) carries the same suggestions.
    by_id, _ = _pages(api, unlabelled="true", limit=10)
    assert [r["record_id"] for r in by_id] == blank
    suggested = {r["record_id"]: r["suggestion"] for r in listed}
    assert {r["record_id"]: r["suggestion"] for r in by_id} == suggested


def test_one_record_with_its_suggestion_and_refusals(scored: tuple[Api, set[str]]) -> None:
    api, blank_ids = scored
    blank = sorted(blank_ids)
    read = api.headers("read")
    one = api.client.get(f"/datasets/iris/records/{blank[0]}", headers=read)
    assert one.status_code == 200, one.text
    stored = _stored_predictions(api)[blank[0]]
    assert one.json()["suggestion"]["value"] == stored["value"]
    assert one.json()["values"]["sepal length (cm)"]
    missing = api.client.get("/datasets/iris/records/nope", headers=read)
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]
    bad_order = api.client.get("/datasets/iris/records?order=sideways", headers=read)
    assert bad_order.status_code == 422
    bad_token = api.client.get(
        "/datasets/iris/records?order=uncertainty&page_token=bm9wZQ", headers=read
    )
    assert bad_token.status_code == 400 and "page token" in bad_token.json()["error"]["message"]


def test_without_predictions_the_order_is_by_record_id(api: Api) -> None:
    data, blank = species_csv()
    assert api.upload(data).status_code == 201
    listed, _ = _pages(api, unlabelled="true", order="uncertainty", limit=9)
    assert [r["record_id"] for r in listed] == sorted(blank)
    assert all(r["suggestion"] is None for r in listed)


def test_short_pages_when_reads_run_out_lose_nothing(
    scored: tuple[Api, set[str]], monkeypatch: Any
) -> None:
    api, blank = scored
    full, _ = _pages(api, unlabelled="true", order="uncertainty", limit=1000)
    monkeypatch.setattr(suggestions, "MAX_READS_PER_PAGE", 1)
    short, pages = _pages(api, unlabelled="true", order="uncertainty", limit=5)
    assert [r["record_id"] for r in short] == [r["record_id"] for r in full]
    assert sorted(r["record_id"] for r in short) == sorted(blank)
    assert pages > len(blank) / 5 + 1  # some pages came back short, with a token
