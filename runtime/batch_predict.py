"""Pre-computed inference: score a stored dataset with one model version and store one
prediction document per record, so serving a known record is a key-value read.

Documents are `predictions/<dataset>:<record id>` holding the value, class probabilities
where the model has them (and then their highest as `confidence`, indexed for the labeling
order), the model and version, and the time. They are written with the
DocumentStore's batch put, chunk by chunk, and every id is checked before the first write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TYPE_CHECKING, Any

from adapters.errors import NotFound
from adapters.limits import check_doc_id
from adapters.ports import Adapters, Page
from runtime import scoring
from runtime.clock import now
from runtime.config import DEFAULT_TRAINER
from runtime.datasets.ref import DatasetRef, read_dataset
from runtime.registry import ModelVersion, Registry
from runtime.schema import PREDICTIONS

if TYPE_CHECKING:
    import pandas as pd

    from runtime.trainers.base import Trainer

CHUNK_ROWS = 1000


def record_ids(frame: pd.DataFrame, dataset: DatasetRef) -> list[str]:
    """Each row's record id (the id column, or the row number), checked as document ids and
    for duplicates before anything is written."""
    if dataset.id_column:
        ids = [str(v) for v in frame[dataset.id_column]]
    else:
        ids = [str(i) for i in range(len(frame))]
    for record_id in ids:
        check_doc_id(prediction_id(dataset.name, record_id))
    if len(set(ids)) != len(ids):
        raise ValueError(f"dataset {dataset.key!r}: record ids in {dataset.id_column!r} repeat")
    return ids


def prediction_id(dataset_name: str, record_id: str) -> str:
    return f"{dataset_name}:{record_id}"


def batch_predict(
    adapters: Adapters,
    model: str,
    dataset: DatasetRef,
    *,
    ref: int | str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    trainer: Trainer | None = None,
    trainers: Collection[str] = frozenset({DEFAULT_TRAINER}),
) -> dict[str, Any]:
    """Score every row of `dataset` with `model` at `ref` (version number, alias, or the
    latest) and store the predictions; returns a summary for the job's result. `trainers`:
    the trainer plugins the version may name (settings' `allowed_trainers`)."""
    registry = Registry(adapters, trainers)
    version = registry.resolve(model, ref)
    scorer = scoring.load(registry, version, trainer)
    frame, digest = read_dataset(adapters.blobs, dataset)
    ids = record_ids(frame, dataset)
    written = 0
    for docs in _prediction_chunks(scorer, version, dataset, frame, ids, chunk_rows):
        written += adapters.documents.put_many(PREDICTIONS.name, docs)
    return {
        "model": model,
        "version": version.version,
        "dataset": dataset.to_json(),
        "dataset_sha256": digest,
        "predictions": written,
        "serving": scorer.path,
    }


def _prediction_chunks(
    scorer: scoring.Scorer,
    version: ModelVersion,
    dataset: DatasetRef,
    frame: pd.DataFrame,
    ids: list[str],
    chunk_rows: int,
) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    for start in range(0, len(frame), chunk_rows):
        rows = frame.iloc[start : start + chunk_rows]
        predictions = scorer.predict_frame(rows)
        stamp = now()
        docs = []
        for offset, value in enumerate(predictions.values):
            record_id = ids[start + offset]
            doc: dict[str, Any] = {
                "dataset": dataset.name,
                "record_id": record_id,
                "model": version.model,
                "version": version.version,
                "value": value,
                "predicted_at": stamp,
            }
            if predictions.probabilities is not None:
                probabilities = predictions.probabilities[offset]
                doc["probabilities"] = probabilities
                if probabilities:
                    # What the least-confident-first labeling order sorts on (runtime.suggestions).
                    doc["confidence"] = max(probabilities.values())
                    doc["ranked"] = dataset.name
            docs.append((prediction_id(dataset.name, record_id), doc))
        yield docs


def get_prediction(adapters: Adapters, dataset_name: str, record_id: str) -> dict[str, Any]:
    """The stored prediction of one record; `NotFound` if none was computed."""
    try:
        return adapters.documents.get(PREDICTIONS.name, prediction_id(dataset_name, record_id)).data
    except (NotFound, ValueError):
        raise NotFound(
            f"no stored prediction for record {record_id!r} of {dataset_name!r}"
        ) from None


def lookup_predictions(
    adapters: Adapters, dataset_name: str, record_ids: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The stored predictions of many records (each id once), and the ids without one."""
    found, missing = [], []
    for record_id in dict.fromkeys(record_ids):
        try:
            found.append(get_prediction(adapters, dataset_name, record_id))
        except NotFound:
            missing.append(record_id)
    return found, missing


def list_predictions(
    adapters: Adapters, dataset_name: str, *, limit: int = 100, page_token: str | None = None
) -> Page[dict[str, Any]]:
    """One page of a dataset's stored predictions, by record id."""
    page = adapters.documents.query(
        PREDICTIONS.name, "dataset", dataset_name, limit=limit, page_token=page_token
    )
    return Page([doc.data for doc in page.items], page.next_token)
