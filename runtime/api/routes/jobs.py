"""Jobs: enqueue `train` or `batch_predict` (document first, then message; a worker runs
it), get one, list them by state with pagination."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from adapters.errors import NotFound
from runtime import datasets, jobs
from runtime.api.auth import require
from runtime.api.errors import ApiError, responses
from runtime.api.routes.records import job_out
from runtime.api.schemas import BatchPredictJobIn, JobIn, JobOut, JobPage, TrainJobIn
from runtime.api.state import AppState, state
from runtime.api_keys import ApiKey
from runtime.schema import JOBS

router = APIRouter(prefix="/jobs", tags=["jobs"])
ADMIN = require("admin")


@router.post("", status_code=202, response_model=JobOut,
             responses=responses(400, 401, 403, 404, 409, 422))  # fmt: skip
def enqueue(
    body: JobIn = Body(...),
    app: AppState = Depends(state),
    key: ApiKey = Depends(ADMIN),
) -> dict[str, Any]:
    if isinstance(body, TrainJobIn):
        job = datasets.enqueue_training(
            app.adapters,
            body.dataset,
            model=body.model,
            params=body.params,
            job_id=body.job_id,
            created_by=key.id,
        )
    else:
        job = _batch_predict(app, body, key)
    app.metrics.jobs_enqueued.labels(job.type).inc()
    return job_out(job)


def _batch_predict(app: AppState, body: BatchPredictJobIn, key: ApiKey) -> jobs.Job:
    if body.version is not None and body.alias is not None:
        raise ApiError(400, "give a version or an alias, not both")
    dataset = datasets.get_dataset(app.adapters.documents, body.dataset)
    ref: int | str | None = body.version if body.version is not None else body.alias
    # Refuse a model reference that cannot resolve now, rather than fail in the worker.
    app.registry.resolve(body.model, ref)
    params: dict[str, Any] = {
        "model": body.model,
        "dataset": datasets.source_ref(dataset).to_json(),
    }
    if body.version is not None:
        params["version"] = body.version
    elif body.alias is not None:
        params["alias"] = body.alias
    return jobs.enqueue(
        app.adapters, "batch_predict", params, job_id=body.job_id, created_by=key.id
    )


@router.get("/{job_id}", response_model=JobOut, responses=responses(400, 401, 403, 404, 422),
            dependencies=[Depends(require("read"))])  # fmt: skip
def get_job(job_id: str, app: AppState = Depends(state)) -> dict[str, Any]:
    try:
        return job_out(jobs.get(app.adapters.documents, job_id))
    except (NotFound, ValueError):
        raise NotFound(f"job {job_id!r} not found") from None


@router.get("", response_model=JobPage, responses=responses(400, 401, 403, 422),
            dependencies=[Depends(require("read"))])  # fmt: skip
def list_jobs(
    state_: str | None = Query(None, alias="state", pattern="^(queued|running|succeeded|failed)$"),
    type_: str | None = Query(None, alias="type", pattern="^(train|batch_predict)$"),
    limit: int = Query(100, ge=1, le=1000),
    page_token: str | None = Query(None, max_length=2000),
    app: AppState = Depends(state),
) -> dict[str, Any]:
    """Newest first within a state; without a state, every job in no promised order. The
    type filter applies within each page, so a page may hold fewer than `limit` items."""
    documents = app.adapters.documents
    if state_ is not None:
        page = documents.query(
            JOBS.name, "state", state_, descending=True, limit=limit, page_token=page_token
        )
    else:
        page = documents.scan(JOBS.name, limit=limit, page_token=page_token)
    items = [
        {"id": doc.id, **doc.data}
        for doc in page.items
        if type_ is None or doc.data.get("type") == type_
    ]
    return {"items": items, "next_token": page.next_token}
