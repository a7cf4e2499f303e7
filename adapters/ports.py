"""The three ports: BlobStore, JobQueue, DocumentStore.

Everything above `adapters/` (the worker, the registry, the API) is written against these
abstract classes only. Each backend (local, aws, gcp) implements all three, and one contract
suite (`tests/contract/`) runs the same test bodies against every implementation.

Shared rules, so that behaviour does not depend on the cloud:
- Errors are the ones in `adapters.errors`: `NotFound`, `Conflict`, `TooLarge`,
  `BackendUnavailable`, `ConfigurationError` (access denied included), `ValueError` for bad
  input; never an SDK exception. The table in `adapters.errors` maps faults to them.
- Size ceilings (`adapters.limits`) are checked before anything is sent.
- Pagination is a `Page` with an opaque `next_token`; `None` means the last page.
- Argument checks live here, once (kombu style): each public method checks its arguments
  the same way for every backend, then calls a small hook (`_put`, `_receive`, `_query`...)
  that the backend fills in. A backend never sees an argument the contract refuses.
"""

from __future__ import annotations

import abc
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Generic, Literal, TypeVar

from adapters import limits
from adapters.errors import Conflict, NotFound
from adapters.naming import ID_ATTRIBUTE
from adapters.pagination import MAX_PAGE_LIMIT, check_limit

T = TypeVar("T")

JSONDict = dict[str, Any]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results; pass `next_token` back to get the next one (None: no more)."""

    items: list[T]
    next_token: str | None = None


def iter_pages(fetch: Callable[[str | None], Page[T]]) -> Iterator[Page[T]]:
    """Every page, first to last: `fetch(token)` returns the page after `token` (None: the
    first). The one pagination loop; the ports' `iter*` methods and the CLI use it."""
    token: str | None = None
    while True:
        page = fetch(token)
        yield page
        token = page.next_token
        if token is None:
            return


def iter_items(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of every page (see `iter_pages`)."""
    for page in iter_pages(fetch):
        yield from page.items


# --------------------------------------------------------------------------- blobs


@dataclass(frozen=True)
class BlobInfo:
    """What a put returns and a listing yields. `sha256` is the hex digest of the content;
    listings may leave it None (S3 and GCS do not return it without a per-object call)."""

    key: str
    size: int
    sha256: str | None = None


class BlobStore(abc.ABC):
    """Binary objects by key (an S3 bucket, a GCS bucket, a directory).

    Keys are '/'-separated UTF-8 strings without a leading '/' and without '.'/'..'
    segments (`limits.check_blob_key`; a bad key is a ValueError on every backend).
    """

    def put(
        self,
        key: str,
        data: bytes | IO[bytes],
        *,
        create_only: bool = False,
        content_type: str | None = None,
    ) -> BlobInfo:
        """Store `data` (bytes, or a binary file object read to its end) under `key`.

        With `create_only`, raise `Conflict` if the key exists; the check is atomic on the
        backend (S3 `IfNoneMatch`, GCS `if_generation_match=0`, a hard link locally), so
        two writers racing for one key get exactly one success.
        Returns the stored size and SHA-256 of the content.
        """
        limits.check_blob_key(key)
        return self._put(key, data, create_only=create_only, content_type=content_type)

    def get(self, key: str) -> bytes:
        """The whole content of `key`; `NotFound` if absent."""
        limits.check_blob_key(key)
        return self._get(key)

    def open(self, key: str) -> IO[bytes]:
        """A readable binary stream of `key` (use as a context manager); `NotFound` if absent."""
        limits.check_blob_key(key)
        return self._open(key)

    def exists(self, key: str) -> bool:
        """Whether `key` exists."""
        limits.check_blob_key(key)
        return self._exists(key)

    def list(
        self, prefix: str = "", *, page_size: int = 1000, page_token: str | None = None
    ) -> Page[BlobInfo]:
        """Keys starting with `prefix`, in lexicographic order, one page at a time
        (`page_size` 1..1000, the ceiling S3 and GCS share)."""
        check_limit(page_size, "page_size")
        if page_token is not None and not isinstance(page_token, str):
            raise ValueError(f"invalid page token: {page_token!r}")
        return self._list(prefix, page_size, page_token)

    def delete(self, key: str) -> None:
        """Remove `key`. Deleting a missing key is not an error (as on S3 and GCS)."""
        limits.check_blob_key(key)
        self._delete(key)

    def iter(self, prefix: str = "", *, page_size: int = 1000) -> Iterator[BlobInfo]:
        """Every key under `prefix`, following pagination."""
        return iter_items(lambda token: self.list(prefix, page_size=page_size, page_token=token))

    # The backend's hooks, called with checked arguments.

    @abc.abstractmethod
    def _put(
        self, key: str, data: bytes | IO[bytes], *, create_only: bool, content_type: str | None
    ) -> BlobInfo: ...

    @abc.abstractmethod
    def _get(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def _open(self, key: str) -> IO[bytes]: ...

    @abc.abstractmethod
    def _exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def _list(self, prefix: str, page_size: int, page_token: str | None) -> Page[BlobInfo]: ...

    @abc.abstractmethod
    def _delete(self, key: str) -> None: ...


# --------------------------------------------------------------------------- queue


@dataclass(frozen=True)
class Message:
    """A received message. `delivery_count` is 1 on first delivery and grows on each
    redelivery (lease expiry or release). `receipt` is the backend's handle for this
    delivery: ack/extend/release take the whole Message."""

    id: str
    body: str
    attributes: dict[str, str]
    delivery_count: int
    receipt: str = field(repr=False)
    dead_letter: bool = False


class JobQueue(abc.ABC):
    """At-least-once work queue with leases and a dead-letter queue.

    A received message is invisible to other consumers for its lease. It is delivered again
    when the lease expires or it is released; after `max_deliveries` deliveries without an
    ack it moves to the dead-letter queue with its body intact.
    """

    max_deliveries: int

    def send(self, body: str, attributes: Mapping[str, str] | None = None) -> str:
        """Enqueue; returns the message id. The body is a non-empty str; at most 10
        attributes, str to non-empty str (ValueError otherwise). `TooLarge` past 256 KiB
        (body + attributes), checked before sending."""
        attrs = dict(attributes or {})
        limits.check_message(body, attrs)
        return self._send(body, attrs)

    def receive(
        self, max_messages: int = 1, *, lease_seconds: float = 60, wait_seconds: float = 0
    ) -> list[Message]:
        """Up to `max_messages` (1..10) messages, each leased for `lease_seconds` (<= 600).

        Waits up to `wait_seconds` for a first message (long polling); may return fewer
        than asked, or none.
        """
        limits.check_receive(max_messages, lease_seconds, wait_seconds)
        return self._receive(max_messages, lease_seconds, wait_seconds)

    def extend(self, message: Message, lease_seconds: float) -> None:
        """Make the lease end `lease_seconds` (<= 600) from now. Raises `NotFound` where the
        backend can tell the lease was lost (local, SQS); Pub/Sub cannot tell and ignores it."""
        limits.check_lease(lease_seconds)
        self._extend(message, lease_seconds)

    @abc.abstractmethod
    def ack(self, message: Message) -> None:
        """Remove the message for good (it will not be delivered again)."""

    def release(self, message: Message, *, delay_seconds: float = 0) -> None:
        """Give the message back: visible again after `delay_seconds` (0..600; 0: at once).
        Counts as a failed delivery towards `max_deliveries`."""
        limits.check_release_delay(delay_seconds)
        self._release(message, delay_seconds)

    def receive_dead_letters(
        self, max_messages: int = 10, *, lease_seconds: float = 60
    ) -> list[Message]:
        """Messages from the dead-letter queue (`dead_letter=True`), leased like `receive`;
        ack one to drop it, or let the lease lapse to leave it there."""
        limits.check_receive(max_messages, lease_seconds)
        return self._receive_dead_letters(max_messages, lease_seconds)

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise `BackendUnavailable` (or `ConfigurationError`) if the queue cannot be
        reached: one cheap call that leases and sends nothing (readiness checks use it)."""

    @abc.abstractmethod
    def purge_dead_letters(self) -> int:
        """Drop every message in the dead-letter queue; returns how many were dropped where
        the backend can tell (otherwise -1)."""

    # The backend's hooks, called with checked arguments.

    @abc.abstractmethod
    def _send(self, body: str, attributes: dict[str, str]) -> str: ...

    @abc.abstractmethod
    def _receive(
        self, max_messages: int, lease_seconds: float, wait_seconds: float
    ) -> list[Message]: ...

    @abc.abstractmethod
    def _extend(self, message: Message, lease_seconds: float) -> None: ...

    @abc.abstractmethod
    def _release(self, message: Message, delay_seconds: float) -> None: ...

    @abc.abstractmethod
    def _receive_dead_letters(self, max_messages: int, lease_seconds: float) -> list[Message]: ...


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Index:
    """A query the runtime makes: equality on `field`, ordered by `order_by`.

    Backends build what the query needs from this: a DynamoDB GSI (partition key `field`,
    sort key `order_by`), a Firestore composite index, a SQLite expression index. Values of
    `field` are strings; values of `order_by` are strings or numbers as `order_type` says.
    Documents without `field` are not in the index.
    """

    field: str
    order_by: str
    order_type: Literal["S", "N"] = "S"

    @property
    def name(self) -> str:
        return f"by_{self.field}_{self.order_by}"


@dataclass(frozen=True)
class Collection:
    """A named set of documents and the indexes queries may use. `operator_written`: only
    operators write it, with their own credentials; deployed, the runtime may only read it (a
    backend whose IAM cannot tell collections apart keeps it in a store of its own)."""

    name: str
    indexes: tuple[Index, ...] = ()
    operator_written: bool = False

    def key_types(self) -> dict[str, str]:
        """Every key attribute with its type ("S" or "N"): the document id (S) and each
        field an index keys on, as a DynamoDB table declares them. A field keyed with two
        types is a schema error (ValueError)."""
        types: dict[str, str] = {ID_ATTRIBUTE: "S"}
        for index in self.indexes:
            for name, kind in ((index.field, "S"), (index.order_by, index.order_type)):
                if types.setdefault(name, kind) != kind:
                    raise ValueError(
                        f"collection {self.name!r}: field {name!r} is indexed as both "
                        f"{types[name]} and {kind}"
                    )
        return types

    def index_for(self, field_name: str) -> Index:
        for index in self.indexes:
            if index.field == field_name:
                return index
        raise ValueError(f"collection {self.name!r} has no index on field {field_name!r}")


@dataclass(frozen=True)
class Document:
    """A stored document. `version` is an opaque token that changes on every write; pass it
    back to `update`/`delete` as `expected_version` for optimistic locking."""

    id: str
    data: JSONDict
    version: str


# Compare-and-swap: how often `DocumentStore.modify` re-reads after losing a race, and how
# long it waits in between (jittered, doubling up to the cap) so racers spread out.
MODIFY_ATTEMPTS = 20
MODIFY_BACKOFF_SECONDS = 0.005
MODIFY_BACKOFF_MAX_SECONDS = 0.2


class DocumentStore(abc.ABC):
    """JSON documents by (collection, id) with optimistic locking and indexed queries.

    Data values are JSON types (str, int, float, bool, None, list, dict). Field names
    starting with '_' are reserved for the adapters (`limits.check_fields`), ids follow
    `limits.check_doc_id`; both are ValueErrors. Collections are declared up front
    (`collections`), because DynamoDB tables and Firestore indexes are built from them.
    Writes check their documents in the backend (`limits.check_document_write`), where the
    check shares the encoding the backend sends.
    """

    collections: Mapping[str, Collection]

    def get(self, collection: str, doc_id: str) -> Document:
        """The document; `NotFound` if absent."""
        declared = self.collection(collection)
        limits.check_doc_id(doc_id)
        return self._get(declared, doc_id)

    def get_many(self, collection: str, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The documents among `doc_ids` that exist, by id: an absent id is simply not in
        the result. At most 1000 ids (a repeated id is read once); reads are as consistent
        as `get`. One round trip per backend batch (DynamoDB: 100 keys, Firestore: one
        call), not one per id."""
        declared = self.collection(collection)
        unique = list(dict.fromkeys(doc_ids))
        if len(unique) > MAX_PAGE_LIMIT:
            raise ValueError(f"get_many takes at most {MAX_PAGE_LIMIT} ids, got {len(unique)}")
        for doc_id in unique:
            limits.check_doc_id(doc_id)
        return self._get_many(declared, unique) if unique else {}

    @abc.abstractmethod
    def put(self, collection: str, doc_id: str, data: JSONDict) -> str:
        """Write unconditionally (create or replace); returns the new version."""

    @abc.abstractmethod
    def create(self, collection: str, doc_id: str, data: JSONDict) -> str:
        """Write only if absent; `Conflict` if the id exists. Returns the version."""

    @abc.abstractmethod
    def update(self, collection: str, doc_id: str, data: JSONDict, *, expected_version: str) -> str:
        """Replace only if the stored version is `expected_version`; `Conflict` if not,
        `NotFound` if absent. Returns the new version. Of two racing updates with the same
        expectation exactly one succeeds."""

    def delete(self, collection: str, doc_id: str, *, expected_version: str | None = None) -> None:
        """Remove; `NotFound` if absent, `Conflict` if `expected_version` is given and stale."""
        declared = self.collection(collection)
        limits.check_doc_id(doc_id)
        self._delete(declared, doc_id, expected_version)

    def query(
        self,
        collection: str,
        field: str,
        value: str,
        *,
        descending: bool = False,
        limit: int = 100,
        page_token: str | None = None,
    ) -> Page[Document]:
        """Documents whose `field` equals `value`, ordered by the index's `order_by`
        (`limit` 1..1000)."""
        declared = self.collection(collection)
        index = declared.index_for(field)
        if not isinstance(value, str):
            raise ValueError(f"query value must be a str, got {type(value).__name__}")
        check_limit(limit)
        return self._query(declared, index, value, descending, limit, page_token)

    def scan(
        self, collection: str, *, limit: int = 100, page_token: str | None = None
    ) -> Page[Document]:
        """Every document of the collection, in no promised order, one page at a time
        (`limit` 1..1000)."""
        declared = self.collection(collection)
        check_limit(limit)
        return self._scan(declared, limit, page_token)

    @abc.abstractmethod
    def put_many(self, collection: str, docs: Iterable[tuple[str, JSONDict]]) -> int:
        """Write many documents unconditionally, chunked to the backend's batch limits and
        retrying unprocessed items; every document is checked against the size ceiling
        before the first is sent. Returns how many were written."""

    def delete_many(self, collection: str, doc_ids: Iterable[str]) -> int:
        """Remove many documents unconditionally, in the backend's batches; an id that is
        absent is skipped, so an interrupted cleanup can simply run again. Every id is
        checked before the first is sent. Returns how many distinct ids were given."""
        declared = self.collection(collection)
        ids = list(dict.fromkeys(doc_ids))
        for doc_id in ids:
            limits.check_doc_id(doc_id)
        if ids:
            self._delete_many(declared, ids)
        return len(ids)

    def iter_query(
        self,
        collection: str,
        field: str,
        value: str,
        *,
        descending: bool = False,
        page_size: int = 100,
    ) -> Iterator[Document]:
        """Every document `query` finds, following pagination (stop early as you please)."""
        return iter_items(
            lambda token: self.query(
                collection, field, value, descending=descending, limit=page_size, page_token=token
            )
        )

    def iter_scan(self, collection: str, *, page_size: int = 100) -> Iterator[Document]:
        """Every document of the collection, following pagination."""
        return iter_items(lambda token: self.scan(collection, limit=page_size, page_token=token))

    def modify(
        self, collection: str, doc_id: str, change: Callable[[Document], JSONDict | None]
    ) -> Document | None:
        """Read-modify-write by compare-and-swap: `change(current)` returns the new data, or
        None to leave the document as it is. A write that loses a race to another writer
        reads again and re-applies `change` (after a short jittered pause), up to
        `MODIFY_ATTEMPTS` times; then `Conflict`. `NotFound` if absent. Returns the written
        document, or None if `change` declined. The one retry policy for contended writes."""
        delay = MODIFY_BACKOFF_SECONDS
        for attempt in range(MODIFY_ATTEMPTS):
            if attempt:
                time.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, MODIFY_BACKOFF_MAX_SECONDS)
            current = self.get(collection, doc_id)
            data = change(current)
            if data is None:
                return None
            try:
                version = self.update(collection, doc_id, data, expected_version=current.version)
            except Conflict:
                continue
            return Document(doc_id, data, version)
        raise Conflict(
            f"document {collection}/{doc_id} is busy: lost {MODIFY_ATTEMPTS} "
            "compare-and-swap races in a row"
        )

    def collection(self, name: str) -> Collection:
        try:
            return self.collections[name]
        except (KeyError, TypeError):
            raise ValueError(
                f"unknown collection {name!r}; declared: {sorted(self.collections)}"
            ) from None

    # The backend's hooks, called with a declared collection and checked arguments.

    @abc.abstractmethod
    def _get(self, collection: Collection, doc_id: str) -> Document: ...

    @abc.abstractmethod
    def _get_many(self, collection: Collection, doc_ids: list[str]) -> dict[str, Document]: ...

    @abc.abstractmethod
    def _delete(
        self, collection: Collection, doc_id: str, expected_version: str | None
    ) -> None: ...

    def _delete_many(self, collection: Collection, doc_ids: list[str]) -> None:
        """One delete per id, absent ones skipped; a backend with a batch write overrides
        it."""
        for doc_id in doc_ids:
            try:
                self._delete(collection, doc_id, None)
            except NotFound:
                continue

    @abc.abstractmethod
    def _query(
        self,
        collection: Collection,
        index: Index,
        value: str,
        descending: bool,
        limit: int,
        page_token: str | None,
    ) -> Page[Document]: ...

    @abc.abstractmethod
    def _scan(
        self, collection: Collection, limit: int, page_token: str | None
    ) -> Page[Document]: ...


@dataclass(frozen=True)
class Adapters:
    """The three ports of one backend, as the factory builds them."""

    backend: str
    blobs: BlobStore
    queue: JobQueue
    documents: DocumentStore
