"""Datasets: upload and append (multipart, spooled to a temporary file and validated in full
before anything is stored), list, describe, preview, column statistics, delete."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from fastapi import Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from runtime.api.errors import ApiError
from runtime.api.params import DatasetName, Limit, PageToken
from runtime.api.routing import scoped_router
from runtime.api.schemas import (
    DatasetDeleted,
    DatasetOut,
    DatasetPage,
    DatasetPreview,
    DatasetStats,
)
from runtime.api.state import AppState, state
from runtime.datasets import explore, store
from runtime.datasets.append import append_rows
from runtime.datasets.delete import delete_dataset
from runtime.datasets.ingest import ingest
from runtime.datasets.task import TASKS
from runtime.names import NAME_PATTERN

AREA: dict[str, Any] = {"prefix": "/datasets", "tags": ["datasets"]}
reads = scoped_router("read", errors=(400, 404, 422), **AREA)
writes = scoped_router("admin", errors=(400, 404, 409, 413, 415, 422), **AREA)
routers = (reads, writes)
# The routes that take a CSV (the body limits give them the upload's allowance).
CSV_ROUTES = (("POST", "/datasets"), ("POST", "/datasets/{name}/rows"))
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
                "additionalProperties": False,
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


APPEND_FIELDS = ("new_class",)
APPEND_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "additionalProperties": False,
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A CSV with the dataset's columns (any order; the "
                        "target may be left out: those rows wait for labels).",
                    },
                    "new_class": {
                        "type": "boolean",
                        "description": "Labels outside the label set add classes (else 422).",
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


def _flag(name: str, value: str | None) -> bool:
    if value is None or value.lower() in ("", "false", "0", "no"):
        return False
    if value.lower() in ("true", "1", "yes"):
        return True
    raise ApiError(422, f"{name} must be true or false, got {value[:20]!r}")


@contextlib.asynccontextmanager
async def _csv_form(
    request: Request, app: AppState, names: tuple[str, ...]
) -> AsyncIterator[tuple[UploadFile, dict[str, str | None]]]:
    """A multipart form holding a CSV `file` (spooled to a temporary file, size-capped) and
    the text fields `names`; closed (its file removed) on leaving."""
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
        max_fields=len(names),
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
        for key in names:
            value = form.get(key)
            if isinstance(value, UploadFile):
                raise ApiError(422, f"form field {key!r} must be text, not a file")
            fields[key] = value or None
        unknown = sorted(set(form.keys()) - {*names, "file"})
        if unknown:
            raise ApiError(422, f"unknown form fields: {unknown}")
        if upload_file.size is not None and upload_file.size > limit:
            raise ApiError(413, f"the file is larger than the limit of {limit} bytes")
        yield upload_file, fields
    finally:
        await form.close()


@writes.post(
    "", status_code=201, response_model=DatasetOut, openapi_extra={"requestBody": UPLOAD_BODY}
)
async def upload(request: Request, app: AppState = Depends(state)) -> dict[str, Any]:
    """Upload a CSV as a new dataset (multipart form: `file` plus the fields below)."""
    async with _csv_form(request, app, FIELDS) as (upload_file, fields):
        if not fields["name"]:
            raise ApiError(422, "the form needs a `name` field")
        if fields["task"] is not None and fields["task"] not in TASKS:
            raise ApiError(422, f"task must be one of {TASKS}, got {fields['task'][:40]!r}")
        return await run_in_threadpool(
            ingest,
            app.adapters,
            upload_file.file,
            name=str(fields["name"]),
            target=fields["target"],
            id_column=fields["id_column"],
            unlabelled=_flag("unlabelled", fields["unlabelled"]),
            model=fields["model"],
            task=fields["task"],
        )


@writes.post("/{name}/rows", response_model=DatasetOut, openapi_extra={"requestBody": APPEND_BODY})
async def append(
    name: DatasetName, request: Request, app: AppState = Depends(state)
) -> dict[str, Any]:
    """Append rows to a dataset (multipart form: `file`, a CSV with the dataset's columns in
    any order, the target optional; and `new_class`). Checked like an upload; a label
    outside the label set is a 422 unless `new_class`. The dataset's `revision` goes up by
    one, and training records the revision it learned from."""
    async with _csv_form(request, app, APPEND_FIELDS) as (upload_file, fields):
        return await run_in_threadpool(
            append_rows,
            app.adapters,
            name,
            upload_file.file,
            new_class=_flag("new_class", fields["new_class"]),
        )


@reads.get("", response_model=DatasetPage)
def list_datasets(
    limit: Limit = 100,
    page_token: PageToken = None,
    app: AppState = Depends(state),
) -> dict[str, Any]:
    page = store.list_datasets(app.adapters.documents, limit=limit, page_token=page_token)
    return {"items": [doc.data for doc in page.items], "next_token": page.next_token}


@reads.get("/{name}", response_model=DatasetOut)
def describe(name: DatasetName, app: AppState = Depends(state)) -> dict[str, Any]:
    """Columns and their kinds, row count, label counts, task and label set."""
    return store.get_dataset(app.adapters.documents, name, ready=False)


@reads.get("/{name}/preview", response_model=DatasetPreview)
def preview(
    name: DatasetName,
    rows: int = Query(20, ge=1, le=explore.PREVIEW_MAX_ROWS, description="How many rows."),
    app: AppState = Depends(state),
) -> dict[str, Any]:
    """The dataset's first rows, in file order, as records with their current labels."""
    return {"name": name, "items": explore.preview(app.adapters, name, rows)}


@reads.get("/{name}/stats", response_model=DatasetStats)
def stats(name: DatasetName, app: AppState = Depends(state)) -> dict[str, Any]:
    """Per column (all but the target and the record ids): missing and present counts;
    numbers: min, max, mean; other values: how many distinct (null: more than 10000) and the
    most frequent. The target's counts are the current labels'. Computed once per file."""
    return explore.column_stats(app.adapters, name)


@writes.delete("/{name}", response_model=DatasetDeleted)
def delete(name: DatasetName, app: AppState = Depends(state)) -> dict[str, Any]:
    """Delete a dataset with its records, annotations, stored predictions and files. Model
    versions and their artifacts stay, and so do the training snapshots versions name."""
    return delete_dataset(app.adapters, name)
