"""Which JSON values every document store can hold, so a job's params are refused at enqueue
(422) on every backend rather than only where the store itself would refuse them.

DynamoDB is the narrowest: one decimal number type of at most 38 significant digits and a
magnitude of 1e-130 to 9.99...e125 (or 0); a float beyond that, or an integer of 39 digits,
makes PutItem fail, while the local store and Firestore keep it. Strings go over the wire as
UTF-8, which a lone surrogate ("\\ud800", valid in a Python str and in JSON) is not.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

MAX_INT = 10**38  # exclusive: 38 digits
MIN_MAGNITUDE = 1e-130
MAX_MAGNITUDE = (
    1e126  # exclusive: DynamoDB's largest is 9.9999999999999999999999999999999999999e125
)


def unstorable(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(path, what is wrong) for each part of a JSON value some backend cannot store;
    paths are dotted (`categorical.0`, a mapping's key by name)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) >= MAX_INT:
            yield where, f"integers have at most 38 digits (got {len(str(abs(value)))} digits)"
    elif isinstance(value, float):
        if not math.isfinite(value) or (
            value != 0 and not MIN_MAGNITUDE <= abs(value) < MAX_MAGNITUDE
        ):
            yield where, f"numbers are 0 or of magnitude 1e-130 to 1e126 (got {value!r})"
    elif isinstance(value, str):
        if not _is_unicode(value):
            yield where, "strings must be valid Unicode (a lone surrogate is not)"
    elif isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if not _is_unicode(str(key)):
                yield where or "params", "keys must be valid Unicode (a lone surrogate is not)"
            else:
                yield from unstorable(item, path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from unstorable(item, f"{where}.{index}" if where else str(index))


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
