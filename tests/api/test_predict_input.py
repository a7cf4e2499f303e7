"""Predict rows are checked against the served version's input schema, every row, on
every backend: a refusal is a 422 naming the row and the feature, never a 5xx, and never
after building a table as wide as the request."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.registry import Registry
from tests.support.api import Api, train_through_api
from tests.support.data import FEATURES, row


@pytest.fixture
def served(rig_api: Api) -> Api:
    assert rig_api.upload().status_code == 201
    train_through_api(rig_api)
    Registry(rig_api.adapters).move_alias("iris", "production", 1, expected=None)
    return rig_api


def batch(api: Api, rows: list[Any]) -> Any:
    return api.client.post(
        "/models/iris/predict/batch", json={"rows": rows}, headers=api.headers("predict")
    )


def single(api: Api, one: Any) -> Any:
    return api.client.post(
        "/models/iris/predict", json={"row": one}, headers=api.headers("predict")
    )


def refused(response: Any, *parts: str) -> None:
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    for part in parts:
        assert part in message, message


def test_rows_that_fit_are_answered_with_null_as_missing(served: Api) -> None:
    rows = [row(0), {**row(1), FEATURES[0]: None}]
    response = batch(served, rows)
    assert response.status_code == 200, response.text
    assert len(response.json()["predictions"]) == 2


def test_a_string_where_the_schema_says_number(served: Api) -> None:
    refused(single(served, {**row(), FEATURES[0]: "abc"}), "row 0", FEATURES[0], "a number")
    refused(batch(served, [row(), {**row(), FEATURES[1]: "1.5"}]), "row 1", FEATURES[1])


def test_missing_features_are_refused_per_row_even_beside_a_complete_row(served: Api) -> None:
    refused(batch(served, [row(), {FEATURES[0]: 3}]), "row 1", "missing features", FEATURES[1])


def test_a_400_digit_integer_is_a_422_not_a_500(served: Api) -> None:
    huge = int("9" * 400)
    refused(single(served, {**row(), FEATURES[0]: huge}), "row 0", "too large")
    refused(batch(served, [row(), {**row(), FEATURES[2]: huge}]), "row 1", "too large")


def test_unknown_keys_are_refused(served: Api) -> None:
    refused(single(served, {**row(), "record_id": 7}), "row 0", "record_id")


def test_ten_thousand_rows_each_with_another_key_are_refused_at_the_first(served: Api) -> None:
    response = batch(served, [{f"c{i}": 0} for i in range(10_000)])
    refused(response, "row 0", "unknown features ['c0']")


def test_a_row_wider_than_the_model_is_refused_by_its_key_count(served: Api) -> None:
    wide = {**row(), **{f"c{i}": 0 for i in range(2_000)}}
    width = len(row())
    refused(single(served, wide), "row 0", f"has {width + 2000} keys", f"takes {width} features")
