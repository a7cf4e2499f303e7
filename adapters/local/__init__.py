"""The embedded local backend: files and SQLite under one data directory, no server.

Layout of `settings.data_dir`: `blobs/` (BlobStore), `queue.sqlite3` (JobQueue),
`documents.sqlite3` (DocumentStore). Several processes (an API and workers) may share it.
It holds datasets, models and API key hashes, so it is private to its owner: the directory
and every directory under it 0700, every file 0600, whatever the process umask.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from adapters.local.blobs import LocalBlobStore
from adapters.local.documents import LocalDocumentStore
from adapters.local.files import private_dir
from adapters.local.queue import LocalJobQueue
from adapters.ports import Adapters, Collection
from adapters.settings import Settings

__all__ = ["LocalBlobStore", "LocalDocumentStore", "LocalJobQueue", "build"]


def build(settings: Settings, collections: Iterable[Collection]) -> Adapters:
    data_dir = Path(settings.data_dir)
    private_dir(data_dir)
    return Adapters(
        backend="local",
        blobs=LocalBlobStore(data_dir / "blobs"),
        queue=LocalJobQueue(data_dir / "queue.sqlite3", max_deliveries=settings.max_deliveries),
        documents=LocalDocumentStore(data_dir / "documents.sqlite3", collections),
    )
