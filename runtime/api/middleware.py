"""The outermost layer, as plain ASGI (no per-request task or body copy): it gives each
request an id (the client's X-Request-ID if sane, else a new one) for every log line and the
response header, times the request by route template, writes one access log line (with the
client's address and the id of the API key that made the request), and turns an unexpected
exception into the JSON error shape instead of a bare 500. Authentication
(`runtime.api.auth.Authenticate`) and body limits (`runtime.api.body_limit`) sit inside it."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.api.errors import error_response
from runtime.api.logs import request_id_from, reset_request_id, set_request_id
from runtime.api.metrics import ApiMetrics

access = logging.getLogger("mlpoc.api.access")
log = logging.getLogger("mlpoc.api")


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
                break
        request_id = request_id_from(request_id)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error")
            if response_started:
                raise
            response = error_response(500, "internal error; quote the request id", "internal")
            await response(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status)).observe(elapsed)
            key = scope.get("state", {}).get("api_key")
            client = scope.get("client")
            access.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": template,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "client": client[0] if client else None,
                        "key_id": key.id if key is not None else None,
                    }
                },
            )
            reset_request_id(token)
