"""JSON values <-> Firestore values.

Firestore stores every JSON type natively (ints as 64-bit integers, so they stay ints)
except one shape: an array directly inside an array ("Cannot convert an array value in an
array value"). Such an inner array is stored as a one-key map {LIST_KEY: [...]}. So that a
user's own map of that exact shape inside an array cannot be mistaken for it, such maps are
wrapped once more as {MAP_KEY: {...}}. Only values inside arrays are ever rewritten;
top-level fields (the ones indexes and queries use) are stored as they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from adapters.ports import JSONDict

# Firestore reserves field names of the form __x__, so the markers are not of that form.
LIST_KEY = "_mlpoc_list"
MAP_KEY = "_mlpoc_map"
_MARKERS = ({LIST_KEY}, {MAP_KEY})
_INT64 = (-(2**63), 2**63 - 1)


def check_json(doc_id: str, data: object) -> None:
    """ValueError unless `data` is a dict of plain JSON values Firestore can hold."""
    if not isinstance(data, Mapping):
        raise ValueError(f"document data must be a dict, got {type(data).__name__}")
    _check(doc_id, data, "")


def _check(doc_id: str, value: object, path: str) -> None:
    if value is None or isinstance(value, str | bool):
        return
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"document {doc_id!r}: {path or 'value'} is outside 64-bit range")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"document {doc_id!r}: {path or 'value'} is not a finite number")
        return
    if isinstance(value, list | tuple):
        for n, item in enumerate(value):
            _check(doc_id, item, f"{path}[{n}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"document {doc_id!r}: map keys must be non-empty str: {key!r}")
            if len(key) >= 4 and key.startswith("__") and key.endswith("__"):
                raise ValueError(f"document {doc_id!r}: Firestore reserves key {key!r} (__x__)")
            _check(doc_id, item, f"{path}.{key}" if path else key)
        return
    raise ValueError(
        f"document {doc_id!r}: {path or 'value'} is a {type(value).__name__}, not a JSON type"
    )


def to_firestore(data: Mapping[str, Any]) -> JSONDict:
    return {key: _encode(value, in_array=False) for key, value in data.items()}


def from_firestore(data: Mapping[str, Any]) -> JSONDict:
    return {key: _decode(value, in_array=False) for key, value in data.items()}


def _encode(value: Any, *, in_array: bool) -> Any:
    if isinstance(value, list | tuple):
        items = [_encode(item, in_array=True) for item in value]
        return {LIST_KEY: items} if in_array else items
    if isinstance(value, Mapping):
        encoded = {key: _encode(item, in_array=False) for key, item in value.items()}
        return {MAP_KEY: encoded} if in_array and set(value) in _MARKERS else encoded
    return value


def _decode(value: Any, *, in_array: bool) -> Any:
    if isinstance(value, list):
        return [_decode(item, in_array=True) for item in value]
    if isinstance(value, Mapping):
        if in_array and set(value) == {LIST_KEY}:
            return _decode(value[LIST_KEY], in_array=False)
        if in_array and set(value) == {MAP_KEY}:
            value = value[MAP_KEY]
        return {key: _decode(item, in_array=False) for key, item in value.items()}
    return value
