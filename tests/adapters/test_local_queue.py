"""Local JobQueue: several worker processes on one data directory, leases that outlive a
process, and what happens when the database stays locked."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from adapters import BackendUnavailable, NotFound
from adapters.local.queue import LocalJobQueue

MESSAGES = 200
WORKERS = 3
SPAWN = multiprocessing.get_context("spawn")


def _worker(path: str, barrier: Any, results: Any) -> None:
    queue = LocalJobQueue(Path(path))
    barrier.wait(timeout=60)
    seen: list[tuple[str, str, int]] = []
    while True:
        batch = queue.receive(2, lease_seconds=120, wait_seconds=0.3)
        if not batch:
            break
        for message in batch:
            seen.append((message.id, message.body, message.delivery_count))
            time.sleep(0.002)  # some work, so that the workers overlap
            queue.ack(message)
    results.put((os.getpid(), seen))


def test_worker_processes_never_share_a_lease_and_ack_everything_once(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    queue = LocalJobQueue(path)
    sent = {queue.send(f"job {n}") for n in range(MESSAGES)}

    barrier = SPAWN.Barrier(WORKERS)
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_worker, args=(str(path), barrier, results)) for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=120) for _ in range(WORKERS)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    deliveries = [item for _, seen in reports for item in seen]
    ids = [message_id for message_id, _, _ in deliveries]
    # Leases were far longer than the run: any second delivery is a double lease.
    doubles = sorted(message_id for message_id, n in Counter(ids).items() if n > 1)
    assert doubles == [], f"{len(doubles)} messages leased twice"
    assert set(ids) == sent
    assert {count for _, _, count in deliveries} == {1}
    assert all(len(seen) > 0 for _, seen in reports), "workers did not run concurrently"
    assert queue.receive(10) == []
    assert queue.receive_dead_letters(10) == []


def test_a_lease_holds_across_instances_on_one_file(tmp_path: Path) -> None:
    # Two instances stand for two processes: the lease lives in the file, not in memory.
    path = tmp_path / "queue.sqlite3"
    api, worker = LocalJobQueue(path), LocalJobQueue(path)
    api.send("train", {"job_id": "j1"})
    lease = 3.0  # the check below takes milliseconds: a slow machine has the rest to spare
    lease_began_after = time.monotonic()
    (message,) = worker.receive(lease_seconds=lease)
    assert api.receive() == []
    # The lease runs out without anyone touching it: the other instance gets it again.
    (again,) = api.receive(lease_seconds=30, wait_seconds=lease * 10)
    assert time.monotonic() - lease_began_after >= lease, "redelivered before the lease ended"
    assert again.id == message.id and again.delivery_count == 2
    # The first holder's receipt is stale now: it can neither extend nor ack.
    with pytest.raises(NotFound):
        worker.extend(message, 30)
    worker.ack(message)
    api.extend(again, 30)
    api.ack(again)
    assert worker.receive() == [] and api.receive_dead_letters() == []


def test_a_long_poll_sees_a_message_sent_by_another_instance(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    consumer, producer = LocalJobQueue(path), LocalJobQueue(path)
    assert consumer.receive(wait_seconds=0.2) == []
    started = time.monotonic()
    producer.send("late")
    (message,) = consumer.receive(wait_seconds=30)
    assert message.body == "late"
    # Well within the wait: the poll saw the other instance's message, it did not time out.
    assert time.monotonic() - started < 10


def test_dead_letters_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    queue = LocalJobQueue(path, max_deliveries=2)
    queue.send("poison", {"why": "fails"})
    for _ in range(2):
        (message,) = queue.receive()
        queue.release(message)
    assert queue.receive() == []

    reopened = LocalJobQueue(path, max_deliveries=2)
    (dead,) = reopened.receive_dead_letters()
    assert (dead.body, dead.attributes, dead.dead_letter) == ("poison", {"why": "fails"}, True)
    reopened.ack(dead)
    assert reopened.purge_dead_letters() == 0


def test_a_database_locked_past_the_busy_timeout_is_backend_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "queue.sqlite3"
    queue = LocalJobQueue(path, busy_timeout=0.2)
    queue.send("queued before the lock")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="locked"):
            queue.receive()
        assert time.monotonic() - started >= 0.15  # it waited for the busy timeout first
        with pytest.raises(BackendUnavailable):
            queue.send("refused while locked")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    (message,) = queue.receive()
    assert message.body == "queued before the lock"
    assert queue.receive() == []


def test_bad_batch_sizes_are_refused(tmp_path: Path) -> None:
    queue = LocalJobQueue(tmp_path / "queue.sqlite3")
    for bad in (0, 11, -1):
        with pytest.raises(ValueError):
            queue.receive(bad)
    with pytest.raises(ValueError):
        queue.receive(1, lease_seconds=601)
    with pytest.raises(ValueError):
        queue.send("")
