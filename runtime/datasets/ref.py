"""A CSV in the BlobStore as jobs name it (`DatasetRef`), and reading it as a DataFrame."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.ports import BlobStore
from runtime import artifacts
from runtime.datasets.task import CLASSIFICATION, TASKS
from runtime.names import check_name

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class DatasetRef:
    """A CSV in the BlobStore: where it is, its name, its target and record-id columns, and
    the dataset's task (None: not known, the trainer decides)."""

    key: str
    name: str
    target: str | None = None
    id_column: str | None = None
    task: str | None = None
    revision: int | None = None  # which of the dataset's files (1: the upload; +1 per append)

    @classmethod
    def from_params(cls, params: Any) -> DatasetRef:
        if not isinstance(params, Mapping) or not isinstance(params.get("key"), str):
            raise ValueError(f"dataset must be an object with a blob 'key', got {params!r}")
        key = params["key"]
        name = params.get("name") or key.rsplit("/", 1)[-1].removesuffix(".csv")
        check_name("dataset", name)
        task, revision = params.get("task"), params.get("revision")
        if task is not None and task not in TASKS:
            raise ValueError(f"dataset task must be one of {TASKS}, got {task!r}")
        if revision is not None and (type(revision) is not int or revision < 1):
            raise ValueError(f"dataset revision must be a positive integer, got {revision!r}")
        return cls(
            key=key,
            name=name,
            target=params.get("target"),
            id_column=params.get("id_column"),
            task=task,
            revision=revision,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "target": self.target,
            "id_column": self.id_column,
            "task": self.task,
            "revision": self.revision,
        }


def read_dataset(blobs: BlobStore, dataset: DatasetRef) -> tuple[pd.DataFrame, str]:
    """The dataset as a DataFrame, and the SHA-256 of the bytes it was read from. Record ids
    are text, and so are a classification dataset's classes: they keep the file's spelling
    ("0", not the "0.0" pandas makes of integers in a column with blanks)."""
    import pandas as pd

    data = blobs.get(dataset.key)
    dtype = {dataset.id_column: str} if dataset.id_column else {}
    if dataset.task == CLASSIFICATION and dataset.target:
        dtype[dataset.target] = str
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=dtype)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValueError(f"dataset {dataset.key!r} is not a readable CSV: {exc}") from exc
    for column in (dataset.target, dataset.id_column):
        if column is not None and column not in frame.columns:
            raise ValueError(f"dataset {dataset.key!r} has no column {column!r}")
    return frame, artifacts.sha256_hex(data)
