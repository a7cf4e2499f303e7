"""Suggestions for labeling, from the loop's own pre-computed predictions, and the order
that asks a person about the records the model is least sure of first.

A record's suggestion is its stored prediction (runtime.batch_predict) when that came from
the dataset's own model: the value, the confidence (the highest class probability), and the
version that made it. "Least confident first" lists records in two parts, each paginated:
first those with a ranked prediction, by confidence ascending (the `ranked` index of
`predictions`), then those without one (regression, never scored, or scored by another
model), by record id. The two parts split the records exactly, so every record comes once.

Pages may hold fewer than `limit` items (labelled records met in the first part are skipped,
and one call makes a bounded number of reads): follow `next_token` until it is null.
Predictions rewritten by a new batch_predict while a client pages may reorder what is left.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from adapters.pagination import decode_token, encode_token
from adapters.ports import Document, DocumentStore, Page
from runtime.batch_predict import prediction_id
from runtime.datasets import store
from runtime.schema import PREDICTIONS, RECORDS

Order = Literal["record_id", "uncertainty"]
ORDERS: tuple[Order, ...] = ("record_id", "uncertainty")
# Reads one page request may make before it answers with what it has and a token: a dataset
# whose least confident predictions are all labelled already still answers promptly.
MAX_READS_PER_PAGE = 8
_RANKED, _REST = "ranked", "rest"


def suggestion(prediction: Mapping[str, Any] | None, model: str) -> dict[str, Any] | None:
    """What the labeling view offers for a record: its stored prediction by `model`."""
    if prediction is None or prediction.get("model") != model:
        return None
    confidence = prediction.get("confidence")
    return {
        "value": prediction.get("value"),
        "confidence": confidence if isinstance(confidence, int | float) else None,
        "model": model,
        "version": prediction.get("version"),
        "predicted_at": prediction.get("predicted_at"),
    }


def _ranked(prediction: Document | None, dataset: Mapping[str, Any]) -> bool:
    """Listed in the first part of "least confident first"."""
    return (
        prediction is not None
        and prediction.data.get("ranked") == dataset["name"]
        and prediction.data.get("model") == dataset["model"]
    )


def get_record(documents: DocumentStore, name: str, record_id: str) -> dict[str, Any]:
    """One record with its suggestion; NotFound naming the dataset and the record."""
    dataset = store.get_dataset(documents, name)
    record = store.get_record(documents, name, record_id)
    found = documents.get_many(PREDICTIONS.name, [prediction_id(name, record_id)])
    prediction = next(iter(found.values()), None)
    return {
        **record,
        "suggestion": suggestion(prediction.data if prediction else None, dataset["model"]),
    }


def list_records(
    documents: DocumentStore,
    name: str,
    *,
    unlabelled: bool = False,
    order: Order = "record_id",
    limit: int = 100,
    page_token: str | None = None,
) -> Page[dict[str, Any]]:
    """A dataset's records (with `unlabelled`, only those without a label), each with its
    suggestion, by record id or least confident first."""
    dataset = store.get_dataset(documents, name)
    if order == "record_id":
        page = store.list_records(
            documents, name, unlabelled=unlabelled, limit=limit, page_token=page_token
        )
        return Page(_suggested(documents, dataset, page.items), page.next_token)
    if order != "uncertainty":
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    return _least_confident_first(documents, dataset, unlabelled, limit, page_token)


def _suggested(
    documents: DocumentStore, dataset: Mapping[str, Any], records: list[Document]
) -> list[dict[str, Any]]:
    predictions = _predictions_of(documents, dataset, records)
    return [
        {**record.data, "suggestion": _suggestion_of(predictions, dataset, record)}
        for record in records
    ]


def _predictions_of(
    documents: DocumentStore, dataset: Mapping[str, Any], records: list[Document]
) -> dict[str, Document]:
    ids = [prediction_id(dataset["name"], r.data["record_id"]) for r in records]
    return documents.get_many(PREDICTIONS.name, ids)


def _suggestion_of(
    predictions: Mapping[str, Document], dataset: Mapping[str, Any], record: Document
) -> dict[str, Any] | None:
    found = predictions.get(prediction_id(dataset["name"], record.data["record_id"]))
    return suggestion(found.data if found else None, dataset["model"])


def _least_confident_first(
    documents: DocumentStore,
    dataset: Mapping[str, Any],
    unlabelled: bool,
    limit: int,
    page_token: str | None,
) -> Page[dict[str, Any]]:
    name = dataset["name"]
    part, inner = _decode(page_token)
    items: list[dict[str, Any]] = []
    reads = 0
    if part == _RANKED:
        while len(items) < limit and reads < MAX_READS_PER_PAGE:
            # Ask for no more than still fits: the next token then resumes exactly here.
            page = documents.query(
                PREDICTIONS.name, "ranked", name, limit=limit - len(items), page_token=inner
            )
            records = documents.get_many(
                RECORDS.name,
                [store.record_doc_id(name, p.data["record_id"]) for p in page.items],
            )
            reads += 1
            for prediction in page.items:
                record = records.get(store.record_doc_id(name, prediction.data["record_id"]))
                if record is None or not _ranked(prediction, dataset):
                    continue
                if unlabelled and record.data.get("unlabelled") != name:
                    continue
                items.append(
                    {**record.data, "suggestion": suggestion(prediction.data, dataset["model"])}
                )
            inner = page.next_token
            if inner is None:
                part = _REST
                break
        if part == _RANKED:
            return Page(items, _encode(_RANKED, inner))
    while len(items) < limit and reads < MAX_READS_PER_PAGE:
        listed = store.list_records(
            documents, name, unlabelled=unlabelled, limit=limit - len(items), page_token=inner
        )
        predictions = _predictions_of(documents, dataset, listed.items)
        reads += 1
        for record in listed.items:
            found = predictions.get(prediction_id(name, record.data["record_id"]))
            if _ranked(found, dataset):
                continue  # listed in the first part
            items.append(
                {
                    **record.data,
                    "suggestion": suggestion(found.data if found else None, dataset["model"]),
                }
            )
        inner = listed.next_token
        if inner is None:
            return Page(items, None)
    return Page(items, _encode(_REST, inner))


def _encode(part: str, inner: str | None) -> str:
    return encode_token([part, inner])


def _decode(token: str | None) -> tuple[str, str | None]:
    """The part a token resumes and the backend's own token inside it."""
    if token is None:
        return _RANKED, None
    value = decode_token(token)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or value[0] not in (_RANKED, _REST)
        or not (value[1] is None or isinstance(value[1], str))
    ):
        raise ValueError(f"invalid page token: {token!r}")
    return value[0], value[1]
