"""What a training job reads: a snapshot of the uploaded CSV with its target column filled
from the records' current labels, stored under its content hash (the exact data a job saw
stays readable); and enqueueing a `train` job on a dataset.

Enqueueing reads and writes a fixed number of documents, whatever the dataset's size: the
snapshot is the worker's work (runtime.handlers.train makes it on the job's first delivery
and records it on the job's document, so every later delivery trains on the same data).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Mapping
from typing import Any

from adapters.errors import Conflict
from adapters.ports import Adapters, DocumentStore
from runtime import jobs
from runtime.clock import now
from runtime.datasets.csvfile import READ_CHUNK_BYTES, csv_rows, digest, layout_of
from runtime.datasets.ref import DatasetRef
from runtime.datasets.store import get_dataset, iter_records, source_ref
from runtime.jobs import Job
from runtime.names import check_name
from runtime.schema import DATASETS


def labelled_snapshot(adapters: Adapters, dataset: Mapping[str, Any]) -> DatasetRef:
    """The uploaded CSV with its target column set to the records' current labels, stored
    under its content hash: the exact data a training job saw stays readable."""
    name, target = dataset["name"], dataset.get("target")
    if not target:
        # The dataset's state, not the request, stands in the way: a conflict (409).
        raise Conflict(f"dataset {name!r} has no target column; it cannot be trained on")
    labels = {
        str(doc.data["record_id"]): doc.data["label"]
        for doc in iter_records(adapters.documents, name)
        if doc.data.get("label") is not None
    }
    with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as out:
        # Copied to a local file first: a cloud SDK's stream may close itself at its end,
        # which a text wrapper reading ahead does not expect.
        with adapters.blobs.open(dataset["key"]) as stream:
            while chunk := stream.read(READ_CHUNK_BYTES):
                source.write(chunk)
        source.seek(0)
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text)
        rows = csv_rows(source)
        _, header = next(rows)
        layout = layout_of(name, header, target, dataset.get("id_column"), unlabelled=True)
        writer.writerow(header if layout.target is not None else [*header, target])
        for index, (_, fields) in enumerate(rows):
            label = labels.get(layout.record_id(fields, index))
            value = "" if label is None else str(label)
            if layout.target is None:
                fields.append(value)
            else:
                fields[layout.target] = value
            writer.writerow(fields)
        text.flush()
        text.detach()
        sha256, _ = digest(out)
        key = f"datasets/{name}/labelled/{sha256}.csv"
        adapters.blobs.put(key, out, content_type="text/csv")
    return DatasetRef(
        key=key,
        name=name,
        target=target,
        id_column=dataset.get("id_column"),
        task=dataset.get("task"),
        revision=dataset.get("revision"),
    )


def snapshot_of(adapters: Adapters, name: str) -> DatasetRef:
    """A labelled snapshot of the dataset called `name` as it is now (its labels included)."""
    return labelled_snapshot(adapters, get_dataset(adapters.documents, name))


def enqueue_training(
    adapters: Adapters,
    name: str,
    *,
    model: str | None = None,
    params: Mapping[str, Any] | None = None,
    job_id: str | None = None,
    reset_counter: bool = True,
    created_by: str | None = None,
) -> Job:
    """Enqueue a `train` job on a snapshot of the dataset's labels, which the worker takes
    (`created_by`: the id of the API key that asked). `params` are the trainer's, already
    checked (`Trainer.check_params`). Reads the dataset's description only: constant time."""
    dataset = get_dataset(adapters.documents, name)
    if not dataset.get("target"):
        # The dataset's state, not the request, stands in the way: a conflict (409).
        raise Conflict(f"dataset {name!r} has no target column; it cannot be trained on")
    model = model or dataset["model"]
    check_name("model", model)
    _check_task(dataset, params or {})
    job = jobs.enqueue(
        adapters,
        "train",
        {
            "model": model,
            "snapshot_of": name,
            "predict_dataset": source_ref(dataset).to_json(),
            "params": dict(params or {}),
        },
        job_id=job_id,
        created_by=created_by,
    )
    if reset_counter:
        _reset_label_counter(adapters.documents, name)
    return job


def _check_task(dataset: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """A trainer param `task` may only repeat the dataset's own (or say `auto`)."""
    task, given = dataset.get("task"), params.get("task")
    if task is not None and given not in (None, "auto", task):
        raise ValueError(
            f"dataset {dataset['name']!r} is a {task} dataset; the task is the dataset's, "
            f"not a trainer param (got task={given!r})"
        )


def _reset_label_counter(documents: DocumentStore, name: str) -> None:
    documents.modify(
        DATASETS.name,
        name,
        lambda doc: {**doc.data, "labels_since_train": 0, "updated_at": now()},
    )
