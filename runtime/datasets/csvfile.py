"""The checks an upload passes before anything is written.

An upload is checked in full, streaming: UTF-8 with no NUL byte, a header of unique
non-empty names, every row as wide as the header, the target column present when the data is
labelled, record ids present, unique and usable as document ids, every record under the
document ceiling.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from adapters.limits import check_document_write
from runtime.datasets.store import record_doc_id
from runtime.datasets.task import REGRESSION, Target, TargetValues, decide
from runtime.names import check_name
from runtime.schema import RECORDS

MAX_COLUMNS = 1000
MAX_COLUMN_NAME_CHARS = 200
READ_CHUNK_BYTES = 1024 * 1024
# The strings pandas reads as missing by default: the trainer will see them as NaN, so they
# are neither labels nor record ids here.
MISSING = frozenset(
    {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
     "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}
)  # fmt: skip


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
    target_values: TargetValues = field(default_factory=TargetValues)
    record_ids: set[str] = field(default_factory=set)
    target: Target | None = None  # the task and label set (None: no target column named)


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

    def record(
        self, fields: list[str], index: int, target: Target | None = None
    ) -> tuple[str, dict[str, Any]]:
        """The record document of a row; with the dataset's `target`, its label as the
        class or number it is (else as the file spells it)."""
        record_id = self.record_id(fields, index)
        text = fields[self.target] if self.target is not None else None
        label: str | int | float | None = None if text is None or text in MISSING else text
        if label is not None and target is not None:
            label = target.label_of(str(label))
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


def csv_rows(binary: IO[bytes]) -> Generator[tuple[int, list[str]], None, None]:
    """(line number, fields) of every non-blank row, the header first."""
    # utf-8-sig: a spreadsheet's byte-order mark is not part of the first column's name.
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, strict=True)
    try:
        for fields in reader:
            if fields:
                # Python's csv module takes NUL as a character since 3.11; no text holds
                # one, and tools that read C strings would cut a value short at it.
                if any("\x00" in f for f in fields):
                    raise InvalidDataset(
                        f"line {reader.line_num}: a NUL byte (\\x00); a CSV file is text"
                    )
                yield reader.line_num, fields
    except UnicodeDecodeError as exc:
        raise InvalidDataset(
            f"the file is not UTF-8 text (near line {reader.line_num + 1}: {exc.reason})"
        ) from None
    except csv.Error as exc:
        raise InvalidDataset(f"line {reader.line_num}: not valid CSV: {exc}") from None
    finally:
        text.detach()


def digest(binary: IO[bytes]) -> tuple[str, int]:
    """SHA-256 (hex) and size of a seekable file, read from its start; left at its start."""
    binary.seek(0)
    sha256, size = hashlib.sha256(), 0
    while chunk := binary.read(READ_CHUNK_BYTES):
        sha256.update(chunk)
        size += len(chunk)
    binary.seek(0)
    return sha256.hexdigest(), size


def layout_of(
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
    task: str | None = None,
) -> tuple[Layout, CsvSummary]:
    """Read the whole file once and refuse it (InvalidDataset) if any part would fail;
    the summary holds the target's task and label set (`task`: stated, else inferred)."""
    layout, summary = scan(
        binary, name=name, target=target, id_column=id_column, unlabelled=unlabelled
    )
    if layout.has_target:
        _decide_target(summary, task)
    return layout, summary


def scan(
    binary: IO[bytes],
    *,
    name: str,
    target: str | None,
    id_column: str | None,
    unlabelled: bool = False,
    first_row: int = 0,
) -> tuple[Layout, CsvSummary]:
    """The checks of `inspect` without deciding the task (an append keeps its dataset's);
    rows are numbered from `first_row` (the record ids of a dataset without an id column)."""
    try:
        check_name("dataset", name)
    except ValueError as exc:
        raise InvalidDataset(str(exc)) from None
    sha256, size = digest(binary)
    rows = csv_rows(binary)
    try:
        return _inspect_rows(
            rows, name, target, id_column, unlabelled, sha256, size, first_row=first_row
        )
    finally:
        rows.close()  # detaches the text wrapper: the caller's file stays open


def _decide_target(summary: CsvSummary, stated: str | None) -> None:
    values = summary.target_values
    try:
        summary.target = decide(values, stated)
    except ValueError as exc:
        raise InvalidDataset(str(exc)) from None
    if summary.target.task == REGRESSION:
        summary.label_counts = None  # numbers are not kinds to count
        return
    counts: dict[str, int] = {}
    for text, n in values.distinct.items():
        label = str(summary.target.label_of(text))
        counts[label] = counts.get(label, 0) + n
    summary.label_counts = counts


def _inspect_rows(
    rows: Iterator[tuple[int, list[str]]],
    name: str,
    target: str | None,
    id_column: str | None,
    unlabelled: bool,
    sha256: str,
    size: int,
    *,
    first_row: int = 0,
) -> tuple[Layout, CsvSummary]:
    first = next(rows, None)
    if first is None:
        raise InvalidDataset("the file is empty: a CSV header row is expected")
    layout = layout_of(name, first[1], target, id_column, unlabelled)
    header = layout.header
    summary = CsvSummary(header=header, sha256=sha256, size=size)
    numeric = dict.fromkeys(header, True)
    missing = dict.fromkeys(header, 0)
    seen: set[str] = set()
    for line, fields in rows:
        if len(fields) != len(header):
            raise InvalidDataset(
                f"line {line}: {len(fields)} fields, but the header has {len(header)}"
            )
        index = first_row + summary.rows
        record_id = layout.record_id(fields, index)
        if layout.id_column is not None and record_id in MISSING:
            raise InvalidDataset(f"line {line}: the id column {id_column!r} is empty")
        if record_id in seen:
            raise InvalidDataset(f"line {line}: record id {record_id!r} repeats")
        seen.add(record_id)
        doc_id, data = layout.record(fields, index)
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
            summary.target_values.add(data["label"], line)
        summary.rows += 1
    if summary.rows == 0:
        raise InvalidDataset("the file has a header but no data rows")
    summary.missing = missing
    summary.record_ids = seen
    summary.kinds = {
        c: "empty" if missing[c] == summary.rows else "numeric" if numeric[c] else "categorical"
        for c in header
    }
    return layout, summary
