"""One answer per fault on every backend: access denied, a bucket or queue the settings name
that does not exist, a page size past the ceiling, an order field that is missing or null
(the table in adapters/errors.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from adapters import ConfigurationError, DocumentStore, JobQueue, build_adapters
from adapters.pagination import MAX_PAGE_LIMIT
from tests.contract.test_queue import receive_one
from tests.rigs.base import Rig, build_as
from tests.support.contract import CONTRACT_COLLECTIONS, ITEMS, PLAIN, all_pages


def outcomes(calls: dict[str, Callable[[], object]]) -> dict[str, str]:
    """What each call did: "allowed", or the name of the exception it raised."""
    done = {}
    for name, call in calls.items():
        try:
            call()
            done[name] = "allowed"
        except Exception as exc:
            done[name] = type(exc).__name__
    return done


# ----------------------------------------------------------------------- access denied


def test_a_denied_identity_gets_configuration_errors_and_writes_nothing(rig: Rig) -> None:
    identities = rig.identities(CONTRACT_COLLECTIONS)
    owner = build_as(identities.owner, CONTRACT_COLLECTIONS, identities.settings)
    owner.blobs.put("seed/blob", b"seed")
    seed_version = owner.documents.put(ITEMS, "seed", {"owner": "olga", "seq": 1})
    owner.queue.send("seed")

    # The reader is built through the same factory: everything it may do works...
    reader = build_as(identities.reader, CONTRACT_COLLECTIONS, identities.settings)
    assert reader.blobs.get("seed/blob") == b"seed"
    assert [info.key for info in reader.blobs.list("seed/").items] == ["seed/blob"]
    assert reader.documents.get(ITEMS, "seed").version == seed_version
    assert [doc.id for doc in reader.documents.query(ITEMS, "owner", "olga").items] == ["seed"]

    # ...and everything the backend's access control refuses is a ConfigurationError.
    refused: dict[str, Callable[[], object]] = {
        "blobs.put": lambda: reader.blobs.put("new/blob", b"x"),
        "blobs.put create_only": lambda: reader.blobs.put("new/once", b"x", create_only=True),
        "blobs.delete": lambda: reader.blobs.delete("seed/blob"),
        "documents.put": lambda: reader.documents.put(ITEMS, "new", {"owner": "x"}),
        "documents.create": lambda: reader.documents.create(PLAIN, "new", {"a": 1}),
        "documents.update": lambda: reader.documents.update(
            ITEMS, "seed", {"owner": "eve", "seq": 2}, expected_version=seed_version
        ),
        "documents.delete": lambda: reader.documents.delete(ITEMS, "seed"),
        "documents.put_many": lambda: reader.documents.put_many(PLAIN, [("m", {"a": 1})]),
        "queue.send": lambda: reader.queue.send("from the reader"),
        "queue.receive": lambda: reader.queue.receive(1, lease_seconds=30),
    }
    assert outcomes(refused) == dict.fromkeys(refused, ConfigurationError.__name__)
    with pytest.raises(ConfigurationError, match=r"permission|denied|not authorized"):
        reader.blobs.put("new/blob", b"x")

    # Nothing the reader tried was written, and the seed message is still there, undelivered.
    assert [info.key for info in owner.blobs.iter()] == ["seed/blob"]
    assert owner.documents.get(ITEMS, "seed").version == seed_version
    assert owner.documents.scan(PLAIN).items == []
    message = receive_one(owner.queue, lease=30)
    assert (message.body, message.delivery_count) == ("seed", 1)
    owner.queue.ack(message)


# ----------------------------------------------------------------------- missing bucket


def test_a_bucket_that_does_not_exist_is_a_configuration_error(rig: Rig) -> None:
    """Settings that name a bucket nobody created: every blob call that must reach the bucket
    says so as a ConfigurationError (fix the deployment), never as a missing key."""
    settings = rig.settings(CONTRACT_COLLECTIONS)
    missing = settings.model_copy(update={"bucket": Rig.unique("missing-")})
    blobs = build_adapters(CONTRACT_COLLECTIONS, missing).blobs
    calls: dict[str, Callable[[], object]] = {
        "put": lambda: blobs.put("k", b"x"),
        "put create_only": lambda: blobs.put("k", b"x", create_only=True),
        "get": lambda: blobs.get("k"),
        "open": lambda: blobs.open("k").read(),
        "list": lambda: blobs.list("k"),
        "delete": lambda: blobs.delete("k"),
    }
    assert outcomes(calls) == dict.fromkeys(calls, ConfigurationError.__name__)
    with pytest.raises(ConfigurationError, match=r"does the resource named by the MLPOC_"):
        blobs.get("k")


def test_a_queue_that_does_not_exist_is_a_configuration_error(rig: Rig) -> None:
    """Settings that name a queue (SQS queue; Pub/Sub topic and subscription) nobody created:
    sending and receiving say so as a ConfigurationError."""
    settings = rig.settings(CONTRACT_COLLECTIONS)
    missing = settings.model_copy(
        update={"queue": Rig.unique("missing-"), "subscription": Rig.unique("missing-")}
    )

    def queue() -> JobQueue:
        return build_adapters(CONTRACT_COLLECTIONS, missing).queue

    calls: dict[str, Callable[[], object]] = {
        "send": lambda: queue().send("x"),
        "receive": lambda: queue().receive(1, lease_seconds=30, wait_seconds=0),
    }
    assert outcomes(calls) == dict.fromkeys(calls, ConfigurationError.__name__)
    with pytest.raises(ConfigurationError, match=r"does the resource named by the MLPOC_"):
        queue().send("x")


# ----------------------------------------------------------------------- page sizes


def test_page_sizes_past_the_ceiling_are_refused_alike(rig: Rig) -> None:
    adapters = rig.adapters(CONTRACT_COLLECTIONS)
    blobs, documents = adapters.blobs, adapters.documents
    blobs.put("p/one", b"1")
    documents.put(ITEMS, "one", {"owner": "olga", "seq": 1})
    calls: dict[str, Callable[[int], object]] = {
        "page_size": lambda size: blobs.list("p/", page_size=size),
        "limit": lambda size: documents.query(ITEMS, "owner", "olga", limit=size),
        "limit ": lambda size: documents.scan(ITEMS, limit=size),
    }
    for name, call in calls.items():
        for bad in (0, -1, MAX_PAGE_LIMIT + 1, 5000):
            with pytest.raises(ValueError) as refused:
                call(bad)
            assert str(refused.value) == f"{name.strip()} must be in 1..1000, got {bad}"
        assert len(call(MAX_PAGE_LIMIT).items) == 1  # type: ignore[attr-defined]
    assert [info.key for info in blobs.iter("p/", page_size=MAX_PAGE_LIMIT)] == ["p/one"]


# ----------------------------------------------------------------------- order fields


def _ids(documents: DocumentStore, field: str, value: str, **kwargs: object) -> list[str]:
    pages = all_pages(
        lambda token: documents.query(ITEMS, field, value, page_token=token, **kwargs)  # type: ignore[arg-type]
    )
    return [doc.id for page in pages for doc in page.items]


def test_a_missing_or_null_order_field_leaves_the_document_out_of_the_query(
    documents: DocumentStore,
) -> None:
    # A numeric order field (owner -> seq) and a string one (kind -> name).
    documents.put(ITEMS, "n2", {"owner": "dave", "seq": 2})
    documents.put(ITEMS, "n-null", {"owner": "dave", "seq": None})
    documents.put(ITEMS, "n-missing", {"owner": "dave"})
    documents.put(ITEMS, "n1", {"owner": "dave", "seq": 1})
    documents.put(ITEMS, "s-b", {"kind": "tool", "name": "b"})
    documents.put(ITEMS, "s-null", {"kind": "tool", "name": None})
    documents.put(ITEMS, "s-missing", {"kind": "tool"})
    documents.put(ITEMS, "s-a", {"kind": "tool", "name": "a"})

    for kwargs in ({}, {"limit": 1}):
        assert _ids(documents, "owner", "dave", **kwargs) == ["n1", "n2"]
        assert _ids(documents, "owner", "dave", descending=True, **kwargs) == ["n2", "n1"]
        assert _ids(documents, "kind", "tool", **kwargs) == ["s-a", "s-b"]
        assert _ids(documents, "kind", "tool", descending=True, **kwargs) == ["s-b", "s-a"]
    # Left out of the index only: the documents are stored, whole.
    assert documents.get(ITEMS, "n-null").data == {"owner": "dave", "seq": None}
    assert documents.get(ITEMS, "s-missing").data == {"kind": "tool"}
    assert len(all_pages(lambda token: documents.scan(ITEMS, page_token=token))[0].items) == 8

    # A document whose order field becomes null leaves the query; given a value, it is back.
    documents.put(ITEMS, "n2", {"owner": "dave", "seq": None})
    assert _ids(documents, "owner", "dave") == ["n1"]
    documents.put(ITEMS, "n-missing", {"owner": "dave", "seq": 0})
    assert _ids(documents, "owner", "dave") == ["n-missing", "n1"]
