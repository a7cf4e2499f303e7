"""Predict rows are checked one by one against the input schema, with the row's index in
every refusal; what passes holds exactly the schema's features. The column-by-column check
(`RowSchema.columns`, the batch path) accepts and refuses exactly what the per-row one does."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from runtime.inference import RowError, RowSchema

SCHEMA = {
    "task": "classification",
    "features": [
        {"name": "age", "kind": "numeric"},
        {"name": "income", "kind": "numeric"},
        {"name": "city", "kind": "categorical", "categories": ["Oslo", "Rome"]},
    ],
}
FULL = {"age": 30, "income": 1.5, "city": "Oslo"}


def schema() -> RowSchema:
    built = RowSchema.from_input_schema(SCHEMA)
    assert built is not None
    return built


def test_a_full_row_is_normalised_to_floats_and_strings() -> None:
    assert schema().validate([FULL]) == [{"age": 30.0, "income": 1.5, "city": "Oslo"}]


def test_null_and_nan_are_missing_values() -> None:
    row = {"age": None, "income": float("nan"), "city": None}
    assert schema().validate([row]) == [{"age": None, "income": None, "city": None}]


def test_categories_given_as_numbers_or_booleans_compare_as_text() -> None:
    out = schema().validate([{**FULL, "city": True}, {**FULL, "city": 3}])
    assert [r["city"] for r in out] == ["True", "3"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**FULL, "age": "abc"}, "row 1: feature 'age' must be a number, got a string"),
        ({**FULL, "age": "3"}, "row 1: feature 'age' must be a number, got a string"),
        ({**FULL, "age": True}, "row 1: feature 'age' must be a number, got a boolean"),
        ({**FULL, "age": int("9" * 400)}, "row 1: feature 'age' is too large for a float64"),
        ({**FULL, "age": float("inf")}, "row 1: feature 'age' must be a finite number"),
        ({**FULL, "city": ["Oslo"]}, "row 1: feature 'city' must be a string, got an array"),
        ({**FULL, "city": {"a": 1}}, "row 1: feature 'city' must be a string, got an object"),
        ({"age": 3}, "row 1: missing features ['income', 'city']"),
        ({**FULL, "zip": 1}, "row 1: has 4 keys but the model takes 3 features; unknown: ['zip']"),
        ({"age": 3, "income": 1, "zip": 1}, "row 1: unknown features ['zip']"),
        ([1, 2, 3], "row 1: must be an object of features, got an array"),
    ],
    ids=["string", "numeric-string", "boolean", "400-digits", "infinity", "array-category",
         "object-category", "missing", "extra-key", "unknown-key", "not-an-object"],
)  # fmt: skip
@pytest.mark.parametrize("check", ["validate", "columns"])
def test_each_row_is_checked_with_its_index(row: Any, message: str, check: str) -> None:
    # Row 0 is complete: a later row's fault is still found (and named by its index).
    with pytest.raises(RowError) as caught:
        getattr(schema(), check)([FULL, row])
    assert str(caught.value).startswith(message)
    assert caught.value.index == 1


@pytest.mark.parametrize("check", ["validate", "columns"])
def test_a_very_wide_row_is_refused_without_listing_every_key(check: str) -> None:
    row = {f"c{i}": 0 for i in range(10_000)}
    with pytest.raises(RowError) as caught:
        getattr(schema(), check)([row])
    text = str(caught.value)
    assert "has 10000 keys" in text and "and 9995 more" in text
    assert len(text) < 300


def as_columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Validated rows as lists per feature, NaN for a missing number (to compare)."""
    return {
        name: [np.nan if r[name] is None and name != "city" else r[name] for r in rows]
        for name in ("age", "income", "city")
    }


@pytest.mark.parametrize(
    "rows",
    [
        [FULL, {"age": None, "income": float("nan"), "city": None}, {**FULL, "age": 10**20}],
        # Categories sent as numbers or booleans: the per-row path, same answer.
        [FULL, {**FULL, "city": True}, {**FULL, "city": 3}, {**FULL, "city": float("nan")}],
        [{**FULL, "age": -0.0, "income": 2**53 + 1}],
    ],
    ids=["numbers-and-missing", "categories-as-numbers", "edge-numbers"],
)
def test_columns_hold_what_the_per_row_check_gives(rows: list[dict[str, Any]]) -> None:
    columns = schema().columns(rows)
    assert columns["age"].dtype == np.float64 and columns["income"].dtype == np.float64
    got = {name: list(values) for name, values in columns.items()}
    np.testing.assert_equal(got, as_columns(schema().validate(rows)))


@pytest.mark.parametrize(
    "input_schema",
    [None, {}, {"features": []}, {"features": [{"name": "a", "kind": "image"}]},
     {"features": [{"name": "a", "kind": "numeric"}, {"name": "a", "kind": "numeric"}]}],
    ids=["none", "empty", "no-features", "unknown-kind", "duplicate"],
)  # fmt: skip
def test_schemas_without_a_usable_feature_list_give_no_row_schema(input_schema: Any) -> None:
    assert RowSchema.from_input_schema(input_schema) is None


# A CSV column of booleans (pandas reads True/true/TRUE as one value) trains as the
# categories "False" and "True".
FLAGS = {
    "features": [
        {"name": "age", "kind": "numeric"},
        {"name": "member", "kind": "categorical", "categories": ["False", "True"]},
        {"name": "city", "kind": "categorical", "categories": ["Oslo", "True"]},
    ]
}


def flags() -> RowSchema:
    built = RowSchema.from_input_schema(FLAGS)
    assert built is not None
    return built


@pytest.mark.parametrize(
    ("given", "normal"),
    [(True, "True"), (False, "False"), ("true", "True"), ("TRUE", "True"), ("True", "True"),
     ("false", "False"), ("FALSE", "False"), (None, None), (float("nan"), None)],
)  # fmt: skip
def test_a_boolean_feature_takes_true_false_and_the_words_a_csv_spells_them(
    given: Any, normal: str | None
) -> None:
    out = flags().validate([{"age": 1, "member": given, "city": "Oslo"}])
    assert out[0]["member"] == normal


@pytest.mark.parametrize(
    ("given", "shown"),
    [(1, "1"), (0, "0"), (1.0, "1.0"), ("yes", "'yes'"), ("1", "'1'"), ("t", "'t'"),
     (" true", "' true'"), (["x"], "an array"), (int("9" * 400), "int")],
)  # fmt: skip
def test_anything_else_for_a_boolean_feature_is_refused_and_named(given: Any, shown: str) -> None:
    with pytest.raises(RowError) as caught:
        flags().validate(
            [{"age": 1, "member": True, "city": "Oslo"}, {"age": 1, "member": given, "city": None}]
        )
    assert str(caught.value) == (
        f"row 1: feature 'member' is a boolean: send true or false (or the text true/false), "
        f"got {shown}"
    )


def test_many_rows_get_the_same_booleans_and_refusals_as_one_row() -> None:
    row = {"age": 1, "member": "true", "city": "Oslo"}
    assert flags().columns([row, {**row, "member": "False"}])["member"] == ["True", "False"]
    with pytest.raises(RowError, match="row 1: feature 'member' is a boolean"):
        flags().columns([row, {**row, "member": "yes"}])


def test_a_text_feature_with_other_categories_is_not_a_boolean_one() -> None:
    # "Oslo" sits beside "True": the column was text, and a row's text is compared as it is.
    out = flags().validate([{"age": 1, "member": True, "city": "true"}])
    assert out[0]["city"] == "true"
