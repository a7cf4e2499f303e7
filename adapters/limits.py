"""Portable ceilings, below every backend's own, enforced before anything is sent.

SQS allows 256 KiB per message (body plus attributes), Pub/Sub 10 MB; DynamoDB 400 KB per
item, Firestore about 1 MiB. Enforcing the lowest everywhere, local included, means a
payload that works on a laptop works on either cloud.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from adapters.errors import TooLarge

if TYPE_CHECKING:
    from adapters.ports import Collection

MAX_MESSAGE_BYTES = 256 * 1024
MAX_DOCUMENT_BYTES = 350_000
# Pub/Sub caps one ack-deadline extension at 600 s; SQS allows 12 h. Portable: 600.
MAX_LEASE_SECONDS = 600
# SQS caps a message's delivery delay at 900 s; Pub/Sub has no per-message delay.
MAX_RELEASE_DELAY_SECONDS = 600


def message_size(body: str, attributes: Mapping[str, str] | None = None) -> int:
    """Bytes counted against the message ceiling: UTF-8 body plus attribute names and values."""
    size = len(body.encode("utf-8"))
    for name, value in (attributes or {}).items():
        size += len(name.encode("utf-8")) + len(value.encode("utf-8"))
    return size


# SQS carries at most 10 message attributes and refuses empty values; Pub/Sub allows 100.
MAX_MESSAGE_ATTRIBUTES = 10


def check_message(body: str, attributes: Mapping[str, str] | None = None) -> None:
    """ValueError for a body or attributes some backend cannot carry (SQS refuses an empty
    body, an empty attribute value, more than 10 attributes); TooLarge past the ceiling."""
    if not isinstance(body, str) or not body:
        raise ValueError("message body must be a non-empty str")
    attributes = attributes or {}
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES:
        raise ValueError(
            f"at most {MAX_MESSAGE_ATTRIBUTES} message attributes, got {len(attributes)}"
        )
    for name, value in attributes.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError(f"message attributes must be str -> str: {name!r}={value!r}")
        if not name or not value:
            raise ValueError(f"message attribute names and values must be non-empty: {name!r}")
    size = message_size(body, attributes)
    if size > MAX_MESSAGE_BYTES:
        raise TooLarge(f"message is {size} bytes; the limit is {MAX_MESSAGE_BYTES} bytes")


def document_size(doc_id: str, data: Mapping[str, Any]) -> int:
    """Bytes counted against the document ceiling: the id plus compact JSON of the data."""
    encoded = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(doc_id.encode("utf-8")) + len(encoded.encode("utf-8"))


def check_document(doc_id: str, data: Mapping[str, Any], *, size: int | None = None) -> None:
    """TooLarge past the ceiling. `size`: `document_size` already computed by the caller."""
    if size is None:
        size = document_size(doc_id, data)
    if size > MAX_DOCUMENT_BYTES:
        raise TooLarge(
            f"document {doc_id!r} is {size} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes"
        )


def check_lease(seconds: float) -> None:
    if not 0 < seconds <= MAX_LEASE_SECONDS:
        raise ValueError(f"lease must be in (0, {MAX_LEASE_SECONDS}] seconds, got {seconds}")


def check_release_delay(seconds: float) -> None:
    """The delay of `JobQueue.release`: 0 (at once) up to the portable ceiling."""
    if not 0 <= seconds <= MAX_RELEASE_DELAY_SECONDS:
        raise ValueError(
            f"delay_seconds must be in [0, {MAX_RELEASE_DELAY_SECONDS}], got {seconds}"
        )


# SQS returns at most 10 messages per ReceiveMessage; the same ceiling everywhere.
MAX_RECEIVE_MESSAGES = 10


def check_receive(max_messages: int, lease_seconds: float, wait_seconds: float = 0) -> None:
    """The arguments of `JobQueue.receive` / `receive_dead_letters`, checked alike everywhere."""
    if not isinstance(max_messages, int) or not 1 <= max_messages <= MAX_RECEIVE_MESSAGES:
        raise ValueError(f"max_messages must be in 1..{MAX_RECEIVE_MESSAGES}, got {max_messages!r}")
    check_lease(lease_seconds)
    if wait_seconds < 0:
        raise ValueError(f"wait_seconds must be >= 0, got {wait_seconds}")


# Blob keys: S3 allows 1,024 bytes, GCS 1,024; '..' segments and a leading '/' would escape
# the data directory locally and mean different things on each cloud.
MAX_BLOB_KEY_BYTES = 1024
# Document ids: Firestore allows 1,500 bytes and no '/', DynamoDB 2,048 bytes.
MAX_DOC_ID_BYTES = 512


def check_blob_key(key: str) -> None:
    if not key or len(key.encode("utf-8")) > MAX_BLOB_KEY_BYTES:
        raise ValueError(f"blob key must be 1..{MAX_BLOB_KEY_BYTES} UTF-8 bytes: {key!r}")
    if key.startswith("/") or "\x00" in key or any(p in ("", ".", "..") for p in key.split("/")):
        raise ValueError(
            f"blob key must be '/'-separated non-empty segments, no '.' or '..': {key!r}"
        )


def check_doc_id(doc_id: str) -> None:
    if not doc_id or len(doc_id.encode("utf-8")) > MAX_DOC_ID_BYTES:
        raise ValueError(f"document id must be 1..{MAX_DOC_ID_BYTES} UTF-8 bytes: {doc_id!r}")
    if (
        "/" in doc_id
        or doc_id in (".", "..")
        or (doc_id.startswith("__") and doc_id.endswith("__"))
    ):
        raise ValueError(f"document id must not contain '/', be '.'/'..' or '__x__': {doc_id!r}")


def check_fields(data: Mapping[str, Any]) -> None:
    """Top-level field names starting with '_' are reserved for the adapters (version...)."""
    reserved = [name for name in data if name.startswith("_")]
    if reserved:
        raise ValueError(f"field names starting with '_' are reserved: {reserved}")


def check_index_keys(collection: Collection, data: Mapping[str, Any]) -> None:
    """Index key values every backend can index: a string key is a non-empty str, a number
    key a number (DynamoDB refuses anything else in a GSI key). None or absent leaves the
    document out of that index, on every backend."""
    for index in collection.indexes:
        for name, kind in ((index.field, "S"), (index.order_by, index.order_type)):
            value = data.get(name)
            if value is None:
                continue
            if kind == "S" and (not isinstance(value, str) or not value):
                raise ValueError(
                    f"{collection.name}.{name} is a key of index {index.name} and must be a "
                    f"non-empty string (or None), got {value!r}"
                )
            if kind == "N" and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(
                    f"{collection.name}.{name} is a key of index {index.name} and must be a "
                    f"number (or None), got {value!r}"
                )


def index_key_nulls(collection: Collection, data: Mapping[str, Any]) -> list[str]:
    """The index key fields of `data` that are None, in declaration order: a backend stores
    them apart (`naming.NULLS_FIELD`) so that no index sees them."""
    nulls: list[str] = []
    for index in collection.indexes:
        for name in (index.field, index.order_by):
            if name in data and data[name] is None and name not in nulls:
                nulls.append(name)
    return nulls


def check_document_write(
    collection: Collection, doc_id: str, data: Mapping[str, Any], *, size: int | None = None
) -> None:
    """Every check a document passes before any backend sends it: id, reserved fields,
    index keys, size. ValueError or TooLarge; nothing is written on failure. A caller that
    has already encoded the data as `document_size` does passes that `size`, sparing a
    second encoding."""
    check_doc_id(doc_id)
    if not isinstance(data, Mapping):
        raise ValueError(f"document data must be a dict, got {type(data).__name__}")
    check_fields(data)
    check_index_keys(collection, data)
    check_document(doc_id, data, size=size)
