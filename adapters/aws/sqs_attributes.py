"""Message attributes <-> SQS MessageAttributes.

SQS restricts attribute names (ASCII letters, digits, '_', '-', '.'; no leading, trailing or
doubled '.'; no 'AWS.'/'Amazon.' prefix; 256 characters), while the port allows any string,
as Pub/Sub and the local queue do. A name SQS cannot take is sent as `mlpoc.n.<base64url of
its UTF-8>` and decoded on receipt; every other name is sent as is, so other SQS tools see
ordinary attributes. What no encoding can fix is refused before sending: more than 10
attributes, or an empty value (SQS requires one).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

MAX_NAME_CHARS = 256
ENCODED_PREFIX = "mlpoc.n."
_NATIVE = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
_RESERVED_PREFIXES = ("aws.", "amazon.")


def _native(name: str) -> bool:
    lowered = name.lower()
    return (
        len(name) <= MAX_NAME_CHARS
        and _NATIVE.fullmatch(name) is not None
        and not lowered.startswith(_RESERVED_PREFIXES)
        and not name.startswith(ENCODED_PREFIX)
    )


def encode_name(name: str) -> str:
    if _native(name):
        return name
    encoded = base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii").rstrip("=")
    if len(ENCODED_PREFIX) + len(encoded) > MAX_NAME_CHARS:
        raise ValueError(f"message attribute name too long for SQS once encoded: {name!r}")
    return ENCODED_PREFIX + encoded


def decode_name(name: str) -> str:
    if not name.startswith(ENCODED_PREFIX):
        return name
    encoded = name.removeprefix(ENCODED_PREFIX)
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return name  # not ours: keep what the sender wrote


def to_sqs(attributes: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """SQS MessageAttributes for `attributes`, already checked by `limits.check_message`."""
    return {
        encode_name(name): {"DataType": "String", "StringValue": value}
        for name, value in attributes.items()
    }


def from_sqs(attributes: Mapping[str, Any]) -> dict[str, str]:
    """The attributes of a received message (String values; other types are not ours)."""
    return {
        decode_name(name): value["StringValue"]
        for name, value in attributes.items()
        if "StringValue" in value
    }
