"""Page limits and opaque page tokens, the same on every backend.

A token is URL-safe base64 (unpadded) of compact JSON: what a backend needs to resume
(the last row's sort value and id, or DynamoDB's start key). Callers treat it as opaque;
a token that does not decode is a ValueError, never a backend error.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

# One page holds at most this many items on every backend: S3's and GCS's listing ceiling,
# and a bound for Firestore and SQLite so one call cannot pull a whole collection.
MAX_PAGE_LIMIT = 1000


def check_limit(limit: int, name: str = "limit") -> None:
    """A page size (`limit` of a query or scan, `page_size` of a listing): 1..1000."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_LIMIT:
        raise ValueError(f"{name} must be in 1..{MAX_PAGE_LIMIT}, got {limit!r}")


def encode_token(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_token(token: str) -> Any:
    """The value inside a token from `encode_token`; ValueError for anything else."""
    try:
        padded = token + "=" * (-len(token) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (AttributeError, TypeError, UnicodeError, binascii.Error, ValueError):
        raise ValueError(f"invalid page token: {token!r}") from None


def decode_cursor(token: str, length: int) -> list[Any]:
    """A token holding a list of `length` values (sort value(s), then the last id)."""
    values = decode_token(token)
    if (
        not isinstance(values, list)
        or len(values) != length
        or not isinstance(values[-1], str)
        or any(isinstance(v, float) and not math.isfinite(v) for v in values)
    ):
        raise ValueError(f"invalid page token: {token!r}")
    return values
