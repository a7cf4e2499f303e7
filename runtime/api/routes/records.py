"""Records and annotations: list a dataset's records (all, or the unlabelled ones; by id or
least confident first, with suggestions), read one, label one or many, read the annotation
log, ask for a retrain."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query

from runtime import labels, suggestions
from runtime.api.errors import ApiError
from runtime.api.params import DatasetName, Limit, PageToken, RecordId
from runtime.api.routing import caller, scoped_router
from runtime.api.schemas import (
    AnnotationPage,
    BulkLabelsIn,
    JobOut,
    LabelIn,
    LabelsOut,
    RecordOut,
    RecordPage,
    RetrainIn,
)
from runtime.api.state import AppState, state
from runtime.api_keys import ApiKey
from runtime.datasets.training import enqueue_training
from runtime.handlers.train import checked_params
from runtime.suggestions import Order

AREA: dict[str, Any] = {"prefix": "/datasets/{name}", "tags": ["records"]}
reads = scoped_router("read", errors=(400, 404, 422), **AREA)
labellers = scoped_router("label", errors=(400, 404, 409, 413, 422), **AREA)
writes = scoped_router("admin", errors=(400, 404, 409, 422), **AREA)
routers = (reads, labellers, writes)


@reads.get("/records", response_model=RecordPage)
def list_records(
    name: DatasetName,
    unlabelled: bool = Query(False, description="Only records still waiting for a label."),
    order: Order = Query(
        "record_id",
        description="`record_id`, or `uncertainty`: least confident stored prediction first, "
        "then the records without one by id. A page may then hold fewer than `limit` items: "
        "follow `next_token` until it is null.",
    ),
    limit: Limit = 100,
    page_token: PageToken = None,
    app: AppState = Depends(state),
) -> dict[str, Any]:
    """A dataset's records, each with its suggestion (its stored prediction) if it has one."""
    page = suggestions.list_records(
        app.adapters.documents,
        name,
        unlabelled=unlabelled,
        order=order,
        limit=limit,
        page_token=page_token,
    )
    return {"items": page.items, "next_token": page.next_token}


@reads.get("/records/{record_id}", response_model=RecordOut)
def get_record(
    name: DatasetName, record_id: RecordId, app: AppState = Depends(state)
) -> dict[str, Any]:
    """One record, its values, label and suggestion."""
    return suggestions.get_record(app.adapters.documents, name, record_id)


def _labelled(
    app: AppState, name: str, given: list[tuple[str, Any]], key: ApiKey, new_class: bool
) -> Any:
    if len(given) > app.settings.max_batch_rows:
        raise ApiError(413, f"at most {app.settings.max_batch_rows} labels per request")
    done = labels.set_labels(
        app.adapters,
        name,
        given,
        by=key.name,
        by_key=key.id,
        retrain_after=app.settings.retrain_after_labels,
        new_class=new_class,
    )
    if done.retrain_job is not None:
        app.metrics.jobs_enqueued.labels("train").inc()
    return done


@labellers.put("/records/{record_id}/label", response_model=RecordOut)
def set_label(
    name: DatasetName,
    record_id: RecordId,
    body: LabelIn,
    app: AppState = Depends(state),
    key: ApiKey = Depends(caller),
) -> dict[str, Any]:
    """Set one record's label (`label` scope); recorded with the API key's name and id and
    the time. A classification label must be in the dataset's label set unless `new_class`;
    a regression label must be a number (else 422)."""
    done = _labelled(app, name, [(record_id, body.label)], key, body.new_class)
    record: dict[str, Any] = done.records[0]
    return record


@labellers.post("/labels", response_model=LabelsOut)
def set_labels(
    name: DatasetName,
    body: BulkLabelsIn,
    app: AppState = Depends(state),
    key: ApiKey = Depends(caller),
) -> dict[str, Any]:
    """Label many records at once (`label` scope): all of them, or (on any unknown record or
    label that does not fit the dataset) none."""
    given = [(item.record_id, item.label) for item in body.labels]
    done = _labelled(app, name, given, key, body.new_class)
    return {
        "records": done.records,
        "retrain_job": done.retrain_job.to_json() if done.retrain_job else None,
    }


@reads.get("/annotations", response_model=AnnotationPage)
def list_annotations(
    name: DatasetName,
    limit: Limit = 100,
    page_token: PageToken = None,
    app: AppState = Depends(state),
) -> dict[str, Any]:
    """Who labelled what and when, newest first."""
    page = labels.list_annotations(app.adapters.documents, name, limit=limit, page_token=page_token)
    return {"items": page.items, "next_token": page.next_token}


@writes.post("/retrain", status_code=202, response_model=JobOut)
def retrain(
    name: DatasetName,
    body: RetrainIn,
    app: AppState = Depends(state),
    key: ApiKey = Depends(caller),
) -> dict[str, Any]:
    """Enqueue a training job on the dataset's current labels."""
    job = enqueue_training(
        app.adapters,
        name,
        model=body.model,
        params=checked_params(app.trainer, body.params),
        job_id=body.job_id,
        created_by=key.id,
    )
    app.metrics.jobs_enqueued.labels(job.type).inc()
    return job.to_json()
