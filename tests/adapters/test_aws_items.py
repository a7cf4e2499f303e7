"""Pure logic of the DynamoDB adapter: item conversion, page tokens, batch retries.

No server here: these functions only shape data, and the batch-retry test drives
`batch_write` with a scripted client (the one unit test of retry arithmetic; the real
BatchWriteItem path runs against moto in the contract suite).
"""

from __future__ import annotations

from typing import Any

import pytest

from adapters import BackendUnavailable, Collection, Index
from adapters.aws.dynamodb import BATCH_SIZE, batch_get, batch_write
from adapters.aws.items import (
    MAX_ITEM_BYTES,
    decode_token,
    encode_token,
    from_item,
    item_size,
    to_item,
)
from adapters.aws.provision import table_definition

THINGS = Collection("things", (Index("kind", "n", "N"), Index("tag", "name")))


def test_numbers_round_trip_as_int_and_float() -> None:
    data = {
        "i": 3,
        "big": 10**30,
        "f": 0.1,
        "neg": -2.5e-7,
        "flag": True,
        "none": None,
        "nested": {"list": [1, 1.25, "s", {"deep": 2.0e10}], "empty": {}},
        "text": "",
    }
    back = from_item(to_item(THINGS, "d1", data, "v1"))
    assert back.id == "d1" and back.version == "v1"
    assert back.data == data
    assert type(back.data["i"]) is int and type(back.data["big"]) is int
    assert type(back.data["f"]) is float and back.data["f"] == 0.1
    assert type(back.data["flag"]) is bool
    assert type(back.data["nested"]["list"][1]) is float


def test_item_layout_and_reserved_names() -> None:
    item = to_item(THINGS, "d1", {"id": "inner", "kind": "k", "n": 4}, "v1")
    assert item["id"] == {"S": "d1"}
    assert item["_version"] == {"S": "v1"}
    assert item["_data_id"] == {"S": "inner"}
    assert item["n"] == {"N": "4"}
    assert from_item(item).data == {"id": "inner", "kind": "k", "n": 4}


def test_none_index_keys_stay_out_of_the_item() -> None:
    data = {"kind": None, "n": 1, "tag": "t", "name": None}
    item = to_item(THINGS, "d1", data, "v1")
    assert "kind" not in item and "name" not in item
    assert from_item(item).data == data


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**40])
def test_numbers_dynamodb_cannot_hold_are_value_errors(value: float) -> None:
    with pytest.raises(ValueError):
        to_item(THINGS, "d1", {"x": value}, "v1")


def test_page_tokens_are_opaque_and_scoped() -> None:
    key = {"id": {"S": "a"}, "n": {"N": "1.5"}}
    token = encode_token("t/by_kind_n/k/asc", key)
    assert token.isascii() and "=" not in token and "/" not in token
    assert decode_token("t/by_kind_n/k/asc", token) == key
    with pytest.raises(ValueError, match="invalid page token"):
        decode_token("t/by_kind_n/k/desc", token)
    for garbage in ("", "!!!", "e30", "bm90IGpzb24"):
        with pytest.raises(ValueError, match="invalid page token"):
            decode_token("t/by_kind_n/k/asc", garbage)


def test_table_definition_has_one_gsi_per_index() -> None:
    definition = table_definition("p-things", THINGS)
    assert definition["TableName"] == "p-things"
    assert definition["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert definition["BillingMode"] == "PAY_PER_REQUEST"
    assert {
        (a["AttributeName"], a["AttributeType"]) for a in definition["AttributeDefinitions"]
    } == {
        ("id", "S"),
        ("kind", "S"),
        ("n", "N"),
        ("tag", "S"),
        ("name", "S"),
    }
    by_name = {g["IndexName"]: g for g in definition["GlobalSecondaryIndexes"]}
    assert by_name["by_kind_n"]["KeySchema"] == [
        {"AttributeName": "kind", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"},
    ]
    assert all(g["Projection"] == {"ProjectionType": "ALL"} for g in by_name.values())
    assert "GlobalSecondaryIndexes" not in table_definition("p-plain", Collection("plain"))


def test_table_definition_refuses_one_attribute_with_two_types() -> None:
    clash = Collection("c", (Index("a", "b", "N"), Index("b", "c")))
    with pytest.raises(ValueError, match="both"):
        table_definition("p-c", clash)


class ScriptedBatchClient:
    """Answers BatchWriteItem by leaving the first `unprocessed[i]` items of call i."""

    def __init__(self, unprocessed: list[int]) -> None:
        self.unprocessed = unprocessed
        self.calls: list[list[str]] = []

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        [(table, requests)] = RequestItems.items()
        self.calls.append([r["PutRequest"]["Item"]["id"]["S"] for r in requests])
        left = (
            self.unprocessed[len(self.calls) - 1] if len(self.calls) <= len(self.unprocessed) else 0
        )
        return {"UnprocessedItems": {table: requests[:left]} if left else {}}


def _items(ids: list[str]) -> list[dict[str, Any]]:
    return [to_item(THINGS, doc_id, {"x": 1}, "v") for doc_id in ids]


def test_batch_write_retries_unprocessed_items_with_backoff() -> None:
    client = ScriptedBatchClient([10, 3, 0])
    sleeps: list[float] = []
    batch_write(client, "t", _items([f"d{i}" for i in range(30)]), sleep=sleeps.append)
    assert [len(call) for call in client.calls] == [BATCH_SIZE, 10, 3, 5]
    assert client.calls[1] == client.calls[0][:10]
    assert len(sleeps) == 2 and 0 < sleeps[0] <= 0.05 <= sleeps[1]


def test_batch_write_gives_up_after_bounded_attempts() -> None:
    client = ScriptedBatchClient([2] * 10)
    with pytest.raises(BackendUnavailable, match="unprocessed after 4 attempts"):
        batch_write(client, "t", _items(["a", "b", "c"]), max_attempts=4, sleep=lambda _: None)
    assert len(client.calls) == 4


def test_batch_write_splits_chunks_on_a_repeated_id() -> None:
    client = ScriptedBatchClient([])
    batch_write(client, "t", _items(["a", "b", "a", "c"]), sleep=lambda _: None)
    assert client.calls == [["a", "b"], ["a", "c"]]


class ScriptedGetClient:
    """Answers BatchGetItem with every key but the last `unprocessed[i]` of call i."""

    def __init__(self, unprocessed: list[int]) -> None:
        self.unprocessed = unprocessed
        self.calls: list[list[str]] = []

    def batch_get_item(self, RequestItems: dict[str, dict[str, Any]]) -> dict[str, Any]:
        [(table, request)] = RequestItems.items()
        assert request["ConsistentRead"] is True
        keys = request["Keys"]
        self.calls.append([key["id"]["S"] for key in keys])
        n = len(self.calls) - 1
        left = self.unprocessed[n] if n < len(self.unprocessed) else 0
        answered, unprocessed = keys[: len(keys) - left], keys[len(keys) - left :]
        response: dict[str, Any] = {"Responses": {table: _items([k["id"]["S"] for k in answered])}}
        if unprocessed:
            response["UnprocessedKeys"] = {table: {"Keys": unprocessed, "ConsistentRead": True}}
        return response


def test_batch_get_retries_unprocessed_keys_with_backoff() -> None:
    client = ScriptedGetClient([4, 1, 0])
    sleeps: list[float] = []
    items = batch_get(client, "t", [f"d{i}" for i in range(10)], sleep=sleeps.append)
    assert sorted(item["id"]["S"] for item in items) == sorted(f"d{i}" for i in range(10))
    assert [len(call) for call in client.calls] == [10, 4, 1]
    assert client.calls[1] == [f"d{i}" for i in range(6, 10)]
    assert len(sleeps) == 2 and 0 < sleeps[0] <= 0.05 <= sleeps[1]


def test_batch_get_gives_up_after_bounded_attempts() -> None:
    client = ScriptedGetClient([2] * 10)
    with pytest.raises(BackendUnavailable, match="unprocessed after 3 attempts"):
        batch_get(client, "t", ["a", "b", "c"], max_attempts=3, sleep=lambda _: None)
    assert len(client.calls) == 3


def test_item_size_follows_dynamodb_rules() -> None:
    assert item_size({"a": {"S": "xyz"}}) == 4
    assert item_size({"n": {"N": "123.45"}}) == 1 + 1 + 3
    assert item_size({"n": {"N": "-0.00100"}}) == 1 + 1 + 1
    assert item_size({"n": {"N": "1E+20"}}) == 1 + 1 + 1
    assert item_size({"l": {"L": [{"N": "0"}] * 3}}) == 1 + 3 + 3 * 2
    assert item_size({"m": {"M": {"k": {"BOOL": True}, "z": {"NULL": True}}}}) == 1 + 3 + 3 + 3


def test_json_small_but_dynamodb_large_documents_are_too_large() -> None:
    from adapters.limits import MAX_DOCUMENT_BYTES, document_size

    data = {"ones": [1] * 170_000}  # about 340 KB of JSON, about 510 KB as an item
    assert document_size("d", data) < MAX_DOCUMENT_BYTES
    assert item_size(to_item(THINGS, "d", data, "v")) > MAX_ITEM_BYTES


def test_a_field_keyed_with_two_types_is_a_schema_error() -> None:
    clash = Collection("clash", (Index("owner", "seq", "N"), Index("seq", "owner")))
    with pytest.raises(ValueError, match="'seq' is indexed as both N and S"):
        table_definition("t", clash)
