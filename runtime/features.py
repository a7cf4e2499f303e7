"""Features by record id (the seed's "features kept outside the model"): a dataset's stored
records are the feature store, so a prediction may name records instead of carrying rows.

A record keeps its values as the file spelled them. Each becomes a row the way training read
the file: a numeric feature's text as a number, a categorical feature's as text, a missing
value as null. The rows then take the path every prediction takes (runtime.scoring: the
compiled model or scikit-learn, each row checked against the version's input schema).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.ports import DocumentStore
from runtime.datasets.csvfile import MISSING
from runtime.datasets.store import get_dataset, get_records
from runtime.inference import RowError, RowSchema


@dataclass(frozen=True)
class RecordRows:
    """The rows of the records found (in the order asked, each id once), their ids, and
    the ids the dataset has no record for."""

    rows: list[dict[str, Any]]
    record_ids: list[str]
    missing: list[str]


def record_rows(
    documents: DocumentStore, dataset: str, record_ids: Sequence[str], schema: RowSchema | None
) -> RecordRows:
    """The feature rows of `record_ids` in `dataset` (NotFound if there is no such
    dataset). `schema`: the version's input schema (None: a plugin trainer's, which gets
    numbers where the text is one and text otherwise)."""
    get_dataset(documents, dataset)
    wanted = list(dict.fromkeys(record_ids))
    found = get_records(documents, dataset, wanted)
    present = [record_id for record_id in wanted if record_id in found]
    rows = [_row(found[record_id]["values"], schema) for record_id in present]
    return RecordRows(rows, present, [r for r in wanted if r not in found])


def _row(values: Mapping[str, str], schema: RowSchema | None) -> dict[str, Any]:
    if schema is None:
        return {name: _guess(text) for name, text in values.items()}
    # Only the model's features: a record may hold other columns (the id, the target).
    return {name: _typed(values.get(name), name in schema.numeric) for name in schema.names}


def _typed(text: str | None, numeric: bool) -> Any:
    if text is None or text in MISSING:
        return None
    if not numeric:
        return text
    try:
        return float(text)
    except ValueError:
        return text  # not a number: the schema check names the record and the feature


def _guess(text: str) -> Any:
    if text in MISSING:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def named_error(error: RowError, record_ids: Iterable[str]) -> str:
    """A row check's message with the record's id in place of the row's index."""
    ids = list(record_ids)
    message = str(error).split(": ", 1)[-1]
    if 0 <= error.index < len(ids):
        return f"record {ids[error.index]!r}: {message}"
    return str(error)
