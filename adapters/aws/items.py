"""Documents <-> DynamoDB items (wire format, `{"S": ...}`), and page tokens.

An item is `{id, _version, ...fields}`. Three things need care:
- Numbers: DynamoDB has one decimal number type and boto3 refuses Python floats, so floats
  go in as `Decimal(repr(f))` (exact round trip) and come back as float; integers come back
  as int. DynamoDB normalizes numbers, so an integral float (1.0) may come back as 1; the
  two compare equal.
- A data field named `id` would collide with the key attribute: it is stored as `_data_id`
  (data field names starting with '_' are reserved, so nothing else can use that name).
- A GSI key attribute may not be NULL (nor an empty string), yet `None` is a valid JSON
  value that simply keeps the document out of the index, as on the other backends. Such
  fields are left out of the item and listed in `_nulls`, then restored on read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, DecimalException
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from adapters import pagination
from adapters.limits import index_key_nulls
from adapters.naming import ID_ATTRIBUTE, NULLS_FIELD, VERSION_FIELD
from adapters.ports import Collection, Document, JSONDict

DATA_ID_ATTRIBUTE = "_data_id"
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def to_dynamo(value: Any) -> Any:
    """JSON value -> value boto3 can serialize (floats to Decimal, recursively)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"DynamoDB cannot store a non-finite number: {value!r}")
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(key): to_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(item) for item in value]
    return value


def from_dynamo(value: Any) -> Any:
    """Deserialized DynamoDB value -> JSON value (Decimal to int or float, recursively)."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent >= 0:
            return int(value)
        return float(value)
    if isinstance(value, Mapping):
        return {key: from_dynamo(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [from_dynamo(item) for item in value]
    return value


def to_item(collection: Collection, doc_id: str, data: Mapping[str, Any], version: str) -> JSONDict:
    """The wire-format item of a document."""
    nulls = [name for name in index_key_nulls(collection, data) if name != ID_ATTRIBUTE]
    attributes: dict[str, Any] = {}
    for name, value in data.items():
        if name in nulls:
            continue
        attributes[DATA_ID_ATTRIBUTE if name == ID_ATTRIBUTE else name] = value
    attributes[ID_ATTRIBUTE] = doc_id
    attributes[VERSION_FIELD] = version
    if nulls:
        attributes[NULLS_FIELD] = nulls
    try:
        return {name: _SERIALIZER.serialize(to_dynamo(v)) for name, v in attributes.items()}
    except (TypeError, DecimalException) as exc:
        raise ValueError(f"document {doc_id!r} cannot be stored in DynamoDB: {exc}") from exc


def from_item(item: Mapping[str, Any]) -> Document:
    """The document of a wire-format item."""
    values = {name: from_dynamo(_DESERIALIZER.deserialize(v)) for name, v in item.items()}
    doc_id = values.pop(ID_ATTRIBUTE)
    version = values.pop(VERSION_FIELD)
    for name in values.pop(NULLS_FIELD, []):
        values[name] = None
    if DATA_ID_ATTRIBUTE in values:
        values[ID_ATTRIBUTE] = values.pop(DATA_ID_ATTRIBUTE)
    return Document(id=doc_id, data=values, version=version)


# DynamoDB's item ceiling. The portable 350 KB ceiling counts compact JSON, which is
# smaller than DynamoDB's own measure for some shapes (long lists of small numbers or of
# empty containers cost 3-4 bytes an element there, 2-3 in JSON).
MAX_ITEM_BYTES = 400 * 1024


def item_size(item: Mapping[str, Any]) -> int:
    """An item's size by DynamoDB's published rules (attribute names count, each list or
    map element costs 1 byte, a number 1 byte per two significant digits plus 1)."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def _value_size(value: Mapping[str, Any]) -> int:
    [(kind, inner)] = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = inner.lstrip("-").split("E")[0].split("e")[0].replace(".", "").strip("0")
        return 1 + (len(digits) + 1) // 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(
            1 + len(name.encode("utf-8")) + _value_size(element) for name, element in inner.items()
        )
    raise ValueError(f"unexpected DynamoDB type {kind!r}")


def encode_token(scope: str, key: Mapping[str, Any]) -> str:
    """An opaque page token: the (wire-format) key to start after, and what it is for."""
    return pagination.encode_token({"s": scope, "k": key})


def decode_token(scope: str, token: str) -> dict[str, Any]:
    """The key inside a token from `encode_token(scope, ...)`; ValueError for anything else."""
    payload = pagination.decode_token(token)
    key = payload.get("k") if isinstance(payload, dict) else None
    if not isinstance(key, dict) or payload.get("s") != scope:
        raise ValueError(f"invalid page token for {scope}: {token!r}")
    return key
