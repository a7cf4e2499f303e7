"""BlobStore contract: the same assertions on every backend."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from adapters import BlobStore, Conflict, NotFound
from tests.support.contract import all_pages, race


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_get_round_trip_returns_size_and_sha256(blobs: BlobStore) -> None:
    data = os.urandom(10_000) + b"\x00\xff"
    info = blobs.put("models/m1/model.bin", data, content_type="application/octet-stream")
    assert info.key == "models/m1/model.bin"
    assert info.size == len(data)
    assert info.sha256 == sha256(data)
    assert blobs.get("models/m1/model.bin") == data


def test_put_empty_blob(blobs: BlobStore) -> None:
    info = blobs.put("empty", b"")
    assert (info.size, info.sha256) == (0, sha256(b""))
    assert blobs.get("empty") == b""
    assert blobs.exists("empty")


def test_put_replaces_existing_content(blobs: BlobStore) -> None:
    blobs.put("k", b"first")
    info = blobs.put("k", b"second, longer")
    assert info.sha256 == sha256(b"second, longer")
    assert blobs.get("k") == b"second, longer"


def test_create_only_conflict_keeps_first_content(blobs: BlobStore) -> None:
    first = blobs.put("artifacts/a.bin", b"first", create_only=True)
    assert first.sha256 == sha256(b"first")
    with pytest.raises(Conflict):
        blobs.put("artifacts/a.bin", b"second", create_only=True)
    with pytest.raises(Conflict):
        blobs.put("artifacts/a.bin", io.BytesIO(b"third"), create_only=True)
    assert blobs.get("artifacts/a.bin") == b"first"


def test_create_only_race_has_exactly_one_winner(blobs: BlobStore) -> None:
    outcomes = race(
        lambda: blobs.put("race/key", b"writer 0", create_only=True),
        lambda: blobs.put("race/key", b"writer 1", create_only=True),
    )
    assert sorted(outcomes) == ["Conflict", "won"], outcomes
    assert blobs.get("race/key") == f"writer {outcomes.index('won')}".encode()


def test_streaming_put_from_file_and_streaming_read(blobs: BlobStore, tmp_path: Path) -> None:
    # Not a multiple of any likely chunk size, so the last partial chunk is exercised.
    data = os.urandom(2 * 1024 * 1024 + 12_345)
    source = tmp_path / "upload.bin"
    source.write_bytes(data)
    with source.open("rb") as handle:
        info = blobs.put("big/upload.bin", handle)
    assert (info.size, info.sha256) == (len(data), sha256(data))

    digest = hashlib.sha256()
    received = 0
    with blobs.open("big/upload.bin") as stream:
        while chunk := stream.read(64 * 1024):
            assert len(chunk) <= 64 * 1024
            digest.update(chunk)
            received += len(chunk)
    assert received == len(data)
    assert digest.hexdigest() == sha256(data)


def test_put_from_bytes_io_reads_to_end(blobs: BlobStore) -> None:
    data = b"0123456789" * 1000
    info = blobs.put("bio", io.BytesIO(data))
    assert (info.size, info.sha256) == (len(data), sha256(data))
    assert blobs.get("bio") == data


def test_exists(blobs: BlobStore) -> None:
    assert not blobs.exists("x/y.txt")
    blobs.put("x/y.txt", b"y")
    assert blobs.exists("x/y.txt")
    # A prefix of a key is not itself a key.
    assert not blobs.exists("x")
    blobs.delete("x/y.txt")
    assert not blobs.exists("x/y.txt")


def test_delete_is_idempotent(blobs: BlobStore) -> None:
    blobs.put("gone", b"data")
    blobs.delete("gone")
    blobs.delete("gone")
    blobs.delete("never/existed")
    assert not blobs.exists("gone")
    with pytest.raises(NotFound):
        blobs.get("gone")


def test_missing_blob_is_not_found_of_the_exact_type(blobs: BlobStore) -> None:
    with pytest.raises(NotFound) as on_get:
        blobs.get("missing/blob")
    assert type(on_get.value) is NotFound
    with pytest.raises(NotFound) as on_open, blobs.open("missing/blob") as stream:
        stream.read()
    assert type(on_open.value) is NotFound


def test_listing_past_one_page_in_lexicographic_order(blobs: BlobStore) -> None:
    keys = [f"data/{n:03d}.csv" for n in range(25)]
    # '-' sorts before '/', so a per-directory walk would get these out of order.
    keys += ["data/sub/z.csv", "data/sub-a.csv", "data/sub.csv"]
    for key in reversed(keys):
        blobs.put(key, key.encode())
    blobs.put("other/001.csv", b"not under the prefix")

    pages = all_pages(lambda token: blobs.list("data/", page_size=10, page_token=token))
    assert len(pages[0].items) == 10
    assert pages[0].next_token is not None
    assert all(len(page.items) <= 10 for page in pages)
    listed = [info.key for page in pages for info in page.items]
    assert listed == sorted(keys)  # every key once, in order: no gaps, no duplicates
    sizes = {info.key: info.size for page in pages for info in page.items}
    assert all(sizes[key] == len(key.encode()) for key in keys)

    assert [info.key for info in blobs.iter("data/", page_size=7)] == sorted(keys)


def test_listing_prefix_is_a_string_prefix(blobs: BlobStore) -> None:
    for key in ("logs/2024-01/a", "logs/2024-02.txt", "logs/2025-01/a", "logs2024"):
        blobs.put(key, b".")
    assert [i.key for i in blobs.iter("logs/2024-0")] == ["logs/2024-01/a", "logs/2024-02.txt"]
    assert [i.key for i in blobs.iter("nothing/")] == []
    assert [i.key for i in blobs.iter()] == [
        "logs/2024-01/a",
        "logs/2024-02.txt",
        "logs/2025-01/a",
        "logs2024",
    ]


def test_unicode_keys_and_content(blobs: BlobStore) -> None:
    keys = ["データ/モデル ü.bin", "données/été 🚀.txt", "plain/ascii.txt"]
    for key in keys:
        content = f"contenu: {key} ✓".encode()
        info = blobs.put(key, content)
        assert info.key == key
        assert blobs.get(key) == content
        assert blobs.exists(key)
    assert sorted(i.key for i in blobs.iter()) == sorted(keys)
    assert [i.key for i in blobs.iter("データ/")] == ["データ/モデル ü.bin"]


BAD_KEYS = [
    "",
    "/leading",
    "a//b",
    "a/../b",
    "./a",
    "a/.",
    "..",
    "end/",
    "nul\x00",
    "k" * 1025,
    "é" * 513,
]


def test_bad_keys_are_value_errors_and_nothing_is_stored(blobs: BlobStore) -> None:
    for key in BAD_KEYS:
        with pytest.raises(ValueError):
            blobs.put(key, b"data")
        with pytest.raises(ValueError):
            blobs.put(key, io.BytesIO(b"data"), create_only=True)
        with pytest.raises(ValueError):
            blobs.get(key)
    assert list(blobs.iter()) == []
