"""Datasets: upload (multipart, spooled to a temporary file and validated in full before
anything is stored), list, describe."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from runtime.api.errors import ApiError
from runtime.api.routing import scoped_router
from runtime.api.schemas import DatasetOut, DatasetPage
from runtime.api.state import AppState, state
from runtime.datasets import store
from runtime.datasets.ingest import ingest
from runtime.datasets.task import TASKS
from runtime.names import NAME_PATTERN

AREA: dict[str, Any] = {"prefix": "/datasets", "tags": ["datasets"]}
reads = scoped_router("read", errors=(400, 404, 422), **AREA)
writes = scoped_router("admin", errors=(400, 409, 413, 415, 422), **AREA)
routers = (reads, writes)
# Room for the multipart envelope and the small form fields around the file.
ENVELOPE_BYTES = 64 * 1024
FIELDS = ("name", "target", "id_column", "unlabelled", "model", "task")

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "name"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "The CSV."},
                    "name": {"type": "string", "pattern": NAME_PATTERN},
                    "target": {"type": "string", "description": "The label column."},
                    "id_column": {"type": "string", "description": "The record id column."},
                    "unlabelled": {
                        "type": "boolean",
                        "description": "The file may lack the target column: label from scratch.",
                    },
                    "model": {"type": "string", "pattern": NAME_PATTERN},
                    "task": {
                        "type": "string",
                        "enum": list(TASKS),
                        "description": "What the target is (default: inferred from its "
                        "values: integral with few distinct values, or text, is "
                        "classification; other numbers regression).",
                    },
                },
            }
        }
    },
}


async def _limited(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise ApiError(413, f"the upload is larger than the limit of {limit} bytes")
        yield chunk


def _flag(value: str | None) -> bool:
    if value is None or value.lower() in ("", "false", "0", "no"):
        return False
    if value.lower() in ("true", "1", "yes"):
        return True
    raise ApiError(422, f"unlabelled must be true or false, got {value[:20]!r}")


@writes.post(
    "", status_code=201, response_model=DatasetOut, openapi_extra={"requestBody": UPLOAD_BODY}
)
async def upload(request: Request, app: AppState = Depends(state)) -> dict[str, Any]:
    """Upload a CSV as a new dataset (multipart form: `file` plus the fields below)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(415, f"upload a multipart/form-data form, not {content_type[:80]!r}")
    limit = app.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + ENVELOPE_BYTES:
        raise ApiError(413, f"the upload is larger than the limit of {limit} bytes")
    parser = MultiPartParser(
        request.headers,
        _limited(request, limit + ENVELOPE_BYTES),
        max_files=1,
        max_fields=len(FIELDS),
        max_part_size=64 * 1024,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise ApiError(400, f"malformed multipart form: {exc}") from None
    try:
        upload_file = form.get("file")
        if not isinstance(upload_file, UploadFile):
            raise ApiError(422, "the form needs a `file` part holding the CSV")
        fields: dict[str, str | None] = {}
        for key in FIELDS:
            value = form.get(key)
            if isinstance(value, UploadFile):
                raise ApiError(422, f"form field {key!r} must be text, not a file")
            fields[key] = value or None
        unknown = sorted(set(form.keys()) - {*FIELDS, "file"})
        if unknown:
            raise ApiError(422, f"unknown form fields: {unknown}")
        if not fields["name"]:
            raise ApiError(422, "the form needs a `name` field")
        if fields["task"] is not None and fields["task"] not in TASKS:
            raise ApiError(422, f"task must be one of {TASKS}, got {fields['task'][:40]!r}")
        if upload_file.size is not None and upload_file.size > limit:
            raise ApiError(413, f"the file is larger than the limit of {limit} bytes")
        return await run_in_threadpool(
            ingest,
            app.adapters,
            upload_file.file,
            name=str(fields["name"]),
            target=fields["target"],
            id_column=fields["id_column"],
            unlabelled=_flag(fields["unlabelled"]),
            model=fields["model"],
            task=fields["task"],
        )
    finally:
        await form.close()


@reads.get("", response_model=DatasetPage)
def list_datasets(
    limit: int = Query(100, ge=1, le=1000),
    page_token: str | None = Query(None, max_length=2000),
    app: AppState = Depends(state),
) -> dict[str, Any]:
    page = store.list_datasets(app.adapters.documents, limit=limit, page_token=page_token)
    return {"items": [doc.data for doc in page.items], "next_token": page.next_token}


@reads.get("/{name}", response_model=DatasetOut)
def describe(name: str, app: AppState = Depends(state)) -> dict[str, Any]:
    """Columns and their kinds, row count, label counts."""
    return store.get_dataset(app.adapters.documents, name, ready=False)
