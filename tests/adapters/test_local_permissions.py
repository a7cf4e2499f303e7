"""The local backend's data directory is private to its owner: every directory 0700, every
file 0600 (blobs, SQLite databases and their journals), even under a permissive umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from adapters import build_adapters
from adapters.settings import Settings
from runtime import api_keys, jobs
from runtime.schema import COLLECTIONS


def test_data_directory_and_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    previous = os.umask(0o022)  # the usual default: group and others may read
    try:
        adapters = build_adapters(COLLECTIONS, Settings(backend="local", data_dir=data_dir))
        adapters.blobs.put("datasets/iris/data.csv", b"a,b\n1,2\n")
        adapters.blobs.put("artifacts/sha256/abc", b"model", create_only=True)
        api_keys.create(adapters.documents, "owner", ["admin"])
        jobs.enqueue(adapters, "train", {"dataset": "iris"})
    finally:
        os.umask(previous)
    modes = {
        path.relative_to(tmp_path): stat.S_IMODE(path.lstat().st_mode)
        for path in [data_dir, *data_dir.rglob("*")]
    }
    assert len([p for p in modes if str(p).endswith(".sqlite3")]) == 2
    assert any("iris" in str(p) for p in modes)
    wrong = {
        str(path): oct(mode)
        for path, mode in modes.items()
        if mode != (0o700 if (tmp_path / path).is_dir() else 0o600)
    }
    assert wrong == {}


def test_an_existing_data_directory_is_made_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    build_adapters(COLLECTIONS, Settings(backend="local", data_dir=data_dir))
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
