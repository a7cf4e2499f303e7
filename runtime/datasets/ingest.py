"""Storing an upload: validated first (`csvfile.inspect`), then the name is claimed (a
create-only dataset document, so two uploads of one name cannot interleave), the file is
stored, the records are written in batches, and the dataset is marked ready. If a write
fails midway, what was written is removed again.
"""

from __future__ import annotations

import logging
from typing import IO, Any

from adapters.errors import Conflict
from adapters.ports import Adapters, DocumentStore
from runtime.clock import now
from runtime.datasets.csvfile import InvalidDataset, Layout, csv_rows, inspect
from runtime.datasets.store import INGESTING, READY, iter_records
from runtime.datasets.task import Target
from runtime.names import check_name
from runtime.schema import DATASETS, RECORDS

log = logging.getLogger("mlpoc.datasets")

RECORD_BATCH = 500


def ingest(
    adapters: Adapters,
    binary: IO[bytes],
    *,
    name: str,
    target: str | None = None,
    id_column: str | None = None,
    unlabelled: bool = False,
    model: str | None = None,
    task: str | None = None,
) -> dict[str, Any]:
    """Validate, then store the file, its records and its description; returns the
    description. `task`: classification or regression, as stated (default: inferred from
    the target, runtime.datasets.task). InvalidDataset (nothing written) or Conflict if the
    name is taken."""
    model = model or name
    try:
        check_name("dataset", name)
        check_name("model", model)
    except ValueError as exc:
        raise InvalidDataset(str(exc)) from None
    layout, summary = inspect(
        binary, name=name, target=target, id_column=id_column, unlabelled=unlabelled, task=task
    )
    decided = summary.target
    key = f"datasets/{name}/{summary.sha256}.csv"
    stamp = now()
    data: dict[str, Any] = {
        "name": name,
        "key": key,
        "sha256": summary.sha256,
        "size": summary.size,
        "target": target,
        "id_column": id_column,
        "model": model,
        "columns": [
            {"name": c, "kind": summary.kinds[c], "missing": summary.missing[c]}
            for c in summary.header
        ],
        "rows": summary.rows,
        "labelled": summary.labelled,
        "label_counts": summary.label_counts,
        # The task and label set: facts of the dataset that training and labelling obey.
        "task": decided.task if decided else None,
        "task_source": decided.source if decided else None,
        "classes": decided.classes if decided else None,
        "labels_since_train": 0,
        "revision": 1,  # one more per append (runtime.datasets.append)
        "status": INGESTING,
        "created_at": stamp,
        "updated_at": stamp,
    }
    documents = adapters.documents
    try:
        version = documents.create(DATASETS.name, name, data)
    except Conflict:
        raise Conflict(f"dataset {name!r} already exists") from None
    try:
        binary.seek(0)
        adapters.blobs.put(key, binary, content_type="text/csv")
        binary.seek(0)
        _write_records(documents, layout, binary, decided)
        data = {**data, "status": READY, "updated_at": now()}
        documents.update(DATASETS.name, name, data, expected_version=version)
    except BaseException:
        _remove(adapters, name, key)
        raise
    return data


def _write_records(
    documents: DocumentStore, layout: Layout, binary: IO[bytes], target: Target | None
) -> None:
    rows = csv_rows(binary)
    next(rows)  # the header
    batch: list[tuple[str, dict[str, Any]]] = []
    for index, (_, fields) in enumerate(rows):
        batch.append(layout.record(fields, index, target))
        if len(batch) >= RECORD_BATCH:
            documents.put_many(RECORDS.name, batch)
            batch = []
    if batch:
        documents.put_many(RECORDS.name, batch)


def _remove(adapters: Adapters, name: str, key: str) -> None:
    """Best-effort undo of a failed ingest: records, file, then the name."""
    try:
        for doc in iter_records(adapters.documents, name):
            adapters.documents.delete(RECORDS.name, doc.id)
        adapters.blobs.delete(key)
        adapters.documents.delete(DATASETS.name, name)
    except Exception:
        log.exception("dataset %s: cleanup after a failed upload did not finish", name)
