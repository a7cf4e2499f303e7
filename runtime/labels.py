"""Labels on records, one at a time or in bulk, each one logged in `annotations` with who
set it and when. The dataset's label counts move with them, and after
`retrain_after_labels` new labels a retrain is enqueued.

Every record named is read before anything is written: an unknown record refuses the whole
request. Two annotators labelling the same record at once both succeed; the later write is
the record's label and both are in the log.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.ports import Adapters, Document, DocumentStore, Page
from runtime.clock import now
from runtime.datasets.csvfile import MAX_LABEL_KINDS, MISSING
from runtime.datasets.store import get_dataset, get_record, record_doc_id
from runtime.datasets.training import enqueue_training
from runtime.jobs import Job
from runtime.schema import ANNOTATIONS, DATASETS, RECORDS

Label = str | int | float | bool
MAX_LABEL_CHARS = 1000


@dataclass(frozen=True)
class Labelled:
    records: list[dict[str, Any]]
    retrain_job: Job | None


def check_label(label: Any) -> Label:
    if isinstance(label, bool | int):
        return label
    if isinstance(label, float):
        if not math.isfinite(label):
            raise ValueError("a label must be a finite number")
        return label
    if isinstance(label, str):
        if label in MISSING or not label.strip() or len(label) > MAX_LABEL_CHARS:
            raise ValueError(
                f"a label must be 1..{MAX_LABEL_CHARS} characters and not read as missing "
                f"(such as {sorted(MISSING)[1:4]}): {label[:40]!r}"
            )
        return label
    raise ValueError(f"a label must be a string or a number, got {type(label).__name__}")


def set_labels(
    adapters: Adapters,
    dataset: str,
    labels: Sequence[tuple[str, Any]],
    *,
    by: str,
    by_key: str | None = None,
    retrain_after: int = 0,
) -> Labelled:
    """Label records of `dataset` as `by` (the API key's name; `by_key`: its id, kept in the
    annotation log); returns the updated records, and the retrain job if these labels
    crossed the `retrain_after` threshold."""
    documents = adapters.documents
    described = get_dataset(documents, dataset)
    if not described.get("target"):
        raise ValueError(f"dataset {dataset!r} has no target column to label")
    if not labels:
        raise ValueError("no labels given")
    ids = [record_id for record_id, _ in labels]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"record ids repeat in the request: {repeated[:10]}")
    checked = [(record_id, check_label(label)) for record_id, label in labels]
    current = [get_record(documents, dataset, record_id) for record_id, _ in checked]
    stamp = now()
    updated: list[tuple[str, dict[str, Any]]] = []
    log: list[tuple[str, dict[str, Any]]] = []
    changes: list[tuple[Any, Any]] = []
    for (record_id, label), record in zip(checked, current, strict=True):
        previous = record.get("label")
        changes.append((previous, label))
        updated.append(
            (
                record_doc_id(dataset, record_id),
                {
                    **record,
                    "label": label,
                    "unlabelled": None,
                    "label_source": "annotation",
                    "labelled_by": by,
                    "labelled_at": stamp,
                },
            )
        )
        log.append(
            (
                uuid.uuid4().hex,
                {
                    "dataset": dataset,
                    "record_id": record_id,
                    "label": label,
                    "previous": previous,
                    "by": by,
                    "key_id": by_key,
                    "at": stamp,
                },
            )
        )
    # The log first: a record never carries a label its log does not explain.
    documents.put_many(ANNOTATIONS.name, log)
    documents.put_many(RECORDS.name, updated)
    due = _count(documents, dataset, changes, retrain_after)
    job = (
        enqueue_training(adapters, dataset, reset_counter=False, created_by=by_key) if due else None
    )
    return Labelled(records=[data for _, data in updated], retrain_job=job)


def _count(
    documents: DocumentStore, dataset: str, changes: list[tuple[Any, Any]], retrain_after: int
) -> bool:
    """Move the dataset's label counts by compare-and-swap; True if this call crossed the
    retrain threshold (then it also reset the counter, so exactly one caller retrains)."""
    due = False

    def counted(doc: Document) -> dict[str, Any]:
        nonlocal due
        data = dict(doc.data)
        counts = data.get("label_counts")
        counts = dict(counts) if counts is not None else None
        labelled = int(data.get("labelled") or 0)
        for previous, label in changes:
            if counts is not None:
                if previous is not None:
                    key = str(previous)
                    counts[key] = counts.get(key, 0) - 1
                    if counts[key] <= 0:
                        del counts[key]
                counts[str(label)] = counts.get(str(label), 0) + 1
            if previous is None:
                labelled += 1
        if counts is not None and len(counts) > MAX_LABEL_KINDS:
            counts = None
        since = int(data.get("labels_since_train") or 0) + len(changes)
        due = retrain_after > 0 and since >= retrain_after
        data.update(
            label_counts=counts,
            labelled=labelled,
            labels_since_train=0 if due else since,
            updated_at=now(),
        )
        return data

    documents.modify(DATASETS.name, dataset, counted)
    return due


def list_annotations(
    documents: DocumentStore, dataset: str, *, limit: int = 100, page_token: str | None = None
) -> Page[dict[str, Any]]:
    """Who labelled what and when, newest first."""
    get_dataset(documents, dataset)
    page = documents.query(
        ANNOTATIONS.name, "dataset", dataset, descending=True, limit=limit, page_token=page_token
    )
    return Page([doc.data for doc in page.items], page.next_token)
