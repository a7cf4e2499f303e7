"""Appending rows to a dataset: a CSV with the dataset's columns (in any order; the target
column may be left out, then the rows wait for labels), checked like an upload, with its
labels held to the dataset's task and label set (a new class only with `new_class`).

The dataset's file is replaced by a new one, the old rows then the new, stored under its
own hash; the old file stays, so every training snapshot taken before stays explained. The
dataset's `revision` counts its files: 1 at upload, one more per append, and a training job
records the revision it learned from.

One append at a time per dataset: an append claims the dataset (a marker on its description,
set by compare-and-swap), writes the new file and the new records, then publishes the file
and the counts and drops the claim in one more compare-and-swap. Labels keep flowing
meanwhile. If anything fails, what was written is removed again and the claim dropped; a
claim left by a process that died is taken over after `STALE_CLAIM_SECONDS`.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import IO, Any

from adapters.errors import Conflict, NotFound
from adapters.ports import Adapters, Document
from runtime.clock import now
from runtime.datasets.csvfile import CsvSummary, InvalidDataset, Layout, csv_rows, digest, scan
from runtime.datasets.ingest import RECORD_BATCH
from runtime.datasets.store import READY, download, get_dataset, iter_records
from runtime.datasets.task import (
    CLASSIFICATION,
    MAX_CLASSES,
    REGRESSION,
    InvalidLabel,
    Target,
    class_label,
    sort_classes,
)
from runtime.schema import DATASETS, RECORDS

log = logging.getLogger("mlpoc.datasets")

STALE_CLAIM_SECONDS = 15 * 60


def append_rows(
    adapters: Adapters, name: str, binary: IO[bytes], *, new_class: bool = False
) -> dict[str, Any]:
    """Append the CSV's rows to dataset `name`; its description as published. Nothing is
    written on InvalidDataset (the file) or InvalidLabel (a label that does not fit);
    Conflict while another append runs."""
    documents = adapters.documents
    dataset = get_dataset(documents, name)
    layout, summary = _checked(adapters, dataset, binary)
    target = _target(dataset, summary, new_class=new_class)
    token = uuid.uuid4().hex
    documents.modify(DATASETS.name, name, lambda doc: _claimed(doc, token))
    written: dict[str, Any] = {"records": [], "key": None}
    try:
        key, sha256, size = _store_file(adapters, dataset, layout, binary)
        written["key"] = key if key != dataset["key"] else None
        written["records"] = _write_records(adapters, layout, binary, target, dataset["rows"])
        published = documents.modify(
            DATASETS.name,
            name,
            lambda doc: _published(doc, token, dataset, summary, target, key, sha256, size),
        )
    except BaseException:
        _undo(adapters, name, token, written)
        raise
    assert published is not None
    return published.data


def _checked(
    adapters: Adapters, dataset: Mapping[str, Any], binary: IO[bytes]
) -> tuple[Layout, CsvSummary]:
    """The appended file checked like an upload, its header against the dataset's, its
    record ids against those the dataset has."""
    name, target = dataset["name"], dataset.get("target")
    columns = [c["name"] for c in dataset["columns"]]
    layout, summary = scan(
        binary,
        name=name,
        target=target,
        id_column=dataset.get("id_column"),
        unlabelled=True,
        first_row=int(dataset["rows"]),
    )
    allowed = [set(columns)]
    if target in columns:
        allowed.append(set(columns) - {target})
    if set(layout.header) not in allowed:
        missing = sorted(set(columns) - set(layout.header) - {target})
        extra = sorted(set(layout.header) - set(columns))
        raise InvalidDataset(
            f"the rows must have the dataset's columns (in any order; the target "
            f"{target!r} may be left out): missing {missing[:20]}, unknown {extra[:20]}"
        )
    if dataset.get("id_column"):
        taken = {
            str(doc.data["record_id"])
            for doc in iter_records(adapters.documents, name)
            if doc.data["record_id"] in summary.record_ids
        }
        if taken:
            raise InvalidDataset(f"record ids already in {name!r}: {sorted(taken)[:20]}")
    return layout, summary


def _target(dataset: Mapping[str, Any], summary: CsvSummary, *, new_class: bool) -> Target | None:
    """The appended labels held to the dataset's task: how each spelling is stored, and the
    classes they add (only with `new_class`)."""
    task, values = dataset.get("task"), summary.target_values
    if task == REGRESSION:
        if not values.numeric:
            raise InvalidLabel(values.not_a_number(f"{dataset['name']!r} is a regression dataset"))
        return Target(REGRESSION, str(dataset.get("task_source")))
    if task != CLASSIFICATION:
        return None  # a dataset from before tasks were recorded: labels as the file has them
    if values.overflow:
        raise InvalidLabel(f"the rows name more than {MAX_CLASSES} classes")
    classes = list(dataset.get("classes") or [])
    spellings: dict[str, str] = {}
    for text in values.distinct:
        label, new = class_label(text, classes, new_class=new_class)
        spellings[text] = label
        if new:
            classes.append(label)
    return Target(CLASSIFICATION, str(dataset.get("task_source")), classes, spellings)


def _claimed(doc: Document, token: str) -> dict[str, Any]:
    data = doc.data
    if data.get("status") != READY:
        raise NotFound(f"dataset {data['name']!r} is not ready (status {data.get('status')!r})")
    claim = data.get("appending")
    if claim and not _stale(claim.get("since")):
        raise Conflict(
            f"dataset {data['name']!r} is taking another append (since {claim.get('since')}); "
            "try again when it is done"
        )
    return {**data, "appending": {"token": token, "since": now()}}


def _stale(since: Any) -> bool:
    try:
        started = datetime.fromisoformat(str(since))
    except ValueError:
        return True
    return datetime.fromisoformat(now()) - started > timedelta(seconds=STALE_CLAIM_SECONDS)


def _store_file(
    adapters: Adapters, dataset: Mapping[str, Any], layout: Layout, binary: IO[bytes]
) -> tuple[str, str, int]:
    """The dataset's file followed by the appended rows (in its column order), stored under
    its hash: (key, sha256, size)."""
    columns = [c["name"] for c in dataset["columns"]]
    where = {column: index for index, column in enumerate(layout.header)}
    with tempfile.TemporaryFile() as out:
        download(adapters.blobs, dataset["key"], out)
        out.seek(0, io.SEEK_END)
        if out.tell():
            out.seek(-1, io.SEEK_END)
            if out.read(1) not in (b"\n", b"\r"):
                out.write(b"\r\n")
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv.writer(text)
        binary.seek(0)
        rows = csv_rows(binary)
        next(rows)  # the header
        for _, fields in rows:
            writer.writerow([fields[where[c]] if c in where else "" for c in columns])
        text.flush()
        text.detach()
        sha256, size = digest(out)
        key = f"datasets/{dataset['name']}/{sha256}.csv"
        adapters.blobs.put(key, out, content_type="text/csv")
    return key, sha256, size


def _write_records(
    adapters: Adapters, layout: Layout, binary: IO[bytes], target: Target | None, first: int
) -> list[str]:
    """The appended rows' records (numbered on from the dataset's rows); their ids."""
    ids: list[str] = []
    batch: list[tuple[str, dict[str, Any]]] = []
    binary.seek(0)
    rows = csv_rows(binary)
    next(rows)
    for index, (_, fields) in enumerate(rows, start=first):
        doc_id, data = layout.record(fields, index, target)
        batch.append((doc_id, data))
        ids.append(doc_id)
        if len(batch) >= RECORD_BATCH:
            adapters.documents.put_many(RECORDS.name, batch)
            batch = []
    if batch:
        adapters.documents.put_many(RECORDS.name, batch)
    return ids


def _published(
    doc: Document,
    token: str,
    before: Mapping[str, Any],
    summary: CsvSummary,
    target: Target | None,
    key: str,
    sha256: str,
    size: int,
) -> dict[str, Any]:
    """The description with the new file and the appended rows counted in, onto whatever
    labelling changed meanwhile."""
    data = dict(doc.data)
    if (data.get("appending") or {}).get("token") != token or data["key"] != before["key"]:
        raise Conflict(f"dataset {data['name']!r}: the append lost its claim; try again")
    counts = data.get("label_counts")
    if counts is not None and target is not None and target.task == CLASSIFICATION:
        counts = dict(counts)
        for text, n in summary.target_values.distinct.items():
            label = str(target.label_of(text))
            counts[label] = counts.get(label, 0) + n
    elif counts is not None:
        counts = None if target is not None else _text_counts(counts, summary)
    classes = data.get("classes")
    if target is not None and target.classes is not None:
        classes = sort_classes([*(classes or []), *target.classes])
    columns = []
    for column in data["columns"]:
        name = column["name"]
        absent = name not in summary.missing  # the target, left out of the appended rows
        missing = summary.rows if absent else summary.missing[name]
        kind = column["kind"] if absent else _kind(column["kind"], summary.kinds[name])
        columns.append({**column, "kind": kind, "missing": column["missing"] + missing})
    data.update(
        key=key,
        sha256=sha256,
        size=size,
        rows=int(data["rows"]) + summary.rows,
        labelled=int(data.get("labelled") or 0) + summary.labelled,
        label_counts=counts,
        classes=classes,
        columns=columns,
        revision=int(data.get("revision") or 1) + 1,
        appending=None,
        updated_at=now(),
    )
    return data


def _text_counts(counts: Mapping[str, int], summary: CsvSummary) -> dict[str, int] | None:
    """A dataset without a recorded task counts its labels as the file spells them."""
    merged = dict(counts)
    for text, n in summary.target_values.distinct.items():
        merged[text] = merged.get(text, 0) + n
    return None if summary.target_values.overflow or len(merged) > MAX_CLASSES else merged


def _kind(before: str, appended: str) -> str:
    """A column's kind over the old rows and the new."""
    if before == "empty":
        return appended
    if appended in ("empty", before):
        return before
    return "categorical"  # numbers on one side, text on the other


def _undo(adapters: Adapters, name: str, token: str, written: Mapping[str, Any]) -> None:
    """Best effort: the records and file of a failed append, then its claim."""
    try:
        adapters.documents.delete_many(RECORDS.name, written["records"])
        if written["key"]:
            adapters.blobs.delete(written["key"])
    except Exception:
        log.exception("dataset %s: cleanup after a failed append did not finish", name)

    def released(doc: Document) -> dict[str, Any] | None:
        if (doc.data.get("appending") or {}).get("token") != token:
            return None
        return {**doc.data, "appending": None, "updated_at": now()}

    try:
        adapters.documents.modify(DATASETS.name, name, released)
    except Exception:
        log.exception("dataset %s: a failed append could not drop its claim", name)
