"""Looking at a dataset without downloading it: its first records, in file order, with their
current labels (`preview`), and per-column statistics of its file (`column_stats`: missing
count; min, max and mean of a numeric column; the most frequent values of the others).

Statistics take one streaming pass over the file and are kept as a small JSON blob beside it,
named by the file's SHA-256: the first request after an upload or an append computes them,
later ones read them. The target column is left out (its file values are the labels at
upload, not the current ones: the dataset's `label_counts` are).
"""

from __future__ import annotations

import heapq
import io
import json
import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from adapters.errors import NotFound
from adapters.ports import Adapters, BlobStore
from runtime.datasets.csvfile import MISSING, InvalidDataset, csv_rows, layout_of
from runtime.datasets.store import download, get_dataset, get_records

PREVIEW_MAX_ROWS = 100
HEAD_CHUNK_BYTES = 64 * 1024
TOP_VALUES = 5
# Distinct values counted per non-numeric column: past this many, the top values are those
# counted while there was room (and `distinct` is null: "more than this").
MAX_TRACKED_VALUES = 10_000
SHOWN_VALUE_CHARS = 200
STATS_VERSION = 1  # part of the blob's key: a change in what is computed recomputes it


def preview(adapters: Adapters, name: str, rows: int = 20) -> list[dict[str, Any]]:
    """The dataset's first `rows` records in file order, as stored now (current labels)."""
    if not 1 <= rows <= PREVIEW_MAX_ROWS:
        raise ValueError(f"a preview has 1..{PREVIEW_MAX_ROWS} rows, not {rows}")
    dataset = get_dataset(adapters.documents, name)
    header, first = _head(adapters.blobs, dataset["key"], rows)
    layout = layout_of(name, header, dataset.get("target"), dataset.get("id_column"), True)
    ids = [layout.record_id(fields, index) for index, fields in enumerate(first)]
    found = get_records(adapters.documents, name, ids)
    return [found[record_id] for record_id in ids if record_id in found]


def _head(blobs: BlobStore, key: str, rows: int) -> tuple[list[str], list[list[str]]]:
    """The header and the first `rows` rows of a stored CSV, reading only as much as they
    take (whole lines only: a line break byte never splits a UTF-8 character)."""
    buffer = bytearray()
    want = HEAD_CHUNK_BYTES
    with blobs.open(key) as stream:
        while True:
            chunk = stream.read(want)
            buffer += chunk
            want *= 2  # the whole read stays linear in what was needed
            ended = not chunk
            complete = buffer if ended else buffer[: buffer.rfind(b"\n") + 1]
            parsed = _rows(bytes(complete), rows + 1, tolerate_cut=not ended)
            if parsed is not None and (ended or len(parsed) > rows):
                break
    if not parsed:
        raise InvalidDataset(f"the stored file {key!r} has no header")
    return parsed[0], parsed[1 : rows + 1]


def _rows(data: bytes, limit: int, *, tolerate_cut: bool) -> list[list[str]] | None:
    """Up to `limit` rows of `data`; None if a row was cut short and more data may mend it."""
    out: list[list[str]] = []
    rows = csv_rows(io.BytesIO(data))
    try:
        for _, fields in rows:
            out.append(fields)
            if len(out) > limit:
                break
    except InvalidDataset:
        if tolerate_cut:
            return None
        raise
    finally:
        rows.close()
    return out


# ----------------------------------------------------------------------- statistics


@dataclass
class _Column:
    """One column's running statistics."""

    missing: int = 0
    count: int = 0
    numeric: bool = True
    low: float = math.inf
    high: float = -math.inf
    total: float = 0.0
    finite: int = 0
    values: dict[str, int] = field(default_factory=dict)
    overflow: bool = False

    def add(self, value: str) -> None:
        if value in MISSING:
            self.missing += 1
            return
        self.count += 1
        if self.numeric:
            try:
                number = float(value)
            except ValueError:
                self.numeric = False
            else:
                if math.isfinite(number):
                    self.finite += 1
                    self.total += number
                    self.low, self.high = min(self.low, number), max(self.high, number)
        if value in self.values:
            self.values[value] += 1
        elif len(self.values) < MAX_TRACKED_VALUES:
            self.values[value] = 1
        else:
            self.overflow = True

    def summary(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "missing": self.missing, "count": self.count}
        if self.count == 0:
            return {**out, "kind": "empty"}
        if self.numeric:
            finite = self.finite > 0
            return {
                **out,
                "kind": "numeric",
                "min": self.low if finite else None,
                "max": self.high if finite else None,
                "mean": self.total / self.finite if finite else None,
            }
        top = heapq.nlargest(TOP_VALUES, self.values.items(), key=lambda kv: (kv[1], kv[0]))
        return {
            **out,
            "kind": "categorical",
            "distinct": None if self.overflow else len(self.values),
            "top": [{"value": v[:SHOWN_VALUE_CHARS], "count": n} for v, n in top],
        }


def column_stats(adapters: Adapters, name: str) -> dict[str, Any]:
    """Per-column statistics of the dataset's file (every column but the target and the
    record ids), computed once per file and kept beside it."""
    dataset = get_dataset(adapters.documents, name)
    key = f"datasets/{name}/stats/v{STATS_VERSION}-{dataset['sha256']}.json"
    try:
        stats: dict[str, Any] = json.loads(adapters.blobs.get(key))
    except NotFound:
        skip = {dataset.get("target"), dataset.get("id_column")}
        stats = _compute(adapters.blobs, dataset["key"], skip)
        adapters.blobs.put(key, json.dumps(stats).encode(), content_type="application/json")
    return {
        "name": name,
        "sha256": dataset["sha256"],
        **stats,
        "target": {
            "column": dataset.get("target"),
            "task": dataset.get("task"),
            "labelled": dataset.get("labelled"),
            "label_counts": dataset.get("label_counts"),
        },
    }


def _compute(blobs: BlobStore, key: str, skip: set[str | None]) -> dict[str, Any]:
    with tempfile.TemporaryFile() as local:
        download(blobs, key, local)
        rows = _iter_rows(local)
        header = next(rows)
        columns = {c: _Column() for c in header if c not in skip}
        count = 0
        for fields in rows:
            count += 1
            for column, value in zip(header, fields, strict=True):
                stats = columns.get(column)
                if stats is not None:
                    stats.add(value)
    return {"rows": count, "columns": [stats.summary(c) for c, stats in columns.items()]}


def _iter_rows(local: IO[bytes]) -> Iterator[list[str]]:
    for _, fields in csv_rows(local):
        yield fields
