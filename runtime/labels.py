"""Labels on records, one at a time or in bulk, each one logged in `annotations` with who
set it and when. The dataset's label counts move with them, and after
`retrain_after_labels` new labels a retrain is enqueued.

A label must fit the dataset's task (runtime.datasets.task): a regression label is a
number; a classification label is one of the dataset's classes (a number matches the class
that spells it), or, only when the request says `new_class`, a class added to the set.

Every label is checked and every record named is read before anything is written: a label
that does not fit (`InvalidLabel`) or an unknown record refuses the whole request. Two
annotators labelling the same record at once both succeed; the later write is the record's
label and both are in the log.
"""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.errors import Conflict
from adapters.ports import Adapters, Document, DocumentStore, Page
from runtime.clock import now
from runtime.datasets.csvfile import MISSING
from runtime.datasets.store import get_dataset, get_record, record_doc_id
from runtime.datasets.task import (
    CLASSIFICATION,
    MAX_CLASSES,
    REGRESSION,
    InvalidLabel,
    class_label,
    numeric_label,
    sort_classes,
)
from runtime.datasets.training import enqueue_training
from runtime.jobs import Job
from runtime.schema import ANNOTATIONS, DATASETS, RECORDS

Label = str | int | float | bool
MAX_LABEL_CHARS = 1000
# What str.strip() removes, spelled out, so that one pattern means the same to Python's `re`
# and to the ECMAScript regexes of JSON Schema: a text label holds something else.
_BLANK = r"\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
LABEL_TEXT_PATTERN = f"[^{_BLANK}]"
_LABEL_TEXT = re.compile(LABEL_TEXT_PATTERN)
# The rules of `check_label` as JSON Schema (the API's published label type).
LABEL_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "string",
            "maxLength": MAX_LABEL_CHARS,
            "pattern": LABEL_TEXT_PATTERN,
            "not": {"enum": sorted(MISSING)},
        },
        {"type": "number"},
        {"type": "boolean"},
    ],
    "description": "A class name or a number; text must not be blank or read as missing "
    "(such as 'NA' or 'null').",
}


@dataclass(frozen=True)
class Labelled:
    records: list[dict[str, Any]]
    retrain_job: Job | None


def check_label(label: Any) -> Label:
    if isinstance(label, bool | int):
        return label
    if isinstance(label, float):
        if not math.isfinite(label):
            raise InvalidLabel("a label must be a finite number")
        return label
    if isinstance(label, str):
        if label in MISSING or not _LABEL_TEXT.search(label) or len(label) > MAX_LABEL_CHARS:
            raise InvalidLabel(
                f"a label must be 1..{MAX_LABEL_CHARS} characters and not read as missing "
                f"(such as {sorted(MISSING)[1:4]}): {label[:40]!r}"
            )
        return label
    raise InvalidLabel(f"a label must be a string or a number, got {type(label).__name__}")


def fitted_labels(
    dataset: dict[str, Any], labels: Sequence[tuple[str, Any]], *, new_class: bool
) -> tuple[list[tuple[str, Label]], list[str]]:
    """Each label as the dataset's task has it (a class, a number), and the classes these
    labels add (only with `new_class`); InvalidLabel for the first that does not fit.
    A dataset from before tasks were recorded takes any label, as it always did."""
    task, classes = dataset.get("task"), list(dataset.get("classes") or [])
    if new_class and task != CLASSIFICATION:
        raise InvalidLabel(f"dataset {dataset['name']!r} is not classification: no classes to add")
    fitted: list[tuple[str, Label]] = []
    added: list[str] = []
    for record_id, raw in labels:
        label = check_label(raw)
        if task == REGRESSION:
            label = numeric_label(label)
        elif task == CLASSIFICATION:
            label, new = class_label(label, classes, new_class=new_class)
            if new:
                classes.append(label)
                added.append(label)
        fitted.append((record_id, label))
    return fitted, added


def set_labels(
    adapters: Adapters,
    dataset: str,
    labels: Sequence[tuple[str, Any]],
    *,
    by: str,
    by_key: str | None = None,
    retrain_after: int = 0,
    new_class: bool = False,
) -> Labelled:
    """Label records of `dataset` as `by` (the API key's name; `by_key`: its id, kept in the
    annotation log); returns the updated records, and the retrain job if these labels
    crossed the `retrain_after` threshold. With `new_class`, a classification label outside
    the label set adds its class; without it, such a label is an InvalidLabel."""
    documents = adapters.documents
    described = get_dataset(documents, dataset)
    if not described.get("target"):
        raise Conflict(f"dataset {dataset!r} has no target column to label")  # its state: 409
    if not labels:
        raise ValueError("no labels given")
    counted_ids = Counter(record_id for record_id, _ in labels)
    repeated = sorted(i for i, n in counted_ids.items() if n > 1)
    if repeated:
        raise ValueError(f"record ids repeat in the request: {repeated[:10]}")
    checked, added = fitted_labels(described, labels, new_class=new_class)
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
    if added:
        # The label set first: a record never carries a class its dataset does not list.
        add_classes(documents, dataset, added)
    # The log next: a record never carries a label its log does not explain.
    documents.put_many(ANNOTATIONS.name, log)
    documents.put_many(RECORDS.name, updated)
    due = _count(documents, dataset, changes, retrain_after)
    job = (
        enqueue_training(adapters, dataset, reset_counter=False, created_by=by_key) if due else None
    )
    return Labelled(records=[data for _, data in updated], retrain_job=job)


def add_classes(documents: DocumentStore, dataset: str, classes: Sequence[str]) -> list[str]:
    """Add `classes` to a classification dataset's label set; the set as stored."""

    def added(doc: Document) -> dict[str, Any]:
        merged = sort_classes([*(doc.data.get("classes") or []), *classes])
        if len(merged) > MAX_CLASSES:
            raise InvalidLabel(f"a dataset may have at most {MAX_CLASSES} classes")
        return {**doc.data, "classes": merged, "updated_at": now()}

    written = documents.modify(DATASETS.name, dataset, added)
    return list(written.data["classes"]) if written else []


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
        if counts is not None and len(counts) > MAX_CLASSES:
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
