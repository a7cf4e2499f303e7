"""Local DocumentStore: compare-and-swap across processes, index use, locking, isolation."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters import BackendUnavailable, Collection, Conflict, Index, TooLarge
from adapters.local.documents import LocalDocumentStore

PROCESSES = 3
INCREMENTS = 15
COLLECTIONS = (Collection("items", (Index("owner", "seq", "N"), Index("kind", "name"))),)
SPAWN = multiprocessing.get_context("spawn")


def _increment(path: str, barrier: Any, results: Any) -> None:
    store = LocalDocumentStore(Path(path), COLLECTIONS)
    barrier.wait(timeout=60)
    conflicts = 0
    for _ in range(INCREMENTS):
        while True:
            doc = store.get("items", "counter")
            try:
                store.update(
                    "items", "counter", {"n": doc.data["n"] + 1}, expected_version=doc.version
                )
                break
            except Conflict:
                conflicts += 1
    results.put(conflicts)


def test_compare_and_swap_loses_no_update_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    LocalDocumentStore(path, COLLECTIONS).create("items", "counter", {"n": 0})
    barrier = SPAWN.Barrier(PROCESSES)
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_increment, args=(str(path), barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    conflicts = [results.get(timeout=120) for _ in range(PROCESSES)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    store = LocalDocumentStore(path, COLLECTIONS)
    assert store.get("items", "counter").data == {"n": PROCESSES * INCREMENTS}
    print(f"conflicts retried per process: {conflicts}")


def test_queries_use_the_declared_expression_index(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "documents.sqlite3", COLLECTIONS)
    store.put_many("items", [(f"i{n}", {"owner": "ann", "seq": n}) for n in range(30)])
    statements: list[str] = []
    store.db.connection().set_trace_callback(statements.append)
    first = store.query("items", "owner", "ann", descending=True, limit=10)
    store.query("items", "owner", "ann", descending=True, limit=10, page_token=first.next_token)
    store.db.connection().set_trace_callback(None)

    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2
    for sql in selects:
        plan = " ".join(row[3] for row in store.db.query("EXPLAIN QUERY PLAN " + sql))
        assert "USING INDEX ix_items_by_owner_seq" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # ordered by the index, not sorted after


def test_numeric_order_is_numeric_not_textual(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "documents.sqlite3", COLLECTIONS)
    for seq in (10, 9, 100, 2.5, -1):
        store.put("items", f"s{seq}", {"owner": "bob", "seq": seq})
    page = store.query("items", "owner", "bob")
    assert [doc.data["seq"] for doc in page.items] == [-1, 2.5, 9, 10, 100]


def test_a_database_locked_past_the_busy_timeout_is_backend_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "documents.sqlite3"
    store = LocalDocumentStore(path, COLLECTIONS, busy_timeout=0.2)
    version = store.put("items", "a", {"v": 1})
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(BackendUnavailable, match="locked"):
            store.update("items", "a", {"v": 2}, expected_version=version)
        with pytest.raises(BackendUnavailable):
            store.put_many("items", [("b", {"v": 1})])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.get("items", "a").data == {"v": 1}
    store.update("items", "a", {"v": 2}, expected_version=version)


def test_put_many_checks_every_document_before_writing(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path / "documents.sqlite3", COLLECTIONS)
    docs = [(f"d{n}", {"n": n}) for n in range(50)]
    with pytest.raises(TooLarge):
        store.put_many("items", [*docs, ("huge", {"blob": "x" * 400_000})])
    with pytest.raises(ValueError):
        store.put_many("items", [*docs, ("bad", {"nan": float("nan")})])
    assert store.scan("items").items == []


def test_the_local_backend_imports_no_cloud_sdk(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from adapters import Settings, build_adapters\n"
        "from runtime.schema import COLLECTIONS\n"
        f"a = build_adapters(COLLECTIONS, Settings(backend='local', data_dir={str(tmp_path)!r}))\n"
        "a.blobs.put('k', b'v'); a.queue.send('m'); a.documents.put('jobs', 'j', {})\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'google')]\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
