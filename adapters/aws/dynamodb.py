"""DocumentStore on DynamoDB: one table per collection, one GSI per index.

Optimistic locking is a condition on `_version` (a fresh uuid4 hex on every write). On a
failed condition DynamoDB returns the old item (`ReturnValuesOnConditionCheckFailure`), which
tells a stale version (Conflict) from a missing document (NotFound) without a second read.

Pages: DynamoDB's LastEvaluatedKey is set whenever a page is full, even when nothing
follows, so each call asks for one item more than `limit` and builds the token from the last
item returned; `next_token` is then None exactly on the last page. Reads by id are strongly
consistent; queries on a GSI are eventually consistent (DynamoDB offers nothing else).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from adapters import limits
from adapters.aws.errors import error_code, translate_error, translated
from adapters.aws.items import (
    MAX_ITEM_BYTES,
    decode_token,
    encode_token,
    from_item,
    item_size,
    to_item,
)
from adapters.errors import BackendUnavailable, Conflict, NotFound, TooLarge
from adapters.naming import ID_ATTRIBUTE, VERSION_FIELD, table_name
from adapters.ports import Collection, Document, DocumentStore, Index, JSONDict, Page

BATCH_SIZE = 25  # BatchWriteItem's ceiling
BATCH_GET_SIZE = 100  # BatchGetItem's ceiling
BATCH_ATTEMPTS = 8
BATCH_BASE_DELAY = 0.05
BATCH_MAX_DELAY = 2.0
_CONDITION_FAILED = "ConditionalCheckFailedException"


class DynamoDocumentStore(DocumentStore):
    def __init__(self, client: Any, table_prefix: str, collections: Iterable[Collection]) -> None:
        self.client = client
        self.table_prefix = table_prefix
        self.collections = {collection.name: collection for collection in collections}

    def _table(self, collection: str) -> str:
        return table_name(self.table_prefix, self.collection(collection).name)

    # ------------------------------------------------------------------ single documents

    def _get(self, collection: Collection, doc_id: str) -> Document:
        table = self._table(collection.name)
        with translated(f"get {table}/{doc_id}"):
            response = self.client.get_item(TableName=table, Key=_key(doc_id), ConsistentRead=True)
        if "Item" not in response:
            raise NotFound(f"document {collection.name}/{doc_id} does not exist")
        return from_item(response["Item"])

    def _get_many(self, collection: Collection, doc_ids: list[str]) -> dict[str, Document]:
        table = self._table(collection.name)
        found: dict[str, Document] = {}
        for start in range(0, len(doc_ids), BATCH_GET_SIZE):
            for item in batch_get(self.client, table, doc_ids[start : start + BATCH_GET_SIZE]):
                document = from_item(item)
                found[document.id] = document
        return found

    def put(self, collection: str, doc_id: str, data: JSONDict) -> str:
        return self._write(collection, doc_id, data, condition=None)

    def create(self, collection: str, doc_id: str, data: JSONDict) -> str:
        return self._write(collection, doc_id, data, condition=None, create=True)

    def update(self, collection: str, doc_id: str, data: JSONDict, *, expected_version: str) -> str:
        return self._write(collection, doc_id, data, condition=expected_version)

    def _write(
        self,
        collection: str,
        doc_id: str,
        data: JSONDict,
        *,
        condition: str | None,
        create: bool = False,
    ) -> str:
        item, version = self._item(collection, doc_id, data)
        table = self._table(collection)
        request: dict[str, Any] = {"TableName": table, "Item": item}
        if create:
            request["ConditionExpression"] = "attribute_not_exists(#id)"
            request["ExpressionAttributeNames"] = {"#id": ID_ATTRIBUTE}
        elif condition is not None:
            request.update(_version_condition(condition))
        try:
            self.client.put_item(**request)
        except ClientError as exc:
            if error_code(exc) == _CONDITION_FAILED:
                if create:
                    raise Conflict(f"document {collection}/{doc_id} already exists") from exc
                raise _stale_or_missing(exc, collection, doc_id, condition) from exc
            raise translate_error(exc, f"write {table}/{doc_id}") from exc
        except BotoCoreError as exc:
            raise translate_error(exc, f"write {table}/{doc_id}") from exc
        return version

    def _delete(self, collection: Collection, doc_id: str, expected_version: str | None) -> None:
        table = self._table(collection.name)
        request: dict[str, Any] = {"TableName": table, "Key": _key(doc_id)}
        if expected_version is None:
            request["ConditionExpression"] = "attribute_exists(#id)"
            request["ExpressionAttributeNames"] = {"#id": ID_ATTRIBUTE}
        else:
            request.update(_version_condition(expected_version))
        try:
            self.client.delete_item(**request)
        except ClientError as exc:
            if error_code(exc) == _CONDITION_FAILED:
                raise _stale_or_missing(exc, collection.name, doc_id, expected_version) from exc
            raise translate_error(exc, f"delete {table}/{doc_id}") from exc
        except BotoCoreError as exc:
            raise translate_error(exc, f"delete {table}/{doc_id}") from exc

    def _item(self, collection: str, doc_id: str, data: JSONDict) -> tuple[JSONDict, str]:
        """Check a document like every backend does, then build its item and new version."""
        spec = self.collection(collection)
        limits.check_document_write(spec, doc_id, data)
        version = uuid.uuid4().hex
        item = to_item(spec, doc_id, data, version)
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise TooLarge(
                f"document {doc_id!r} is {size} bytes as a DynamoDB item; DynamoDB's limit is "
                f"{MAX_ITEM_BYTES} bytes"
            )
        return item, version

    # ------------------------------------------------------------------ queries

    def _query(
        self,
        collection: Collection,
        index: Index,
        value: str,
        descending: bool,
        limit: int,
        page_token: str | None,
    ) -> Page[Document]:
        table = self._table(collection.name)
        scope = f"{table}/{index.name}/{value}/{'desc' if descending else 'asc'}"
        if not value:
            # A GSI cannot hold an empty-string key, so nothing can match (and DynamoDB
            # would refuse the query).
            return Page(items=[])
        request: dict[str, Any] = {
            "TableName": table,
            "IndexName": index.name,
            "KeyConditionExpression": "#f = :v",
            "ExpressionAttributeNames": {"#f": index.field},
            "ExpressionAttributeValues": {":v": {"S": value}},
            "ScanIndexForward": not descending,
            "Limit": limit + 1,
        }
        if page_token:
            request["ExclusiveStartKey"] = decode_token(scope, page_token)
        with translated(f"query {table} on {index.name}"):
            response = self.client.query(**request)
        return _page(response, limit, scope, index)

    def _scan(self, collection: Collection, limit: int, page_token: str | None) -> Page[Document]:
        table = self._table(collection.name)
        request: dict[str, Any] = {"TableName": table, "Limit": limit + 1, "ConsistentRead": True}
        if page_token:
            request["ExclusiveStartKey"] = decode_token(table, page_token)
        with translated(f"scan {table}"):
            response = self.client.scan(**request)
        return _page(response, limit, table, None)

    # ------------------------------------------------------------------ batches

    def put_many(self, collection: str, docs: Iterable[tuple[str, JSONDict]]) -> int:
        # Every document is checked and converted before the first is sent.
        items = [self._item(collection, doc_id, data)[0] for doc_id, data in docs]
        batch_write(self.client, self._table(collection), items)
        return len(items)

    def _delete_many(self, collection: Collection, doc_ids: list[str]) -> None:
        requests = [({"DeleteRequest": {"Key": _key(doc_id)}}, doc_id) for doc_id in doc_ids]
        _send_batches(self.client, self._table(collection.name), requests)


def batch_write(
    client: Any,
    table: str,
    items: list[JSONDict],
    *,
    max_attempts: int = BATCH_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Write `items` with BatchWriteItem, 25 at a time, retrying UnprocessedItems with
    exponential backoff; BackendUnavailable if some are still unprocessed after
    `max_attempts` calls for one chunk. Later duplicates of an id win, as with put."""
    requests = [({"PutRequest": {"Item": item}}, item[ID_ATTRIBUTE]["S"]) for item in items]
    _send_batches(client, table, requests, max_attempts=max_attempts, sleep=sleep)


def _send_batches(
    client: Any,
    table: str,
    requests: list[tuple[JSONDict, str]],
    *,
    max_attempts: int = BATCH_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """BatchWriteItem over (request, document id) pairs: puts or deletes, in chunks."""

    def send(pending: list[JSONDict]) -> list[JSONDict]:
        with translated(f"batch write {table}"):
            response = client.batch_write_item(RequestItems={table: pending})
        return list(response.get("UnprocessedItems", {}).get(table, []))

    for chunk in _chunks(requests):
        _until_processed(send, chunk, f"batch write {table}", "items", max_attempts, sleep)


def batch_get(
    client: Any,
    table: str,
    doc_ids: list[str],
    *,
    max_attempts: int = BATCH_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[JSONDict]:
    """Read up to 100 distinct ids with BatchGetItem (strongly consistent, as `get`),
    retrying UnprocessedKeys with exponential backoff; BackendUnavailable if some are still
    unprocessed after `max_attempts` calls. Absent ids are simply not returned."""
    items: list[JSONDict] = []

    def send(keys: list[JSONDict]) -> list[JSONDict]:
        request = {table: {"Keys": keys, "ConsistentRead": True}}
        with translated(f"batch get {table}"):
            response = client.batch_get_item(RequestItems=request)
        items.extend(response.get("Responses", {}).get(table, []))
        return list((response.get("UnprocessedKeys", {}).get(table) or {}).get("Keys", []))

    keys = [_key(doc_id) for doc_id in doc_ids]
    _until_processed(send, keys, f"batch get {table}", "keys", max_attempts, sleep)
    return items


def _until_processed(
    send: Callable[[list[JSONDict]], list[JSONDict]],
    pending: list[JSONDict],
    what: str,
    noun: str,
    max_attempts: int,
    sleep: Callable[[float], None],
) -> None:
    """Call `send` with what is still pending (it returns what the backend left
    unprocessed) until nothing is left, with jittered exponential backoff in between;
    BackendUnavailable after `max_attempts` calls."""
    for attempt in range(max_attempts):
        if attempt:
            delay = min(BATCH_MAX_DELAY, BATCH_BASE_DELAY * 2 ** (attempt - 1))
            sleep(delay * random.uniform(0.5, 1.0))
        pending = send(pending)
        if not pending:
            return
    raise BackendUnavailable(
        f"{what}: {len(pending)} {noun} still unprocessed after {max_attempts} attempts (throttled)"
    )


def _chunks(requests: list[tuple[JSONDict, str]]) -> Iterable[list[JSONDict]]:
    """Chunks of at most BATCH_SIZE with no id twice (BatchWriteItem refuses duplicates);
    order is kept, so a later write of an id lands after an earlier one."""
    chunk: list[JSONDict] = []
    ids: set[str] = set()
    for request, doc_id in requests:
        if len(chunk) == BATCH_SIZE or doc_id in ids:
            yield chunk
            chunk, ids = [], set()
        chunk.append(request)
        ids.add(doc_id)
    if chunk:
        yield chunk


def _page(response: Mapping[str, Any], limit: int, scope: str, index: Index | None) -> Page[Any]:
    raw = response.get("Items", [])
    next_token = None
    if len(raw) > limit:
        raw = raw[:limit]
        next_token = encode_token(scope, _start_key(raw[-1], index))
    elif "LastEvaluatedKey" in response:
        # DynamoDB stopped early (1 MB per call): there may be more.
        next_token = encode_token(scope, response["LastEvaluatedKey"])
    return Page(items=[from_item(item) for item in raw], next_token=next_token)


def _start_key(item: Mapping[str, Any], index: Index | None) -> dict[str, Any]:
    """The ExclusiveStartKey that resumes right after `item` (table key + index keys)."""
    names = [ID_ATTRIBUTE] + ([index.field, index.order_by] if index else [])
    return {name: item[name] for name in names}


def _key(doc_id: str) -> dict[str, Any]:
    return {ID_ATTRIBUTE: {"S": doc_id}}


def _version_condition(expected_version: str) -> dict[str, Any]:
    if not isinstance(expected_version, str) or not expected_version:
        raise ValueError(f"expected_version must be a version string, got {expected_version!r}")
    return {
        "ConditionExpression": "#v = :expected",
        "ExpressionAttributeNames": {"#v": VERSION_FIELD},
        "ExpressionAttributeValues": {":expected": {"S": expected_version}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _stale_or_missing(
    exc: ClientError, collection: str, doc_id: str, expected: str | None
) -> Exception:
    if exc.response.get("Item"):
        return Conflict(
            f"document {collection}/{doc_id} is not at version {expected!r} (stale version)"
        )
    return NotFound(f"document {collection}/{doc_id} does not exist")
