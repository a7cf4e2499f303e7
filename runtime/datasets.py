"""Datasets: CSV files in the BlobStore, described in `datasets`, one document per row in
`records` (its values and its label, if any).

An upload is checked in full, streaming, before anything is written: UTF-8, a header of
unique non-empty names, every row as wide as the header, the target column present when the
data is labelled, record ids present, unique and usable as document ids, every record under
the document ceiling. Then the name is claimed (a create-only dataset document, so two
uploads of one name cannot interleave), the file is stored, the records are written in
batches, and the dataset is marked ready. If a write fails midway, what was written is
removed again.

Labels live on the records; training takes a snapshot: the uploaded CSV with its target
column filled from the records' current labels, stored under its content hash.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import tempfile
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from adapters.errors import Conflict, NotFound
from adapters.limits import check_document_write
from adapters.ports import Adapters, Document, DocumentStore, Page
from runtime import jobs
from runtime.batch_predict import DatasetRef
from runtime.jobs import Job, now
from runtime.registry import check_name
from runtime.schema import DATASETS, RECORDS

log = logging.getLogger("mlpoc.datasets")

MAX_COLUMNS = 1000
MAX_COLUMN_NAME_CHARS = 200
# Distinct labels counted on the dataset document; past this (a regression target, say) the
# counts are dropped rather than outgrow the document ceiling.
MAX_LABEL_KINDS = 1000
RECORD_BATCH = 500
READ_CHUNK_BYTES = 1024 * 1024
# The strings pandas reads as missing by default: the trainer will see them as NaN, so they
# are neither labels nor record ids here.
MISSING = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
     "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip
READY, INGESTING = "ready", "ingesting"


class InvalidDataset(ValueError):
    """The upload is refused; nothing was written."""


@dataclass
class CsvSummary:
    header: list[str]
    kinds: dict[str, str] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    label_counts: dict[str, int] | None = field(default_factory=dict)
    labelled: int = 0
    sha256: str = ""
    size: int = 0


@dataclass(frozen=True)
class Layout:
    """Where the dataset's special columns are in each row."""

    name: str
    header: list[str]
    target: int | None
    id_column: int | None
    has_target: bool  # a target is named, even if the file lacks the column (unlabelled)

    def record_id(self, fields: list[str], index: int) -> str:
        return fields[self.id_column] if self.id_column is not None else str(index)

    def record(self, fields: list[str], index: int) -> tuple[str, dict[str, Any]]:
        record_id = self.record_id(fields, index)
        label = fields[self.target] if self.target is not None else None
        if label in MISSING:
            label = None
        special = (self.target, self.id_column)
        values = {name: fields[i] for i, name in enumerate(self.header) if i not in special}
        data: dict[str, Any] = {
            "dataset": self.name,
            "record_id": record_id,
            "row": index,
            "values": values,
            "label": label,
            # Sparse index: set only while the record waits for a label.
            "unlabelled": self.name if self.has_target and label is None else None,
            "label_source": "upload" if label is not None else None,
            "labelled_by": None,
            "labelled_at": None,
        }
        return record_doc_id(self.name, record_id), data


def record_doc_id(dataset: str, record_id: str) -> str:
    return f"{dataset}:{record_id}"


def _rows(binary: IO[bytes]) -> Generator[tuple[int, list[str]], None, None]:
    """(line number, fields) of every non-blank row, the header first."""
    # utf-8-sig: a spreadsheet's byte-order mark is not part of the first column's name.
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, strict=True)
    try:
        for fields in reader:
            if fields:
                yield reader.line_num, fields
    except UnicodeDecodeError as exc:
        raise InvalidDataset(
            f"the file is not UTF-8 text (near line {reader.line_num + 1}: {exc.reason})"
        ) from None
    except csv.Error as exc:
        raise InvalidDataset(f"line {reader.line_num}: not valid CSV: {exc}") from None
    finally:
        text.detach()


def _digest(binary: IO[bytes]) -> tuple[str, int]:
    binary.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := binary.read(READ_CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
    binary.seek(0)
    return digest.hexdigest(), size


def _layout(
    name: str, header: list[str], target: str | None, id_column: str | None, unlabelled: bool
) -> Layout:
    if len(header) > MAX_COLUMNS:
        raise InvalidDataset(f"the header has {len(header)} columns; at most {MAX_COLUMNS}")
    for column in header:
        if not column.strip() or len(column) > MAX_COLUMN_NAME_CHARS:
            raise InvalidDataset(
                f"column names must be 1..{MAX_COLUMN_NAME_CHARS} characters, not blank: "
                f"{column[:40]!r}"
            )
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise InvalidDataset(f"column names repeat in the header: {repeated}")
    if target is not None and target not in header and not unlabelled:
        raise InvalidDataset(
            f"the target column {target!r} is not in the header {header[:20]}; "
            "upload with unlabelled=true to label the records from scratch"
        )
    if id_column is not None and id_column not in header:
        raise InvalidDataset(f"the id column {id_column!r} is not in the header {header[:20]}")
    if id_column is not None and id_column == target:
        raise InvalidDataset("the id column and the target column must differ")
    return Layout(
        name=name,
        header=header,
        target=header.index(target) if target in header else None,
        id_column=header.index(id_column) if id_column is not None else None,
        has_target=target is not None,
    )


def inspect(
    binary: IO[bytes],
    *,
    name: str,
    target: str | None,
    id_column: str | None,
    unlabelled: bool = False,
) -> tuple[Layout, CsvSummary]:
    """Read the whole file once and refuse it (InvalidDataset) if any part would fail."""
    try:
        check_name("dataset", name)
    except ValueError as exc:
        raise InvalidDataset(str(exc)) from None
    sha256, size = _digest(binary)
    rows = _rows(binary)
    try:
        return _inspect_rows(rows, name, target, id_column, unlabelled, sha256, size)
    finally:
        rows.close()  # detaches the text wrapper: the caller's file stays open


def _inspect_rows(
    rows: Iterator[tuple[int, list[str]]],
    name: str,
    target: str | None,
    id_column: str | None,
    unlabelled: bool,
    sha256: str,
    size: int,
) -> tuple[Layout, CsvSummary]:
    first = next(rows, None)
    if first is None:
        raise InvalidDataset("the file is empty: a CSV header row is expected")
    layout = _layout(name, first[1], target, id_column, unlabelled)
    header = layout.header
    summary = CsvSummary(header=header, sha256=sha256, size=size)
    numeric = dict.fromkeys(header, True)
    missing = dict.fromkeys(header, 0)
    counts: dict[str, int] = {}
    seen: set[str] = set()
    for line, fields in rows:
        if len(fields) != len(header):
            raise InvalidDataset(
                f"line {line}: {len(fields)} fields, but the header has {len(header)}"
            )
        record_id = layout.record_id(fields, summary.rows)
        if layout.id_column is not None and record_id in MISSING:
            raise InvalidDataset(f"line {line}: the id column {id_column!r} is empty")
        if record_id in seen:
            raise InvalidDataset(f"line {line}: record id {record_id!r} repeats")
        seen.add(record_id)
        doc_id, data = layout.record(fields, summary.rows)
        try:
            check_document_write(RECORDS, doc_id, data)
        except ValueError as exc:
            raise InvalidDataset(f"line {line}: {exc}") from None
        except Exception as exc:  # TooLarge
            raise InvalidDataset(f"line {line}: the row is too large to store: {exc}") from None
        for column, value in zip(header, fields, strict=True):
            if value in MISSING:
                missing[column] += 1
            elif numeric[column]:
                try:
                    float(value)
                except ValueError:
                    numeric[column] = False
        if data["label"] is not None:
            summary.labelled += 1
            counts[data["label"]] = counts.get(data["label"], 0) + 1
        summary.rows += 1
    if summary.rows == 0:
        raise InvalidDataset("the file has a header but no data rows")
    summary.missing = missing
    summary.kinds = {
        c: "empty" if missing[c] == summary.rows else "numeric" if numeric[c] else "categorical"
        for c in header
    }
    summary.label_counts = counts if len(counts) <= MAX_LABEL_KINDS else None
    return layout, summary


def ingest(
    adapters: Adapters,
    binary: IO[bytes],
    *,
    name: str,
    target: str | None = None,
    id_column: str | None = None,
    unlabelled: bool = False,
    model: str | None = None,
) -> dict[str, Any]:
    """Validate, then store the file, its records and its description; returns the
    description. InvalidDataset (nothing written) or Conflict if the name is taken."""
    model = model or name
    try:
        check_name("dataset", name)
        check_name("model", model)
    except ValueError as exc:
        raise InvalidDataset(str(exc)) from None
    layout, summary = inspect(
        binary, name=name, target=target, id_column=id_column, unlabelled=unlabelled
    )
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
        "labels_since_train": 0,
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
        _write_records(documents, layout, binary)
        data = {**data, "status": READY, "updated_at": now()}
        documents.update(DATASETS.name, name, data, expected_version=version)
    except BaseException:
        _remove(adapters, name, key)
        raise
    return data


def _write_records(documents: DocumentStore, layout: Layout, binary: IO[bytes]) -> None:
    rows = _rows(binary)
    next(rows)  # the header
    batch: list[tuple[str, dict[str, Any]]] = []
    for index, (_, fields) in enumerate(rows):
        batch.append(layout.record(fields, index))
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


# --------------------------------------------------------------------------- reading


def get_dataset(documents: DocumentStore, name: str, *, ready: bool = True) -> dict[str, Any]:
    """The dataset's description; NotFound if absent (or, with `ready`, still ingesting)."""
    try:
        data = documents.get(DATASETS.name, name).data
    except (NotFound, ValueError):
        raise NotFound(f"dataset {name!r} not found") from None
    if ready and data.get("status") != READY:
        raise NotFound(f"dataset {name!r} is not ready (status {data.get('status')!r})")
    return data


def list_datasets(
    documents: DocumentStore, *, limit: int = 100, page_token: str | None = None
) -> Page[Document]:
    return documents.scan(DATASETS.name, limit=limit, page_token=page_token)


def list_records(
    documents: DocumentStore,
    name: str,
    *,
    unlabelled: bool = False,
    limit: int = 100,
    page_token: str | None = None,
) -> Page[Document]:
    """A dataset's records by record id; with `unlabelled`, only those without a label."""
    field_name = "unlabelled" if unlabelled else "dataset"
    return documents.query(RECORDS.name, field_name, name, limit=limit, page_token=page_token)


def iter_records(documents: DocumentStore, name: str) -> Iterator[Document]:
    token: str | None = None
    while True:
        page = list_records(documents, name, limit=500, page_token=token)
        yield from page.items
        token = page.next_token
        if token is None:
            return


def source_ref(dataset: Mapping[str, Any]) -> DatasetRef:
    """The uploaded file as a batch_predict input (its target only if the file has it)."""
    columns = [c["name"] for c in dataset["columns"]]
    target = dataset.get("target")
    return DatasetRef(
        key=dataset["key"],
        name=dataset["name"],
        target=target if target in columns else None,
        id_column=dataset.get("id_column"),
    )


# --------------------------------------------------------------------------- training


def labelled_snapshot(adapters: Adapters, dataset: Mapping[str, Any]) -> DatasetRef:
    """The uploaded CSV with its target column set to the records' current labels, stored
    under its content hash: the exact data a training job saw stays readable."""
    name, target = dataset["name"], dataset.get("target")
    if not target:
        raise ValueError(f"dataset {name!r} has no target column; it cannot be trained on")
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
        rows = _rows(source)
        _, header = next(rows)
        layout = _layout(name, header, target, dataset.get("id_column"), unlabelled=True)
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
        sha256, _ = _digest(out)
        key = f"datasets/{name}/labelled/{sha256}.csv"
        adapters.blobs.put(key, out, content_type="text/csv")
    return DatasetRef(key=key, name=name, target=target, id_column=dataset.get("id_column"))


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
    """Snapshot the dataset's labels and enqueue a `train` job on the snapshot (`created_by`:
    the id of the API key that asked)."""
    dataset = get_dataset(adapters.documents, name)
    model = model or dataset["model"]
    check_name("model", model)
    snapshot = labelled_snapshot(adapters, dataset)
    job = jobs.enqueue(
        adapters,
        "train",
        {
            "model": model,
            "dataset": snapshot.to_json(),
            "predict_dataset": source_ref(dataset).to_json(),
            "params": dict(params or {}),
        },
        job_id=job_id,
        created_by=created_by,
    )
    if reset_counter:
        _reset_label_counter(adapters.documents, name)
    return job


def _reset_label_counter(documents: DocumentStore, name: str) -> None:
    for _ in range(5):
        doc = documents.get(DATASETS.name, name)
        try:
            documents.update(
                DATASETS.name,
                name,
                {**doc.data, "labels_since_train": 0, "updated_at": now()},
                expected_version=doc.version,
            )
            return
        except Conflict:
            continue
    log.warning("dataset %s: could not reset its label counter (busy)", name)
