"""Local BlobStore: atomicity across processes, partial writes, path safety, streaming."""

from __future__ import annotations

import io
import multiprocessing
import os
import tracemalloc
from pathlib import Path
from typing import IO, Any, cast

import pytest

from adapters import Conflict, NotFound
from adapters.local.blobs import LocalBlobStore

PROCESSES = 6
ROUNDS = 5
# Workers are started with "spawn", like separate API and worker programs: nothing shared
# but the directory.
SPAWN = multiprocessing.get_context("spawn")


def _race_create_only(root: str, worker: int, barrier: Any, results: Any) -> None:
    blobs = LocalBlobStore(Path(root))
    for round_ in range(ROUNDS):
        content = f"worker {worker} round {round_}".encode() * 1000
        barrier.wait(timeout=60)
        try:
            blobs.put(f"race/{round_}/model.bin", content, create_only=True)
            results.put((round_, worker, "won"))
        except Conflict:
            results.put((round_, worker, "conflict"))


def test_create_only_race_across_processes_has_exactly_one_winner(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    barrier = SPAWN.Barrier(PROCESSES)
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_race_create_only, args=(str(root), n, barrier, results))
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(PROCESSES * ROUNDS)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    blobs = LocalBlobStore(root)
    for round_ in range(ROUNDS):
        winners = [w for r, w, outcome in outcomes if r == round_ and outcome == "won"]
        assert len(winners) == 1, f"round {round_}: winners {winners}"
        conflicts = [w for r, w, outcome in outcomes if r == round_ and outcome == "conflict"]
        assert len(conflicts) == PROCESSES - 1
        # The stored content is the winner's, whole.
        expected = f"worker {winners[0]} round {round_}".encode() * 1000
        assert blobs.get(f"race/{round_}/model.bin") == expected
    assert _temp_files(root) == []


class _FailingStream(io.RawIOBase):
    """Gives `good_chunks` chunks of data, then fails like a dropped upload."""

    def __init__(self, good_chunks: int, chunk: int = 256 * 1024) -> None:
        self.remaining = good_chunks
        self.chunk = chunk

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.remaining == 0:
            raise OSError("connection reset while reading the upload")
        self.remaining -= 1
        return b"x" * self.chunk


def test_failed_stream_leaves_no_partial_file(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    with pytest.raises(OSError, match="connection reset"):
        blobs.put("data/new.csv", cast(IO[bytes], _FailingStream(good_chunks=4)))
    assert not blobs.exists("data/new.csv")
    with pytest.raises(NotFound):
        blobs.get("data/new.csv")
    assert blobs.list("data/").items == []
    assert _temp_files(tmp_path) == []


def test_failed_overwrite_keeps_the_old_content(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    blobs.put("data/set.csv", b"old,content\n")
    for create_only in (False, True):
        with pytest.raises(OSError, match="connection reset"):
            stream = cast(IO[bytes], _FailingStream(good_chunks=3))
            blobs.put("data/set.csv", stream, create_only=create_only)
        assert blobs.get("data/set.csv") == b"old,content\n"
    assert _temp_files(tmp_path) == []


class _ZeroStream(io.RawIOBase):
    """`total` bytes of zeros, produced on demand."""

    def __init__(self, total: int) -> None:
        self.remaining = total
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = self.remaining
        self.largest_read = max(self.largest_read, size)
        size = min(size, self.remaining)
        self.remaining -= size
        return bytes(size)


def test_streaming_put_does_not_hold_the_content_in_memory(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    total = 48 * 1024 * 1024
    stream = _ZeroStream(total)
    tracemalloc.start()
    try:
        info = blobs.put("big/zeros.bin", cast(IO[bytes], stream))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == total
    assert stream.largest_read < total
    assert peak < 8 * 1024 * 1024, f"peak Python allocation {peak} bytes for a {total}-byte put"
    with blobs.open("big/zeros.bin") as reader:
        assert isinstance(reader, io.BufferedReader)  # a real file, streamed from disk
        assert reader.read(10) == bytes(10)
    assert os.path.getsize(next(tmp_path.rglob("zeros.bin*"))) == total


@pytest.mark.parametrize(
    "key", ["..", "../escape", "a/../../escape", "a/./b", "/etc/passwd", "a//b", "a/", ""]
)
def test_keys_that_could_escape_the_directory_are_refused(tmp_path: Path, key: str) -> None:
    root = tmp_path / "blobs"
    blobs = LocalBlobStore(root)
    with pytest.raises(ValueError):
        blobs.put(key, b"nope")
    with pytest.raises(ValueError):
        blobs.get(key)
    with pytest.raises(ValueError):
        blobs.delete(key)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["blobs"]


def test_a_key_and_keys_below_it_coexist(tmp_path: Path) -> None:
    # S3 and GCS allow "a" and "a/b" at once; a plain file tree could not hold both.
    blobs = LocalBlobStore(tmp_path)
    keys = ["a", "a/b", "a/b/c", "a-b", "a.d", "a.blob", "ab"]
    for key in keys:
        blobs.put(key, key.encode())
    for key in keys:
        assert blobs.get(key) == key.encode()
    assert [info.key for info in blobs.iter("a", page_size=2)] == sorted(keys)
    assert [info.key for info in blobs.iter("a/", page_size=1)] == ["a/b", "a/b/c"]


def test_two_stores_on_one_directory_see_each_others_writes(tmp_path: Path) -> None:
    writer, reader = LocalBlobStore(tmp_path), LocalBlobStore(tmp_path)
    info = writer.put("shared/x", b"payload")
    assert reader.get("shared/x") == b"payload"
    assert reader.list("shared/").items[0].size == info.size


def _temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".blob")]
