"""DocumentStore on Firestore (native mode): one collection per declared collection.

A stored document is the data's fields plus `_version` (a fresh uuid4 hex on every write),
in collection `naming.table_name(table_prefix, name)`.

- Optimistic locking: update/delete read the document, compare `_version`, then write with
  a `last_update_time` precondition equal to the update time just read. Firestore refuses
  the write (FAILED_PRECONDITION -> Conflict) if anything wrote in between, so of two
  racing updates with the same expectation exactly one wins, without a transaction's
  extra round trips and lock waits.
- A replacing write under a precondition has to be an `update` (set takes none): every new
  field is written whole and every field the new data lacks is deleted.
- Queries: `where(field == value).order_by(order_by).order_by(__name__)`, the `__name__`
  tiebreak making pagination exact when order values repeat. Real Firestore needs a
  composite index (field ASC, order_by ASC|DESC) for each; the infra stack builds them.
- put_many validates and encodes every document before the first commit, so a bad document
  anywhere writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from google.cloud.firestore_v1 import DELETE_FIELD, FieldFilter, Query
from google.cloud.firestore_v1.field_path import FieldPath
from google.cloud.firestore_v1.types import document as document_pb
from google.cloud.firestore_v1.types import write as write_pb
from google.protobuf import struct_pb2

from adapters.errors import Conflict, NotFound
from adapters.gcp.clients import CALL_TIMEOUT_SECONDS, GRPC_RETRY
from adapters.gcp.errors import translated
from adapters.gcp.firestore_values import check_json, from_firestore, to_firestore
from adapters.limits import check_doc_id, check_document_write, index_key_nulls
from adapters.naming import NULLS_FIELD, VERSION_FIELD, table_name
from adapters.pagination import decode_cursor, encode_token
from adapters.ports import Collection, Document, DocumentStore, Index, JSONDict, Page

if TYPE_CHECKING:
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_document import DocumentSnapshot
    from google.cloud.firestore_v1.document import DocumentReference

# Firestore: at most 500 writes and 10 MiB per commit; stay clear of the byte limit.
BATCH_WRITES = 500
BATCH_BYTES = 8 * 1024 * 1024
_CALL: dict[str, Any] = {"retry": GRPC_RETRY, "timeout": CALL_TIMEOUT_SECONDS}


class FirestoreDocumentStore(DocumentStore):
    """`operator_client`, if given, holds the operator-written collections (a database of
    their own, so that IAM can grant the runtime read-only access to them alone)."""

    def __init__(
        self,
        client: firestore.Client,
        table_prefix: str,
        collections: Iterable[Collection],
        *,
        operator_client: firestore.Client | None = None,
    ) -> None:
        self.client = client
        self.operator_client = operator_client
        self.table_prefix = table_prefix
        self.collections = {c.name: c for c in collections}

    def _client(self, collection: str) -> firestore.Client:
        if self.operator_client is not None and self.collection(collection).operator_written:
            return self.operator_client
        return self.client

    # ------------------------------------------------------------------ single documents

    def _get(self, collection: Collection, doc_id: str) -> Document:
        ref = self._ref(collection.name, doc_id)
        with translated(f"getting {ref.path}"):
            snapshot = ref.get(**_CALL)
        if not snapshot.exists:
            raise NotFound(f"document {collection.name}/{doc_id} not found")
        return _document(snapshot)

    def _get_many(self, collection: Collection, doc_ids: list[str]) -> dict[str, Document]:
        refs = [self._ref(collection.name, doc_id) for doc_id in doc_ids]
        with translated(f"getting {len(refs)} documents of {collection.name}"):
            snapshots = list(self._client(collection.name).get_all(refs, **_CALL))
        return {s.id: _document(s) for s in snapshots if s.exists}

    def put(self, collection: str, doc_id: str, data: JSONDict) -> str:
        ref = self._ref(collection, doc_id)
        stored, version = _stored(self.collection(collection), doc_id, data)
        with translated(f"putting {ref.path}"):
            ref.set(stored, **_CALL)
        return version

    def create(self, collection: str, doc_id: str, data: JSONDict) -> str:
        ref = self._ref(collection, doc_id)
        stored, version = _stored(self.collection(collection), doc_id, data)
        with translated(f"creating {ref.path}"):  # ALREADY_EXISTS -> Conflict
            ref.create(stored, **_CALL)
        return version

    def update(self, collection: str, doc_id: str, data: JSONDict, *, expected_version: str) -> str:
        ref = self._ref(collection, doc_id)
        stored, version = _stored(self.collection(collection), doc_id, data)
        with translated(f"updating {ref.path}"):
            current = self._current(ref, collection, doc_id, expected_version)
            fields: dict[str, Any] = {_quoted(name): value for name, value in stored.items()}
            for name in _fields(current).keys() - stored.keys():
                fields[_quoted(name)] = DELETE_FIELD
            ref.update(fields, option=self._unchanged_since(current), **_CALL)
        return version

    def _delete(self, collection: Collection, doc_id: str, expected_version: str | None) -> None:
        ref = self._ref(collection.name, doc_id)
        with translated(f"deleting {ref.path}"):
            if expected_version is None:
                ref.delete(option=self.client.write_option(exists=True), **_CALL)
            else:
                current = self._current(ref, collection.name, doc_id, expected_version)
                ref.delete(option=self._unchanged_since(current), **_CALL)

    # ------------------------------------------------------------------ many documents

    def _query(
        self,
        collection: Collection,
        index: Index,
        value: str,
        descending: bool,
        limit: int,
        page_token: str | None,
    ) -> Page[Document]:
        direction = Query.DESCENDING if descending else Query.ASCENDING
        query = (
            self._collection_ref(collection.name)
            .where(filter=FieldFilter(_quoted(index.field), "==", value))
            .order_by(_quoted(index.order_by), direction=direction)
            .order_by("__name__", direction=direction)
        )
        if page_token is not None:
            last_order, last_id = decode_cursor(page_token, 2)
            query = query.start_after([last_order, last_id])
        with translated(f"querying {collection.name} by {index.field}"):
            snapshots = list(query.limit(limit + 1).stream(**_CALL))
        return _page(snapshots, limit, lambda last: [_fields(last).get(index.order_by), last.id])

    def _scan(self, collection: Collection, limit: int, page_token: str | None) -> Page[Document]:
        query = self._collection_ref(collection.name).order_by("__name__")
        if page_token is not None:
            (last_id,) = decode_cursor(page_token, 1)
            query = query.start_after({"__name__": last_id})
        with translated(f"scanning {collection.name}"):
            snapshots = list(query.limit(limit + 1).stream(**_CALL))
        return _page(snapshots, limit, lambda last: [last.id])

    def put_many(self, collection: str, docs: Iterable[tuple[str, JSONDict]]) -> int:
        declared = self.collection(collection)
        # Every document is checked and encoded before the first commit.
        writes = []
        for doc_id, data in docs:
            ref = self._ref(collection, doc_id)
            stored, _ = _stored(declared, doc_id, data)
            writes.append(_set_write(ref._document_path, stored))
        batches: list[list[Any]] = []
        batch: list[Any] = []
        batch_bytes = 0
        for write in writes:
            size = write.ByteSize()  # what the write adds to the commit request
            if len(batch) >= BATCH_WRITES or (batch and batch_bytes + size > BATCH_BYTES):
                batches.append(batch)
                batch, batch_bytes = [], 0
            batch.append(write)
            batch_bytes += size
        if batch:
            batches.append(batch)
        with translated(f"writing {len(writes)} documents to {collection}"):
            for batch in batches:
                commit = self._client(collection).batch()
                # The SDK's hook for ready-made Write messages (its own subclasses use it).
                commit._add_write_pbs([write_pb.Write.wrap(write) for write in batch])
                commit.commit(**_CALL)
        return len(writes)

    def _delete_many(self, collection: Collection, doc_ids: list[str]) -> None:
        refs = [self._ref(collection.name, doc_id) for doc_id in doc_ids]
        with translated(f"deleting {len(refs)} documents from {collection.name}"):
            for start in range(0, len(refs), BATCH_WRITES):
                commit = self._client(collection.name).batch()
                for ref in refs[start : start + BATCH_WRITES]:
                    commit.delete(ref)  # no precondition: an absent document is skipped
                commit.commit(**_CALL)

    # ------------------------------------------------------------------ helpers

    def _collection_ref(self, collection: str) -> firestore.CollectionReference:
        return self._client(collection).collection(table_name(self.table_prefix, collection))

    def _ref(self, collection: str, doc_id: str) -> DocumentReference:
        self.collection(collection)  # ValueError if undeclared
        check_doc_id(doc_id)
        return self._collection_ref(collection).document(doc_id)

    def _current(
        self, ref: DocumentReference, collection: str, doc_id: str, expected_version: str
    ) -> DocumentSnapshot:
        snapshot = ref.get(**_CALL)
        if not snapshot.exists:
            raise NotFound(f"document {collection}/{doc_id} not found")
        if _fields(snapshot).get(VERSION_FIELD) != expected_version:
            raise Conflict(
                f"document {collection}/{doc_id} changed: version is not {expected_version!r}"
            )
        return snapshot

    def _unchanged_since(self, snapshot: DocumentSnapshot) -> Any:
        return self.client.write_option(last_update_time=snapshot.update_time)


def _stored(collection: Collection, doc_id: str, data: JSONDict) -> tuple[JSONDict, str]:
    """Validate `data` (ValueError/TooLarge, before anything is sent); the document to store
    and its new version."""
    check_document_write(collection, doc_id, data)
    check_json(doc_id, data)
    version = uuid.uuid4().hex
    # A null index key would be ordered first by Firestore; on every backend it keeps the
    # document out of the index instead, so it is stored apart (naming.NULLS_FIELD).
    nulls = index_key_nulls(collection, data)
    kept = {name: value for name, value in data.items() if name not in nulls}
    stored = {**to_firestore(kept), VERSION_FIELD: version}
    if nulls:
        stored[NULLS_FIELD] = nulls
    return stored, version


# Writes for put_many are built as raw protobuf messages: the SDK's own encoding goes
# through proto-plus wrappers and cost about five times as much per document, which
# dominated batch writes. The result is the same message the SDK builds for `set` of
# plain JSON values (no transforms, no merge, no precondition).
_VALUE = document_pb.Value.pb()
_ARRAY = document_pb.ArrayValue.pb()
_MAP = document_pb.MapValue.pb()
_DOCUMENT = document_pb.Document.pb()
_WRITE = write_pb.Write.pb()


def _set_write(path: str, stored: JSONDict) -> Any:
    """The raw `Write` of `set(stored)` on the document at `path`."""
    return _WRITE(update=_DOCUMENT(name=path, fields=_encode_fields(stored)))


def _encode_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _encode_value(value) for key, value in values.items()}


def _encode_value(value: Any) -> Any:
    # The JSON subset that check_json admits, in the order the SDK's encode_value tests
    # types (bool before int: a bool is an int).
    if value is None:
        return _VALUE(null_value=struct_pb2.NULL_VALUE)
    if isinstance(value, bool):
        return _VALUE(boolean_value=value)
    if isinstance(value, int):
        return _VALUE(integer_value=value)
    if isinstance(value, float):
        return _VALUE(double_value=value)
    if isinstance(value, str):
        return _VALUE(string_value=value)
    if isinstance(value, list | tuple):
        return _VALUE(array_value=_ARRAY(values=[_encode_value(item) for item in value]))
    if isinstance(value, Mapping):
        return _VALUE(map_value=_MAP(fields=_encode_fields(value)))
    raise ValueError(f"not a JSON value: {type(value).__name__}")


def _fields(snapshot: DocumentSnapshot) -> dict[str, Any]:
    return dict(snapshot.to_dict() or {})


def _document(snapshot: DocumentSnapshot) -> Document:
    stored = _fields(snapshot)
    version = stored.pop(VERSION_FIELD, "")
    nulls = stored.pop(NULLS_FIELD, [])
    data = from_firestore(stored)
    data.update(dict.fromkeys(nulls))
    return Document(id=snapshot.id, data=data, version=str(version))


def _page(snapshots: list[DocumentSnapshot], limit: int, cursor: Any) -> Page[Document]:
    items = [_document(s) for s in snapshots[:limit]]
    token = encode_token(cursor(snapshots[limit - 1])) if len(snapshots) > limit else None
    return Page(items, next_token=token)


def _quoted(name: str) -> str:
    """A top-level field name as a Firestore field path (dots, spaces... taken literally)."""
    return str(FieldPath(name).to_api_repr())
