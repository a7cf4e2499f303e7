"""DocumentStore contract: the same assertions on every backend."""

from __future__ import annotations

import random
from functools import partial
from typing import Any

import pytest

from adapters import Conflict, DocumentStore, NotFound, TooLarge, build_adapters
from adapters.limits import MAX_DOCUMENT_BYTES, document_size
from tests.rigs.base import Rig
from tests.support.contract import CONTRACT_COLLECTIONS, ITEMS, PLAIN, all_pages, race

JSON_TYPES: dict[str, Any] = {
    "text": "hello",
    "empty": "",
    "int": 42,
    "negative": -7,
    "big_int": 2**53 + 1,  # exact only if kept as an integer, never through a float
    "zero": 0,
    "float": 0.1,
    "fraction": -2.25,
    "true": True,
    "false": False,
    "none": None,
    "list": [1, "two", 3.5, False, None, [], {}],
    "empty_list": [],
    "empty_dict": {},
    "nested": {"a": {"b": [{"c": 1}, {"d": [True, None]}]}, "n": -1},
}


def test_put_get_round_trip_keeps_json_types(documents: DocumentStore) -> None:
    version = documents.put(PLAIN, "doc-1", JSON_TYPES)
    doc = documents.get(PLAIN, "doc-1")
    assert doc.id == "doc-1"
    assert doc.version == version
    assert_json_types_survived(doc.data)


def test_put_many_keeps_json_types(documents: DocumentStore) -> None:
    # put_many has its own encoding path on some backends; it must store the same thing.
    assert documents.put_many(PLAIN, [("doc-1", JSON_TYPES), ("doc-2", JSON_TYPES)]) == 2
    for doc_id in ("doc-1", "doc-2"):
        assert_json_types_survived(documents.get(PLAIN, doc_id).data)


def assert_json_types_survived(data: dict[str, Any]) -> None:
    assert data == JSON_TYPES
    # == alone would accept 1 == 1.0 == True: the types themselves must survive.
    for name in ("int", "negative", "big_int", "zero"):
        assert type(data[name]) is int, name
    for name in ("float", "fraction"):
        assert type(data[name]) is float, name
    assert data["true"] is True and data["false"] is False
    assert type(data["list"][0]) is int and type(data["list"][2]) is float
    assert data["list"][3] is False
    assert data["nested"]["a"]["b"][1]["d"][0] is True


def test_put_replaces_and_changes_the_version(documents: DocumentStore) -> None:
    first = documents.put(PLAIN, "d", {"a": 1, "b": 2})
    second = documents.put(PLAIN, "d", {"a": 1, "b": 2})
    third = documents.put(PLAIN, "d", {"c": 3})
    assert len({first, second, third}) == 3, "every write must change the version"
    doc = documents.get(PLAIN, "d")
    assert doc.data == {"c": 3}  # replaced, not merged
    assert doc.version == third


def test_create_only_conflict_keeps_first_document(documents: DocumentStore) -> None:
    version = documents.create(PLAIN, "once", {"n": 1})
    with pytest.raises(Conflict):
        documents.create(PLAIN, "once", {"n": 2})
    doc = documents.get(PLAIN, "once")
    assert (doc.data, doc.version) == ({"n": 1}, version)


def test_guarded_update_succeeds_on_current_version(documents: DocumentStore) -> None:
    v1 = documents.create(PLAIN, "alias", {"target": 1})
    v2 = documents.update(PLAIN, "alias", {"target": 2}, expected_version=v1)
    assert v2 != v1
    doc = documents.get(PLAIN, "alias")
    assert (doc.data, doc.version) == ({"target": 2}, v2)
    v3 = documents.update(PLAIN, "alias", {"target": 3}, expected_version=v2)
    assert documents.get(PLAIN, "alias").version == v3


def test_guarded_update_conflicts_on_stale_version(documents: DocumentStore) -> None:
    v1 = documents.put(PLAIN, "alias", {"target": 1})
    v2 = documents.update(PLAIN, "alias", {"target": 2}, expected_version=v1)
    with pytest.raises(Conflict):
        documents.update(PLAIN, "alias", {"target": 99}, expected_version=v1)
    with pytest.raises(Conflict):
        documents.update(PLAIN, "alias", {"target": 99}, expected_version="not-a-version")
    doc = documents.get(PLAIN, "alias")
    assert (doc.data, doc.version) == ({"target": 2}, v2)


def test_guarded_delete(documents: DocumentStore) -> None:
    v1 = documents.put(PLAIN, "d", {"n": 1})
    v2 = documents.put(PLAIN, "d", {"n": 2})
    with pytest.raises(Conflict):
        documents.delete(PLAIN, "d", expected_version=v1)
    assert documents.get(PLAIN, "d").data == {"n": 2}
    documents.delete(PLAIN, "d", expected_version=v2)
    with pytest.raises(NotFound):
        documents.get(PLAIN, "d")
    documents.put(PLAIN, "e", {"n": 1})
    documents.delete(PLAIN, "e")  # unguarded
    with pytest.raises(NotFound):
        documents.get(PLAIN, "e")


def test_racing_guarded_updates_have_exactly_one_winner(rig: Rig) -> None:
    # Two independently built adapters on the same resources: two workers, two clients.
    settings = rig.settings(CONTRACT_COLLECTIONS)
    stores = [build_adapters(CONTRACT_COLLECTIONS, settings).documents for _ in range(2)]
    for round_number in range(5):
        doc_id = f"race-{round_number}"
        base = stores[0].create(PLAIN, doc_id, {"winner": None})
        outcomes = race(
            *(
                partial(store.update, PLAIN, doc_id, {"winner": n}, expected_version=base)
                for n, store in enumerate(stores)
            )
        )
        assert sorted(outcomes) == ["Conflict", "won"], (round_number, outcomes)
        winner = outcomes.index("won")
        assert stores[1 - winner].get(PLAIN, doc_id).data == {"winner": winner}


def test_modify_retries_lost_races_and_loses_no_update(rig: Rig) -> None:
    # Two clients add to one counter at once: each lost race is read again and re-applied.
    settings = rig.settings(CONTRACT_COLLECTIONS)
    stores = [build_adapters(CONTRACT_COLLECTIONS, settings).documents for _ in range(2)]
    stores[0].create(PLAIN, "counter", {"n": 0, "by": []})
    rounds = 5

    def add(store: DocumentStore, who: int) -> None:
        for _ in range(rounds):
            store.modify(
                PLAIN, "counter", lambda doc: {"n": doc.data["n"] + 1, "by": [*doc.data["by"], who]}
            )

    outcomes = race(*(partial(add, store, n) for n, store in enumerate(stores)), timeout=120)
    assert outcomes == ["won", "won"]
    final = stores[1].get(PLAIN, "counter")
    assert final.data["n"] == 2 * rounds and sorted(final.data["by"]) == [0] * rounds + [1] * rounds


def test_modify_declines_and_misses_like_the_port_says(documents: DocumentStore) -> None:
    version = documents.put(PLAIN, "m", {"n": 1})
    assert documents.modify(PLAIN, "m", lambda doc: None) is None
    assert documents.get(PLAIN, "m").version == version  # declined: nothing written
    written = documents.modify(PLAIN, "m", lambda doc: {"n": doc.data["n"] + 1})
    assert written is not None and written.data == {"n": 2}
    assert documents.get(PLAIN, "m").version == written.version
    with pytest.raises(NotFound):
        documents.modify(PLAIN, "absent", lambda doc: {"n": 0})


def test_missing_document_is_not_found_of_the_exact_type(documents: DocumentStore) -> None:
    documents.put(PLAIN, "present", {"n": 1})
    version = documents.get(PLAIN, "present").version
    attempts = {
        "get": lambda: documents.get(PLAIN, "absent"),
        "update": lambda: documents.update(PLAIN, "absent", {"n": 2}, expected_version=version),
        "delete": lambda: documents.delete(PLAIN, "absent"),
        "guarded delete": lambda: documents.delete(PLAIN, "absent", expected_version=version),
    }
    for name, attempt in attempts.items():
        with pytest.raises(NotFound) as caught:
            attempt()
        assert type(caught.value) is NotFound, name
    with pytest.raises(NotFound):
        documents.get(ITEMS, "present")  # same id, other collection
    with pytest.raises(NotFound):
        documents.get(PLAIN, "absent")  # the failed update created nothing


def test_get_many_returns_the_present_documents_by_id(documents: DocumentStore) -> None:
    ids = [f"many-{n:03d}" for n in range(250)]  # past DynamoDB's 100 keys per BatchGetItem
    documents.put_many(
        PLAIN, [(doc_id, {"n": n, "nested": {"x": [n]}}) for n, doc_id in enumerate(ids)]
    )
    documents.put(ITEMS, "many-999", {"owner": "x", "seq": 1})  # same shape, other collection
    asked = [*ids[::-1], "absent", ids[0], "many-999"]
    found = documents.get_many(PLAIN, asked)
    assert set(found) == set(ids)
    for n, doc_id in enumerate(ids):
        doc = found[doc_id]
        assert (doc.id, doc.data) == (doc_id, {"n": n, "nested": {"x": [n]}})
        assert doc.version == documents.get(PLAIN, doc_id).version
    assert documents.get_many(PLAIN, []) == {}
    assert documents.get_many(PLAIN, ["absent"]) == {}


def test_get_many_checks_its_arguments(documents: DocumentStore) -> None:
    with pytest.raises(ValueError):
        documents.get_many(PLAIN, [f"d{n}" for n in range(1001)])
    with pytest.raises(ValueError):
        documents.get_many(PLAIN, ["ok", "bad/id"])
    with pytest.raises(ValueError):
        documents.get_many("undeclared", ["d"])


def test_unknown_collection_is_a_value_error(documents: DocumentStore) -> None:
    with pytest.raises(ValueError):
        documents.put("undeclared", "d", {"n": 1})
    with pytest.raises(ValueError):
        documents.get("undeclared", "d")


def _padded(doc_id: str, size: int) -> dict[str, Any]:
    """A document whose counted size (limits.document_size) is exactly `size`."""
    data = {"pad": ""}
    data["pad"] = "x" * (size - document_size(doc_id, data))
    assert document_size(doc_id, data) == size
    return data


def test_document_at_the_ceiling_is_stored(documents: DocumentStore) -> None:
    data = _padded("edge", MAX_DOCUMENT_BYTES)
    documents.put(PLAIN, "edge", data)
    assert documents.get(PLAIN, "edge").data == data


def test_oversize_document_is_refused_and_nothing_is_stored(documents: DocumentStore) -> None:
    big = _padded("big", MAX_DOCUMENT_BYTES + 1)
    with pytest.raises(TooLarge):
        documents.put(PLAIN, "big", big)
    with pytest.raises(TooLarge):
        documents.create(PLAIN, "big", big)
    with pytest.raises(NotFound):
        documents.get(PLAIN, "big")
    # Multi-byte characters count as bytes, not characters.
    with pytest.raises(TooLarge):
        documents.put(PLAIN, "big", {"pad": "é" * (MAX_DOCUMENT_BYTES // 2)})
    with pytest.raises(NotFound):
        documents.get(PLAIN, "big")

    version = documents.put(PLAIN, "small", {"n": 1})
    with pytest.raises(TooLarge):
        documents.update(PLAIN, "small", _padded("small", 400_000), expected_version=version)
    doc = documents.get(PLAIN, "small")
    assert (doc.data, doc.version) == ({"n": 1}, version)


def test_put_many_with_one_oversize_document_writes_none(documents: DocumentStore) -> None:
    docs = [(f"ok-{n}", {"n": n}) for n in range(40)]
    docs.insert(30, ("too-big", _padded("too-big", MAX_DOCUMENT_BYTES + 1)))
    with pytest.raises(TooLarge):
        documents.put_many(PLAIN, docs)
    for doc_id in ("ok-0", "ok-29", "too-big", "ok-39"):
        with pytest.raises(NotFound):
            documents.get(PLAIN, doc_id)
    assert documents.scan(PLAIN).items == []


def test_put_many_of_1200_documents(documents: DocumentStore) -> None:
    docs = [
        (f"rec-{n:04d}", {"owner": "batch", "seq": n, "name": f"r{n}", "odd": n % 2 == 1})
        for n in range(1200)
    ]
    assert documents.put_many(ITEMS, docs) == 1200

    expected = dict(docs)
    for doc_id in ["rec-0000", "rec-0599", "rec-1199", *random.sample(sorted(expected), 10)]:
        assert documents.get(ITEMS, doc_id).data == expected[doc_id]

    queried = [
        doc
        for page in all_pages(
            lambda token: documents.query(ITEMS, "owner", "batch", limit=500, page_token=token)
        )
        for doc in page.items
    ]
    assert [doc.data["seq"] for doc in queried] == list(range(1200))

    scanned = [
        doc
        for page in all_pages(lambda token: documents.scan(ITEMS, limit=500, page_token=token))
        for doc in page.items
    ]
    assert len(scanned) == 1200
    assert {doc.id: doc.data for doc in scanned} == expected


def test_delete_many_removes_exactly_the_ids_given(documents: DocumentStore) -> None:
    docs = [(f"rec-{n:03d}", {"owner": "o" if n < 60 else "keep", "seq": n}) for n in range(70)]
    documents.put_many(ITEMS, docs)
    gone = [f"rec-{n:03d}" for n in range(0, 60, 2)]
    # Repeats count once; an absent id is skipped, not an error (cleanups can run again).
    assert documents.delete_many(ITEMS, [*gone, gone[0], "never-there"]) == len(gone) + 1
    left = {doc.id for doc in documents.iter_scan(ITEMS)}
    assert left == {doc_id for doc_id, _ in docs} - set(gone)
    owned = [doc.data["seq"] for doc in documents.iter_query(ITEMS, "owner", "o")]
    assert owned == list(range(1, 60, 2))  # the index forgot them too
    assert documents.delete_many(ITEMS, gone) == len(gone)  # again: nothing left to do
    assert documents.delete_many(ITEMS, []) == 0


def test_delete_many_checks_every_id_first(documents: DocumentStore) -> None:
    documents.put_many(PLAIN, [("a", {"v": 1}), ("b", {"v": 2})])
    with pytest.raises(ValueError):
        documents.delete_many(PLAIN, ["a", "bad/id"])
    with pytest.raises(ValueError):
        documents.delete_many("undeclared", ["a"])
    assert {doc.id for doc in documents.iter_scan(PLAIN)} == {"a", "b"}


def test_put_many_replaces_existing_documents(documents: DocumentStore) -> None:
    old = documents.put(PLAIN, "a", {"v": "old"})
    assert documents.put_many(PLAIN, [("a", {"v": "new"}), ("b", {"v": "b"})]) == 2
    doc = documents.get(PLAIN, "a")
    assert doc.data == {"v": "new"}
    assert doc.version != old
    assert documents.get(PLAIN, "b").data == {"v": "b"}


def _query_all(
    documents: DocumentStore, field: str, value: str, *, limit: int, descending: bool = False
) -> list[str]:
    pages = all_pages(
        lambda token: documents.query(
            ITEMS, field, value, descending=descending, limit=limit, page_token=token
        )
    )
    assert all(len(page.items) <= limit for page in pages)
    if len(pages) > 1:
        assert len(pages[0].items) == limit
    return [doc.id for page in pages for doc in page.items]


def test_query_numeric_index_past_one_page_in_numeric_order(documents: DocumentStore) -> None:
    # As strings these would sort 1000 < 2 < 2.5 < -5: the index must compare numbers.
    seqs: list[int | float] = [1000, 2, 2.5, -5, 0, 100, 10, 3, 7, 1, 20, 11, 12, 13, 14, 15]
    seqs += [-1.5, 999, 30, 40, 41, 42, 43]
    for n, seq in enumerate(seqs):
        documents.put(ITEMS, f"d{n:02d}", {"owner": "alice", "seq": seq})
    documents.put(ITEMS, "bob-1", {"owner": "bob", "seq": 5})
    documents.put(ITEMS, "no-owner", {"seq": 6})  # not in the index

    by_seq = sorted(range(len(seqs)), key=lambda n: seqs[n])
    ascending = [f"d{n:02d}" for n in by_seq]
    assert _query_all(documents, "owner", "alice", limit=10) == ascending
    assert _query_all(documents, "owner", "alice", limit=10, descending=True) == ascending[::-1]

    first = documents.query(ITEMS, "owner", "alice", limit=10)
    assert len(first.items) == 10 and first.next_token is not None
    assert [doc.data["seq"] for doc in first.items] == sorted(seqs)[:10]
    assert [doc.id for doc in documents.query(ITEMS, "owner", "bob").items] == ["bob-1"]
    assert documents.query(ITEMS, "owner", "nobody").items == []


def test_query_string_index_past_one_page_in_order(documents: DocumentStore) -> None:
    names = [f"name-{chr(ord('a') + n)}" for n in range(26)]
    shuffled = random.Random(7).sample(names, len(names))
    for name in shuffled:
        documents.put(ITEMS, f"id-{name}", {"kind": "model", "name": name})
    documents.put(ITEMS, "other", {"kind": "dataset", "name": "name-0"})

    ascending = [f"id-{name}" for name in sorted(names)]
    assert _query_all(documents, "kind", "model", limit=7) == ascending
    assert _query_all(documents, "kind", "model", limit=7, descending=True) == ascending[::-1]
    assert _query_all(documents, "kind", "model", limit=100) == ascending


def test_query_pagination_with_equal_sort_values_has_no_gaps_or_duplicates(
    documents: DocumentStore,
) -> None:
    ids = [f"tie-{n:02d}" for n in range(17)]
    for doc_id in ids:
        documents.put(ITEMS, doc_id, {"owner": "carol", "seq": 1})
    for descending in (False, True):
        got = _query_all(documents, "owner", "carol", limit=5, descending=descending)
        assert sorted(got) == ids, f"descending={descending}"


def test_query_returns_whole_documents_with_versions(documents: DocumentStore) -> None:
    version = documents.put(ITEMS, "full", {"owner": "dave", "seq": 1, "extra": {"x": [1]}})
    (doc,) = documents.query(ITEMS, "owner", "dave").items
    assert (doc.id, doc.data, doc.version) == (
        "full",
        {"owner": "dave", "seq": 1, "extra": {"x": [1]}},
        version,
    )


def test_scan_past_one_page(documents: DocumentStore) -> None:
    ids = {f"s{n:02d}" for n in range(23)}
    for doc_id in ids:
        documents.put(PLAIN, doc_id, {"n": doc_id})
    pages = all_pages(lambda token: documents.scan(PLAIN, limit=10, page_token=token))
    assert len(pages[0].items) == 10 and pages[0].next_token is not None
    assert all(len(page.items) <= 10 for page in pages)
    scanned = [doc.id for page in pages for doc in page.items]
    assert sorted(scanned) == sorted(ids)  # no gaps, no duplicates
    assert documents.scan(ITEMS).items == []  # other collection untouched
    # The port's own iterator follows the same pages to the end.
    assert sorted(doc.id for doc in documents.iter_scan(PLAIN, page_size=10)) == sorted(ids)


def test_iter_query_follows_every_page_in_order(documents: DocumentStore) -> None:
    for n in range(23):
        documents.put(ITEMS, f"q{n:02d}", {"owner": "erin", "seq": n})
    ids = [f"q{n:02d}" for n in range(23)]
    assert [doc.id for doc in documents.iter_query(ITEMS, "owner", "erin", page_size=5)] == ids
    backwards = documents.iter_query(ITEMS, "owner", "erin", descending=True, page_size=5)
    assert [doc.id for doc in backwards] == ids[::-1]


def test_query_on_a_non_indexed_field_is_a_value_error(documents: DocumentStore) -> None:
    documents.put(ITEMS, "d", {"owner": "x", "seq": 1, "color": "red"})
    with pytest.raises(ValueError):
        documents.query(ITEMS, "color", "red")
    with pytest.raises(ValueError):
        documents.query(ITEMS, "seq", "1")  # an order_by field is not a query field
    with pytest.raises(ValueError):
        documents.query(PLAIN, "owner", "x")


def test_unicode_ids_and_values(documents: DocumentStore) -> None:
    data = {"名前": "モデル ✓", "emoji": "🚀🤖", "mixed": ["ü", {"ñ": "ß"}], "kind": "種類"}
    for doc_id in ("日本語-id", "ça va 🚀", "ascii"):
        version = documents.create(ITEMS, doc_id, {**data, "name": doc_id})
        doc = documents.get(ITEMS, doc_id)
        assert (doc.id, doc.data, doc.version) == (doc_id, {**data, "name": doc_id}, version)
    got = [doc.id for doc in documents.query(ITEMS, "kind", "種類").items]
    assert sorted(got) == sorted(["日本語-id", "ça va 🚀", "ascii"])
    assert sorted(doc.id for doc in documents.scan(ITEMS).items) == sorted(got)


BAD_IDS = ["", "a/b", ".", "..", "__reserved__", "x" * 513, "é" * 257]


def test_bad_ids_and_reserved_fields_are_value_errors(documents: DocumentStore) -> None:
    for doc_id in BAD_IDS:
        for write in (documents.put, documents.create):
            with pytest.raises(ValueError):
                write(PLAIN, doc_id, {"n": 1})
        with pytest.raises(ValueError):
            documents.get(PLAIN, doc_id)
        with pytest.raises(ValueError):
            documents.put_many(PLAIN, [("early", {"n": 1}), (doc_id, {"n": 1})])

    version = documents.put(PLAIN, "fine", {"n": 1})
    for reserved in ({"_version": "x"}, {"_": 1}, {"ok": 1, "_id": "y"}):
        with pytest.raises(ValueError):
            documents.put(PLAIN, "new", reserved)
        with pytest.raises(ValueError):
            documents.create(PLAIN, "new", reserved)
        with pytest.raises(ValueError):
            documents.update(PLAIN, "fine", reserved, expected_version=version)
        with pytest.raises(ValueError):
            documents.put_many(PLAIN, [("other", {"n": 1}), ("new", reserved)])
    assert [(d.id, d.data, d.version) for d in documents.scan(PLAIN).items] == [
        ("fine", {"n": 1}, version)
    ]


def test_index_keys_every_backend_cannot_index_are_value_errors(
    documents: DocumentStore,
) -> None:
    # DynamoDB refuses these as GSI keys; refusing them everywhere keeps local portable.
    refused = [
        {"owner": 3, "seq": 1},
        {"owner": "", "seq": 1},
        {"owner": "o", "seq": "1"},
        {"owner": "o", "seq": True},
        {"kind": "k", "name": ""},
    ]
    for data in refused:
        with pytest.raises(ValueError, match="key of index"):
            documents.put(ITEMS, "d", data)
        with pytest.raises(ValueError, match="key of index"):
            documents.put_many(ITEMS, [("early", {"owner": "o", "seq": 1}), ("d", data)])
    assert documents.scan(ITEMS).items == []
    # None (or absent) is fine: the document is simply not in that index.
    documents.put(ITEMS, "d", {"owner": None, "seq": 1, "kind": "k"})
    assert documents.query(ITEMS, "owner", "o").items == []
    assert documents.get(ITEMS, "d").data == {"owner": None, "seq": 1, "kind": "k"}
