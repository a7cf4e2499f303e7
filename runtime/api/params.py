"""Path and query parameters the routes share, with the constraints the runtime applies
(runtime.names' patterns, page sizes, page tokens): the OpenAPI document says what the API
refuses, and FastAPI refuses it (422) before a route runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from adapters.limits import MAX_DOC_ID_BYTES
from adapters.pagination import MAX_PAGE_LIMIT
from runtime.names import JOB_ID_PATTERN, NAME_PATTERN

# URL-safe base64 without padding: what adapters.pagination issues on every backend.
PAGE_TOKEN_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_PAGE_TOKEN_CHARS = 2000

ModelName = Annotated[str, Path(pattern=NAME_PATTERN, description="A model name.")]
AliasName = Annotated[
    str, Path(pattern=NAME_PATTERN, description="An alias name (`production`, `staging`...).")
]
DatasetName = Annotated[str, Path(pattern=NAME_PATTERN, description="A dataset name.")]
JobId = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="A job id.")]
# A record's document id is `<dataset>:<record id>`, at most MAX_DOC_ID_BYTES: an id longer
# than that can exist nowhere (the API answers 404 for it, as for any unknown record).
RecordId = Annotated[
    str,
    Path(min_length=1, max_length=MAX_DOC_ID_BYTES - 2, description="A record id."),
]
Version = Annotated[int, Path(ge=1, description="A version number.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_LIMIT, description="Items per page.")]
PageToken = Annotated[
    str | None,
    Query(
        pattern=PAGE_TOKEN_PATTERN,
        max_length=MAX_PAGE_TOKEN_CHARS,
        description="The `next_token` of the previous page (omit it for the first page).",
    ),
]
