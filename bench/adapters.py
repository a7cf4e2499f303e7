"""Adapter overhead against the raw SDK call on the same server, and batch vs one-by-one writes.

Run by hand (never as a timed test):

    python bench/adapters.py [--backends local,aws,gcp] [--rounds N] [--batch N]

Servers start through the test rigs (moto, Google's emulators, fake-gcs-server; a temporary
directory for local). For every operation each round times the adapter call and the raw
call doing the same on the same server (boto3 / google-cloud clients; for local, a durable
file write or read and the same sqlite3 statements), alternating which goes first so that
drift and warm-up cancel; the table reports medians and adapter/raw (target <= 1.10). Batch
rows compare `put_many` of N documents with N single `put`s, and `delete_many` with N single
`delete`s (target >= 5x on DynamoDB and Firestore). Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script from anywhere: make the repository (and so `tests.rigs`) importable, and
# put it first so that `import adapters` finds the package, not this file beside it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import Adapters, Collection, Index, Settings, build_adapters
from adapters.naming import table_name
from tests.rigs.base import Rig, started_rig

COLLECTION = "bench"
INDEX = Index("owner", "seq", "N")
COLLECTIONS = (Collection(COLLECTION, (INDEX,)),)
BLOB = os.urandom(64 * 1024)
QUERY_MATCHES = 20
WARMUP_ROUNDS = 3
RATIO_TARGET = 1.10
BATCH_TARGET = 5.0


def doc(n: int) -> dict[str, Any]:
    return {"owner": "bench", "seq": n, "name": f"doc {n}", "tags": ["a", "b"], "score": 0.5}


# --------------------------------------------------------------------------- raw calls


class Raw:
    """The same operations as the adapters, straight on the backend's SDK."""

    def blob_put(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def blob_get(self, key: str) -> bytes:
        raise NotImplementedError

    def doc_put(self, doc_id: str, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def doc_get(self, doc_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def doc_query(self, owner: str, limit: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def queue_send(self, body: str) -> None:
        raise NotImplementedError

    def queue_receive_ack(self) -> None:
        raise NotImplementedError


class LocalRaw(Raw):
    """What the local adapter does, written plainly: a durable atomic file write (temp file,
    fsync, rename, directory fsync) and the same SQL on a WAL database of our own."""

    def __init__(self, root: Path) -> None:
        self.blobs = root / "raw-blobs"
        self.blobs.mkdir(parents=True)
        self.db = sqlite3.connect(root / "raw.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, data TEXT, version TEXT)")
        self.db.execute(
            "CREATE INDEX docs_owner ON docs "
            "(json_extract(data, '$.owner'), json_extract(data, '$.seq'), id)"
        )
        self.db.execute(
            "CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE, "
            "body TEXT, attributes TEXT, visible_at REAL, delivery_count INTEGER DEFAULT 0, "
            "receipt TEXT)"
        )
        self.db.execute("CREATE INDEX messages_due ON messages (visible_at, seq)")

    def blob_put(self, key: str, data: bytes) -> None:
        path = self.blobs / key.replace("/", "_")
        temp = path.with_name(f".tmp-{uuid.uuid4().hex}")
        with open(temp, "xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        fd = os.open(self.blobs, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def blob_get(self, key: str) -> bytes:
        with open(self.blobs / key.replace("/", "_"), "rb") as stream:
            return stream.read()

    def doc_put(self, doc_id: str, data: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO docs (id, data, version) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE "
            "SET data = excluded.data, version = excluded.version",
            (doc_id, json.dumps(data), uuid.uuid4().hex),
        )

    def doc_get(self, doc_id: str) -> dict[str, Any]:
        (data,) = self.db.execute("SELECT data FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return dict(json.loads(data))

    def doc_query(self, owner: str, limit: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, data, version FROM docs WHERE json_extract(data, '$.owner') = ? "
            "ORDER BY json_extract(data, '$.seq'), id LIMIT ?",
            (owner, limit),
        ).fetchall()
        return [json.loads(data) for _, data, _ in rows]

    def queue_send(self, body: str) -> None:
        self.db.execute(
            "INSERT INTO messages (id, body, attributes, visible_at) VALUES (?, ?, '{}', ?)",
            (uuid.uuid4().hex, body, time.time()),
        )

    def queue_receive_ack(self) -> None:
        now, receipt = time.time(), uuid.uuid4().hex
        self.db.execute("BEGIN IMMEDIATE")
        row = self.db.execute(
            "SELECT seq FROM messages WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT 1",
            (now,),
        ).fetchone()
        assert row is not None, "raw local queue is empty"
        self.db.execute(
            "UPDATE messages SET visible_at = ?, delivery_count = delivery_count + 1, "
            "receipt = ? WHERE seq = ?",
            (now + 60, receipt, row[0]),
        )
        self.db.execute("COMMIT")
        self.db.execute("DELETE FROM messages WHERE seq = ? AND receipt = ?", (row[0], receipt))


class AwsRaw(Raw):
    """boto3 clients on the rig's moto server."""

    def __init__(self, rig: Any, settings: Settings) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self.s3, self.sqs, self.dynamodb = (rig.client(s) for s in ("s3", "sqs", "dynamodb"))
        self.bucket = settings.bucket
        self.table = table_name(settings.table_prefix, COLLECTION)
        self.queue_url = self.sqs.get_queue_url(QueueName=settings.queue)["QueueUrl"]
        self.serialize, self.deserialize = TypeSerializer().serialize, TypeDeserializer()

    def _item(self, values: dict[str, Any]) -> dict[str, Any]:
        from decimal import Decimal

        plain = {k: Decimal(repr(v)) if isinstance(v, float) else v for k, v in values.items()}
        return {name: self.serialize(value) for name, value in plain.items()}

    def _data(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: self.deserialize.deserialize(value) for name, value in item.items()}

    def blob_put(self, key: str, data: bytes) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def blob_get(self, key: str) -> bytes:
        body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def doc_put(self, doc_id: str, data: dict[str, Any]) -> None:
        item = self._item({**data, "id": doc_id, "_version": uuid.uuid4().hex})
        self.dynamodb.put_item(TableName=self.table, Item=item)

    def doc_get(self, doc_id: str) -> dict[str, Any]:
        response = self.dynamodb.get_item(
            TableName=self.table, Key={"id": {"S": doc_id}}, ConsistentRead=True
        )
        return self._data(response["Item"])

    def doc_query(self, owner: str, limit: int) -> list[dict[str, Any]]:
        response = self.dynamodb.query(
            TableName=self.table,
            IndexName=INDEX.name,
            KeyConditionExpression="#f = :v",
            ExpressionAttributeNames={"#f": INDEX.field},
            ExpressionAttributeValues={":v": {"S": owner}},
            Limit=limit,
        )
        return [self._data(item) for item in response["Items"]]

    def queue_send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def queue_receive_ack(self) -> None:
        for _ in range(20):
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=1,
                VisibilityTimeout=60,
                MessageAttributeNames=["All"],
                AttributeNames=["ApproximateReceiveCount"],
            ).get("Messages", [])
            if messages:
                handle = messages[0]["ReceiptHandle"]
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=handle)
                return
        raise AssertionError("raw SQS receive found no message")


class GcpRaw(Raw):
    """google-cloud clients on the rig's emulators (anonymous credentials)."""

    def __init__(self, settings: Settings) -> None:
        from google import pubsub_v1
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import firestore, storage

        project = settings.gcp_project
        anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]
        self.bucket = storage.Client(project=project, credentials=anonymous).bucket(settings.bucket)
        self.collection = firestore.Client(project=project, credentials=anonymous).collection(
            table_name(settings.table_prefix, COLLECTION)
        )
        self.publisher = pubsub_v1.PublisherClient(credentials=anonymous)
        self.subscriber = pubsub_v1.SubscriberClient(credentials=anonymous)
        self.topic = self.publisher.topic_path(project, settings.queue)
        self.subscription = self.subscriber.subscription_path(project, settings.subscription)

    def blob_put(self, key: str, data: bytes) -> None:
        self.bucket.blob(key).upload_from_string(data, content_type="application/octet-stream")

    def blob_get(self, key: str) -> bytes:
        content: bytes = self.bucket.blob(key).download_as_bytes()
        return content

    def doc_put(self, doc_id: str, data: dict[str, Any]) -> None:
        self.collection.document(doc_id).set({**data, "_version": uuid.uuid4().hex})

    def doc_get(self, doc_id: str) -> dict[str, Any]:
        return dict(self.collection.document(doc_id).get().to_dict() or {})

    def doc_query(self, owner: str, limit: int) -> list[dict[str, Any]]:
        from google.cloud.firestore_v1 import FieldFilter

        query = (
            self.collection.where(filter=FieldFilter(INDEX.field, "==", owner))
            .order_by(INDEX.order_by)
            .order_by("__name__")
            .limit(limit)
        )
        return [snapshot.to_dict() or {} for snapshot in query.stream()]

    def queue_send(self, body: str) -> None:
        self.publisher.publish(
            request={"topic": self.topic, "messages": [{"data": body.encode("utf-8")}]}
        )

    def queue_receive_ack(self) -> None:
        for _ in range(20):
            response = self.subscriber.pull(
                request={"subscription": self.subscription, "max_messages": 1}, timeout=5
            )
            if response.received_messages:
                ack_id = response.received_messages[0].ack_id
                self.subscriber.acknowledge(
                    request={"subscription": self.subscription, "ack_ids": [ack_id]}
                )
                return
        raise AssertionError("raw Pub/Sub pull found no message")


# --------------------------------------------------------------------------- measuring


@dataclass
class Row:
    backend: str
    operation: str
    adapter_ms: float
    raw_ms: float

    @property
    def ratio(self) -> float:
        return self.adapter_ms / self.raw_ms


@dataclass
class BatchRow:
    backend: str
    operation: str
    documents: int
    batch_ms: float
    single_ms: float

    @property
    def speedup(self) -> float:
        return self.single_ms / self.batch_ms


def interleaved(
    adapter_call: Callable[[int], object], raw_call: Callable[[int], object], rounds: int
) -> tuple[float, float]:
    """Median ms of each, timed in the same loop; who goes first alternates per round."""
    timings: dict[str, list[float]] = {"adapter": [], "raw": []}
    calls = [("adapter", adapter_call), ("raw", raw_call)]
    for n in range(-WARMUP_ROUNDS, rounds):
        for name, call in calls if n % 2 == 0 else calls[::-1]:
            start = time.perf_counter()
            call(n)
            elapsed = time.perf_counter() - start
            if n >= 0:
                timings[name].append(elapsed * 1000)
    return statistics.median(timings["adapter"]), statistics.median(timings["raw"])


def measure(backend: str, built: Adapters, raw: Raw, rounds: int) -> list[Row]:
    blobs, queue, documents = built.blobs, built.queue, built.documents
    blobs.put("bench/get-a", BLOB)
    raw.blob_put("bench/get-r", BLOB)
    documents.put(COLLECTION, "get-a", doc(0))
    raw.doc_put("get-r", doc(0))
    for n in range(QUERY_MATCHES):
        documents.put(COLLECTION, f"query-a{n}", {**doc(n), "owner": "query-a"})
        raw.doc_put(f"query-r{n}", {**doc(n), "owner": "query-r"})
    # Both sides must find what they are timed on, or the comparison means nothing.
    assert len(documents.query(COLLECTION, "owner", "query-a", limit=100).items) == QUERY_MATCHES
    assert len(raw.doc_query("query-r", 100)) == QUERY_MATCHES
    assert documents.get(COLLECTION, "get-a").data == doc(0)
    assert raw.doc_get("get-r")["name"] == doc(0)["name"]

    def receive_ack(_: int) -> None:
        for message in queue.receive(1, lease_seconds=60, wait_seconds=5):
            queue.ack(message)
            return
        raise AssertionError("adapter receive found no message")

    operations: list[tuple[str, Callable[[int], object], Callable[[int], object]]] = [
        (
            "blob put (64 KiB)",
            lambda n: blobs.put(f"bench/{n}-a", BLOB),
            lambda n: raw.blob_put(f"bench/{n}-r", BLOB),
        ),
        (
            "blob get (64 KiB)",
            lambda n: blobs.get("bench/get-a"),
            lambda n: raw.blob_get("bench/get-r"),
        ),
        (
            "doc put",
            lambda n: documents.put(COLLECTION, f"a{n}", doc(n)),
            lambda n: raw.doc_put(f"r{n}", doc(n)),
        ),
        ("doc get", lambda n: documents.get(COLLECTION, "get-a"), lambda n: raw.doc_get("get-r")),
        (
            f"doc query ({QUERY_MATCHES} docs)",
            lambda n: documents.query(COLLECTION, "owner", "query-a", limit=QUERY_MATCHES),
            lambda n: raw.doc_query("query-r", QUERY_MATCHES),
        ),
        # Every message sent here is consumed by the next operation (one per call each).
        ("queue send", lambda n: queue.send(f"job {n}"), lambda n: raw.queue_send(f"raw {n}")),
        ("queue receive+ack", receive_ack, lambda n: raw.queue_receive_ack()),
    ]
    rows = []
    for operation, adapter_call, raw_call in operations:
        adapter_ms, raw_ms = interleaved(adapter_call, raw_call, rounds)
        rows.append(Row(backend, operation, adapter_ms, raw_ms))
    return rows


def measure_batch(backend: str, built: Adapters, size: int, repeats: int = 3) -> BatchRow:
    documents = built.documents
    batch_ms: list[float] = []
    single_ms: list[float] = []
    for repeat in range(repeats):

        def batch(repeat: int = repeat) -> None:
            documents.put_many(COLLECTION, [(f"b{repeat}-{n}", doc(n)) for n in range(size)])

        def singles(repeat: int = repeat) -> None:
            for n in range(size):
                documents.put(COLLECTION, f"s{repeat}-{n}", doc(n))

        for call, out in [(batch, batch_ms), (singles, single_ms)][:: 1 if repeat % 2 else -1]:
            start = time.perf_counter()
            call()
            out.append((time.perf_counter() - start) * 1000)
    return BatchRow(backend, "put", size, statistics.median(batch_ms), statistics.median(single_ms))


def measure_batch_delete(backend: str, built: Adapters, size: int, repeats: int = 3) -> BatchRow:
    documents = built.documents
    batch_ms: list[float] = []
    single_ms: list[float] = []
    for repeat in range(repeats):
        batch_ids = [f"db{repeat}-{n}" for n in range(size)]
        single_ids = [f"ds{repeat}-{n}" for n in range(size)]
        documents.put_many(COLLECTION, [(i, doc(n)) for n, i in enumerate(batch_ids + single_ids)])

        def batch(ids: list[str] = batch_ids) -> None:
            documents.delete_many(COLLECTION, ids)

        def singles(ids: list[str] = single_ids) -> None:
            for doc_id in ids:
                documents.delete(COLLECTION, doc_id)

        for call, out in [(batch, batch_ms), (singles, single_ms)][:: 1 if repeat % 2 else -1]:
            start = time.perf_counter()
            call()
            out.append((time.perf_counter() - start) * 1000)
        # Both sides must have done what they are timed on.
        left = documents.get_many(COLLECTION, batch_ids[:50] + single_ids[:50])
        assert not left, f"{len(left)} documents survived their deletion"
    return BatchRow(
        backend, "delete", size, statistics.median(batch_ms), statistics.median(single_ms)
    )


# --------------------------------------------------------------------------- rigs


@contextmanager
def started(backend: str, tmp: Path) -> Iterator[tuple[Rig, Settings, Raw]]:
    with started_rig(backend, tmp) as rig:
        settings = rig.settings(COLLECTIONS)
        raw: Raw
        if backend == "local":
            raw = LocalRaw(Path(settings.data_dir))
        elif backend == "aws":
            raw = AwsRaw(rig, settings)
        else:
            raw = GcpRaw(settings)
        yield rig, settings, raw


def markdown(rows: list[Row], batches: list[BatchRow], rounds: int) -> str:
    lines = [
        f"Adapter vs raw SDK on the same server: medians of {rounds} interleaved rounds "
        f"(target adapter/raw <= {RATIO_TARGET:.2f}).",
        "",
        "| backend | operation | adapter ms | raw ms | overhead ms | adapter/raw | target met |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        met = "yes" if row.ratio <= RATIO_TARGET else "no"
        lines.append(
            f"| {row.backend} | {row.operation} | {row.adapter_ms:.2f} | {row.raw_ms:.2f} "
            f"| {row.adapter_ms - row.raw_ms:+.2f} | {row.ratio:.2f} | {met} |"
        )
    lines += [
        "",
        f"Batch writes: put_many / delete_many vs one put / delete per document (target >= "
        f"{BATCH_TARGET:.0f}x on DynamoDB and Firestore), medians of 3.",
        "",
        "| backend | operation | documents | batch ms | one-by-one ms | speedup |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for batch in batches:
        lines.append(
            f"| {batch.backend} | {batch.operation} | {batch.documents} | {batch.batch_ms:.1f} "
            f"| {batch.single_ms:.1f} | {batch.speedup:.1f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="local,aws,gcp")
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds per operation")
    parser.add_argument("--batch", type=int, default=200, help="documents per batch write")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.batch < 1:
        parser.error("--rounds and --batch must be >= 1")

    rows: list[Row] = []
    batches: list[BatchRow] = []
    with tempfile.TemporaryDirectory(prefix="mlpoc-bench-") as tmp:
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            print(f"benchmarking {backend} ...", file=sys.stderr, flush=True)
            with started(backend, Path(tmp) / backend) as (_, settings, raw):
                built = build_adapters(COLLECTIONS, settings)
                rows += measure(backend, built, raw, args.rounds)
                batches.append(measure_batch(backend, built, args.batch))
                batches.append(measure_batch_delete(backend, built, args.batch))
    print(markdown(rows, batches, args.rounds))


if __name__ == "__main__":
    main()
