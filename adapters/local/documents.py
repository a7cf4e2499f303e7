"""DocumentStore on SQLite: one table per collection, one expression index per declared Index.

Each row is (id, data as JSON text, version). The version is a fresh uuid4 hex on every
write; conditional writes compare it inside a `BEGIN IMMEDIATE` transaction, so of two
racing updates with the same expectation exactly one wins. Queries are equality on
`json_extract(data, field)`, ordered by `json_extract(data, order_by)` then id, served by an
index on exactly those expressions, and paginated by keyset (the last row's sort key).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from adapters.errors import Conflict, NotFound
from adapters.limits import check_document_write
from adapters.local.sqlite import DEFAULT_BUSY_TIMEOUT_SECONDS, Database
from adapters.pagination import decode_cursor, encode_token
from adapters.ports import Collection, Document, DocumentStore, Index, JSONDict, Page

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,200}")  # fullmatch: `$` would allow a final newline
_FIELD = re.compile(r'[^"\'\x00-\x1f]{1,200}')
_IN_CHUNK = 500


class LocalDocumentStore(DocumentStore):
    def __init__(
        self,
        path: Path,
        collections: Iterable[Collection],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.collections = _by_name(collections)
        schema: list[str] = []
        for collection in self.collections.values():
            schema.extend(_schema(collection))
        self.db = Database(path, schema=schema, busy_timeout=busy_timeout)

    # ------------------------------------------------------------------ single documents

    def _get(self, collection: Collection, doc_id: str) -> Document:
        table = _table_name(collection.name)
        rows = self.db.query(f"SELECT data, version FROM {table} WHERE id = ?", (doc_id,))
        if not rows:
            raise NotFound(f"document {collection.name}/{doc_id} not found")
        data, version = rows[0]
        return Document(id=doc_id, data=json.loads(data), version=version)

    def _get_many(self, collection: Collection, doc_ids: list[str]) -> dict[str, Document]:
        table = _table_name(collection.name)
        found: dict[str, Document] = {}
        # SQLite's default limit on bound parameters is 999 on older builds: stay under it.
        for start in range(0, len(doc_ids), _IN_CHUNK):
            chunk = doc_ids[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                f"SELECT id, data, version FROM {table} WHERE id IN ({marks})", chunk
            )
            for doc_id, data, version in rows:
                found[doc_id] = Document(id=doc_id, data=json.loads(data), version=version)
        return found

    def put(self, collection: str, doc_id: str, data: JSONDict) -> str:
        table = self._table(collection)
        encoded = _encode(self.collection(collection), doc_id, data)
        version = _new_version()
        self.db.execute(
            f"INSERT INTO {table} (id, data, version) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET data = excluded.data, version = excluded.version",
            (doc_id, encoded, version),
        )
        return version

    def create(self, collection: str, doc_id: str, data: JSONDict) -> str:
        table = self._table(collection)
        encoded = _encode(self.collection(collection), doc_id, data)
        version = _new_version()
        inserted = self.db.execute(
            f"INSERT INTO {table} (id, data, version) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (doc_id, encoded, version),
        )
        if not inserted:
            raise Conflict(f"document {collection}/{doc_id} already exists")
        return version

    def update(self, collection: str, doc_id: str, data: JSONDict, *, expected_version: str) -> str:
        table = self._table(collection)
        encoded = _encode(self.collection(collection), doc_id, data)
        version = _new_version()
        with self.db.transaction() as conn:
            _check_version(conn, table, collection, doc_id, expected_version)
            conn.execute(
                f"UPDATE {table} SET data = ?, version = ? WHERE id = ?",
                (encoded, version, doc_id),
            )
        return version

    def _delete(self, collection: Collection, doc_id: str, expected_version: str | None) -> None:
        table = _table_name(collection.name)
        with self.db.transaction() as conn:
            _check_version(conn, table, collection.name, doc_id, expected_version)
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (doc_id,))

    # ------------------------------------------------------------------ many documents

    def put_many(self, collection: str, docs: Iterable[tuple[str, JSONDict]]) -> int:
        table = self._table(collection)
        declared = self.collection(collection)
        # Check every document before writing any: bad input writes nothing.
        rows = [
            (doc_id, _encode_sized(declared, doc_id, data), _new_version()) for doc_id, data in docs
        ]
        if not rows:
            return 0
        with self.db.transaction() as conn:
            conn.executemany(
                f"INSERT INTO {table} (id, data, version) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET data = excluded.data, version = excluded.version",
                rows,
            )
        return len(rows)

    def _delete_many(self, collection: Collection, doc_ids: list[str]) -> None:
        table = _table_name(collection.name)
        with self.db.transaction() as conn:
            conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in doc_ids])

    def _query(
        self,
        collection: Collection,
        index: Index,
        value: str,
        descending: bool,
        limit: int,
        page_token: str | None,
    ) -> Page[Document]:
        table = _table_name(collection.name)
        key, order = _extract(index.field), _extract(index.order_by)
        direction, compare = ("DESC", "<") if descending else ("ASC", ">")
        where = f"{key} = ? AND {order} IS NOT NULL"
        params: list[Any] = [value]
        if page_token is not None:
            last_order, last_id = decode_cursor(page_token, 2)
            where += f" AND ({order}, id) {compare} (?, ?)"
            params += [last_order, last_id]
        rows = self.db.query(
            f"SELECT id, data, version, {order} FROM {table} WHERE {where} "
            f"ORDER BY {order} {direction}, id {direction} LIMIT ?",
            [*params, limit + 1],
        )
        items = [Document(id=i, data=json.loads(d), version=v) for i, d, v, _ in rows[:limit]]
        token = None
        if len(rows) > limit:
            last = rows[limit - 1]
            token = encode_token([last[3], last[0]])
        return Page(items, next_token=token)

    def _scan(self, collection: Collection, limit: int, page_token: str | None) -> Page[Document]:
        table = _table_name(collection.name)
        where, params = "", []
        if page_token is not None:
            (last_id,) = decode_cursor(page_token, 1)
            where, params = "WHERE id > ?", [last_id]
        rows = self.db.query(
            f"SELECT id, data, version FROM {table} {where} ORDER BY id LIMIT ?",
            [*params, limit + 1],
        )
        items = [Document(id=i, data=json.loads(d), version=v) for i, d, v in rows[:limit]]
        token = encode_token([rows[limit - 1][0]]) if len(rows) > limit else None
        return Page(items, next_token=token)

    def _table(self, collection: str) -> str:
        return _table_name(self.collection(collection).name)


# ---------------------------------------------------------------------- schema


def _by_name(collections: Iterable[Collection]) -> dict[str, Collection]:
    by_name: dict[str, Collection] = {}
    for collection in collections:
        if not _NAME.fullmatch(collection.name):
            raise ValueError(f"collection name must match {_NAME.pattern}: {collection.name!r}")
        if by_name.setdefault(collection.name, collection) != collection:
            raise ValueError(f"collection {collection.name!r} is declared twice, differently")
        for index in collection.indexes:
            for name in (index.field, index.order_by):
                if not _FIELD.fullmatch(name):
                    raise ValueError(f"index field name not usable: {name!r}")
    return by_name


def _table_name(collection: str) -> str:
    return f'"docs_{collection}"'


def _schema(collection: Collection) -> list[str]:
    table = _table_name(collection.name)
    statements = [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        "id TEXT PRIMARY KEY, data TEXT NOT NULL, version TEXT NOT NULL) WITHOUT ROWID"
    ]
    for index in collection.indexes:
        statements.append(
            f'CREATE INDEX IF NOT EXISTS "ix_{collection.name}_{index.name}" ON {table} '
            f"({_extract(index.field)}, {_extract(index.order_by)}, id)"
        )
    return statements


def _extract(field: str) -> str:
    """The SQL expression of a top-level field. Queries must spell it exactly as the index
    does (a literal path, not a parameter) for SQLite to use the expression index."""
    return f"json_extract(data, '$.\"{field}\"')"


# ---------------------------------------------------------------------- values


def _encode(collection: Collection, doc_id: str, data: JSONDict) -> str:
    check_document_write(collection, doc_id, data)
    try:
        # allow_nan=False: NaN and infinities are not JSON, and DynamoDB refuses them too.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"document {doc_id!r} is not plain JSON: {exc}") from None


# The encoding of `_encode`, built once: json.dumps with options builds an encoder per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _encode_sized(collection: Collection, doc_id: str, data: JSONDict) -> str:
    """`_encode` with one JSON encoding instead of two: text that encodes strictly is what
    `document_size` would encode, so its length is the size (batch writes are dominated by
    this per-document work). Anything that does not encode takes `_encode`'s path, so every
    error is the one `_encode` raises."""
    try:
        encoded = _JSON.encode(data)
        size = len(doc_id.encode("utf-8")) + len(encoded.encode("utf-8"))
    except (TypeError, ValueError):  # UnicodeEncodeError (a lone surrogate) included
        return _encode(collection, doc_id, data)
    check_document_write(collection, doc_id, data, size=size)
    return encoded


def _new_version() -> str:
    return uuid.uuid4().hex


def _check_version(
    conn: sqlite3.Connection, table: str, collection: str, doc_id: str, expected: str | None
) -> None:
    row = conn.execute(f"SELECT version FROM {table} WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        raise NotFound(f"document {collection}/{doc_id} not found")
    if expected is not None and row[0] != expected:
        raise Conflict(f"document {collection}/{doc_id} changed: version is not {expected!r}")
