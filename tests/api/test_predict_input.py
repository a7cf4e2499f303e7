"""Predict rows are checked against the served version's input schema, every row, on
every backend: a refusal is a 422 naming the row and the feature, never a 5xx, and never
after building a table as wide as the request."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.registry import Registry
from tests.support.api import Api, train_through_api
from tests.support.data import FEATURES, flags_csv, row


@pytest.fixture
def served(api: Api) -> Api:
    assert api.upload().status_code == 201
    train_through_api(api)
    Registry(api.adapters).move_alias("iris", "production", 1, expected=None)
    return api


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


def test_a_boolean_feature_takes_the_words_a_csv_spells_booleans_with_and_refuses_the_rest(
    api: Api,
) -> None:
    # `member` was spelled True/true/TRUE and False/false/FALSE in the file: pandas read
    # them all as booleans, so the model knows it as the categories "True" and "False".
    uploaded = api.upload(flags_csv(), name="flags", target="target", id_column="record_id")
    assert uploaded.status_code == 201, uploaded.text
    trained = api.client.post(
        "/datasets/flags/retrain", json={"params": {"estimator": "linear"}}, headers=api.headers()
    )
    assert trained.status_code == 202, trained.text
    api.run_job(trained.json()["id"])
    Registry(api.adapters).move_alias("flags", "production", 1, expected=None)

    def predict(member: Any) -> Any:
        one = {"x": 1.5, "member": member, "colour": "red"}
        return api.client.post(
            "/models/flags/predict", json={"row": one}, headers=api.headers("predict")
        )

    for spellings in ((True, "true", "True", "TRUE"), (False, "false", "False", "FALSE")):
        answers = [predict(s) for s in spellings]
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        first = answers[0].json()
        # Each spelling is the same value, not an unknown category the model ignores.
        assert all(a.json()["probabilities"] == first["probabilities"] for a in answers)
    assert predict(True).json()["value"] == "yes" and predict(False).json()["value"] == "no"
    for ambiguous, shown in ((1, "1"), ("yes", "'yes'"), ("1", "'1'")):
        refused(predict(ambiguous), "row 0", "'member' is a boolean", f"got {shown}")
