"""Jobs: enqueue one of the registered job types (runtime.handlers: document first, then
message; a worker runs it), get one, list them by state with pagination.

The router is built per app from the job types it serves: the request body is the union of
their requests (discriminated by `type`) and the `type` filter accepts exactly their names.
"""

# No `from __future__ import annotations`: FastAPI reads the body's type, built at run time
# from the registry, off the route function's annotations.

from collections.abc import Mapping
from typing import Annotated, Any, Union

from fastapi import APIRouter, Body, Depends, Query
from pydantic import Field

from adapters.errors import NotFound
from runtime import jobs
from runtime.api.params import JobId, Limit, PageToken
from runtime.api.routing import caller, scoped_router
from runtime.api.schemas import JobOut, JobPage
from runtime.api.state import AppState, state
from runtime.api_keys import ApiKey
from runtime.handlers import JobType
from runtime.jobs import STATES

AREA: dict[str, Any] = {"prefix": "/jobs", "tags": ["jobs"]}


def request_body(job_types: Mapping[str, JobType]) -> Any:
    """The body of `POST /jobs`: one of the job types' requests, chosen by its `type`."""
    requests = tuple(job.request for job in job_types.values())
    if len(requests) == 1:
        return requests[0]
    return Annotated[Union[requests], Field(discriminator="type")]  # noqa: UP007


def one_of(names: Any) -> str:
    return "^(" + "|".join(names) + ")$"


def routers(job_types: Mapping[str, JobType]) -> tuple[APIRouter, ...]:
    reads = scoped_router("read", errors=(400, 404, 422), **AREA)
    writes = scoped_router("admin", errors=(400, 404, 409, 422), **AREA)
    JobIn = request_body(job_types)

    @writes.post("", status_code=202, response_model=JobOut)
    def enqueue(
        body: JobIn = Body(...),  # type: ignore[valid-type]  # built from the registry
        app: AppState = Depends(state),
        key: ApiKey = Depends(caller),
    ) -> dict[str, Any]:
        job_type = job_types[body.type]  # type: ignore[attr-defined]
        job = job_type.submit(app.submission(key), body)
        app.metrics.jobs_enqueued.labels(job.type).inc()
        return job.to_json()

    @reads.get("/{job_id}", response_model=JobOut)
    def get_job(job_id: JobId, app: AppState = Depends(state)) -> dict[str, Any]:
        try:
            return jobs.get(app.adapters.documents, job_id).to_json()
        except (NotFound, ValueError):
            raise NotFound(f"job {job_id!r} not found") from None

    @reads.get("", response_model=JobPage)
    def list_jobs(
        state_: str | None = Query(None, alias="state", pattern=one_of(STATES)),
        type_: str | None = Query(None, alias="type", pattern=one_of(job_types)),
        limit: Limit = 100,
        page_token: PageToken = None,
        app: AppState = Depends(state),
    ) -> dict[str, Any]:
        """Newest first, in one state or across all of them. The type filter applies within
        each page, so a page may hold fewer than `limit` items."""
        page = jobs.list_jobs(
            app.adapters.documents,
            state=state_,
            job_type=type_,
            limit=limit,
            page_token=page_token,
        )
        return {"items": [job.to_json() for job in page.items], "next_token": page.next_token}

    return reads, writes
