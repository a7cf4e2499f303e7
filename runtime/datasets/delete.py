"""Deleting a dataset: its description, its records, their annotations and stored
predictions, and its files; never a model's artifact, nor a training snapshot a model
version names (the version's record of what it learned from).

The dataset is marked `deleting` first, so no label, append or training starts on it
meanwhile; if a deletion stops midway, asking again finishes it.
"""

from __future__ import annotations

from typing import Any

from adapters.ports import Adapters, Document
from runtime.clock import now
from runtime.datasets.store import get_dataset
from runtime.schema import ANNOTATIONS, DATASETS, MODEL_VERSIONS, PREDICTIONS, RECORDS

DELETING = "deleting"
PAGE = 500


def delete_dataset(adapters: Adapters, name: str) -> dict[str, Any]:
    """Delete `name` and everything that is only its; NotFound if there is no such dataset.
    Returns how many of each were removed."""
    documents = adapters.documents
    get_dataset(documents, name, ready=False)

    def deleting(doc: Document) -> dict[str, Any]:
        return {**doc.data, "status": DELETING, "updated_at": now()}

    documents.modify(DATASETS.name, name, deleting)
    removed: dict[str, Any] = {"name": name}
    for collection in (PREDICTIONS, ANNOTATIONS, RECORDS):
        docs = documents.iter_query(collection.name, "dataset", name, page_size=PAGE)
        ids = [doc.id for doc in docs]  # all first: deleting while paging could skip some
        removed[collection.name] = documents.delete_many(collection.name, ids)
    kept = _snapshots_in_use(adapters, name)
    files = [b.key for b in adapters.blobs.iter(f"datasets/{name}/") if b.key not in kept]
    for key in files:
        adapters.blobs.delete(key)
    removed["files"] = len(files)
    removed["snapshots_kept"] = len(kept)
    documents.delete(DATASETS.name, name)
    return removed


def _snapshots_in_use(adapters: Adapters, name: str) -> set[str]:
    """The training snapshots of this dataset that some model version names."""
    prefix = f"datasets/{name}/labelled/"
    keys = set()
    for doc in adapters.documents.iter_scan(MODEL_VERSIONS.name, page_size=PAGE):
        key = (doc.data.get("dataset") or {}).get("key")
        if isinstance(key, str) and key.startswith(prefix):
            keys.add(key)
    return keys
