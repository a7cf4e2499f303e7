"""One JSON error shape for every refusal: `{"error": {"code", "message", "request_id"}}`.

Adapter errors map to their HTTP meaning (NotFound 404, Conflict 409, TooLarge 413,
BackendUnavailable 503); a ValueError raised by the runtime on bad input is a 400, but a
label that does not fit its dataset (InvalidLabel) and trainer params the trainer's
declaration refuses (InvalidParams) are a 422, like request validation, which names the
offending fields. A ConfigurationError (the backend refused this deployment's
identity, or a resource its settings name is missing: the same on every backend, see
adapters.errors) is a 503 "misconfigured" whose message says so without the backend's
details (resource names, account ids), which go to the log under the request id. Anything
else is a logged 500 that reveals nothing but the request id (runtime.api.middleware).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapters.errors import BackendUnavailable, ConfigurationError, Conflict, NotFound, TooLarge
from runtime.api.logs import current_request_id
from runtime.api.openapi import methods_at
from runtime.api.serving import ModelUnavailable
from runtime.datasets.task import InvalidLabel
from runtime.trainers.base import InvalidParams

log = logging.getLogger("mlpoc.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    503: "unavailable",
}


MISCONFIGURED_MESSAGE = (
    "the service cannot use its storage backend: access was denied or a resource its "
    "settings name is missing; the operator must fix the deployment (the server log has "
    "the details under this request id)"
)


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """A refusal with its status, machine-readable code and human message."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` declaring these error statuses with the error shape."""
    return {
        status: {"model": ErrorResponse, "description": _CODES.get(status, "error")}
        for status in statuses
    }


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {
        "error": {
            "code": code or _CODES.get(status, "error"),
            "message": message,
            "request_id": current_request_id(),
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:10]:
        loc = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
        parts.append(f"{loc}: {error.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def _allowed_methods(request: Request, given: str) -> str:
    """Every method the OpenAPI document gives the request's path. Starlette's 405 names only
    the first route whose path matched, but a path's read and write routes sit on different
    routers (one per scope). `given` (Starlette's) stands for paths outside the document."""
    methods = methods_at(request.app, request.scope["path"])
    return ", ".join(sorted(methods)) if methods else given


def install(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.message, exc.code)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, _validation_message(exc))

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            headers = dict(headers or {})
            headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
        return error_response(exc.status_code, str(exc.detail), headers=headers)

    def mapped(status: int) -> Any:
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            # The exception's type is logged: a ValueError that is a bug rather than bad input
            # shows up as such in the logs even though the client sees a 400.
            log.info("refused with %d: %s: %s", status, type(exc).__name__, exc)
            return error_response(status, str(exc) or type(exc).__name__)

        return handler

    async def misconfigured(request: Request, exc: Exception) -> JSONResponse:
        log.error("backend refused or misconfigured: %s", exc)
        return error_response(503, MISCONFIGURED_MESSAGE, "misconfigured")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(ConfigurationError, misconfigured)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(NotFound, mapped(404))
    app.add_exception_handler(Conflict, mapped(409))
    app.add_exception_handler(TooLarge, mapped(413))
    app.add_exception_handler(BackendUnavailable, mapped(503))
    app.add_exception_handler(ModelUnavailable, mapped(503))
    app.add_exception_handler(InvalidLabel, mapped(422))
    app.add_exception_handler(InvalidParams, mapped(422))
    app.add_exception_handler(ValueError, mapped(400))
    # Anything else: runtime.api.middleware answers a JSON 500 and logs it.
