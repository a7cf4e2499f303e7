"""The outermost layer, as plain ASGI (no per-request task or body copy): it gives each
request an id (the client's X-Request-ID if sane, else a new one) for every log line and the
response header, refuses bodies over the size limit with a 413 (multipart uploads have their
own, larger limit in their route), times the request by route template, writes one access
log line, and turns an unexpected exception into the JSON error shape instead of a bare 500."""

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


class BodyTooLarge(Exception):
    pass


class RequestContext:
    def __init__(self, app: ASGIApp, metrics: ApiMetrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id, length, multipart = None, None, False
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
            elif name == b"content-length":
                length = value
            elif name == b"content-type":
                multipart = value.lower().startswith(b"multipart/")
        request_id = request_id_from(request_id)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        limit = None if multipart else self.max_body_bytes
        too_large = False
        received = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if too_large and not response_started:
                return  # the app's answer to a truncated body is replaced by the 413
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if limit is not None and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise BodyTooLarge
            return message

        try:
            if (
                limit is not None
                and length is not None
                and length.isdigit()
                and int(length) > limit
            ):
                too_large = True
            else:
                await self.app(scope, counted_receive, send_with_id)
        except BodyTooLarge:
            pass
        except Exception:
            log.exception("unhandled error")
            if response_started:
                raise
            response = error_response(500, "internal error; quote the request id", "internal")
            await response(scope, receive, send_with_id)
        finally:
            if too_large and not response_started:
                too_large = False
                response = error_response(
                    413, f"the request body is larger than the limit of {limit} bytes"
                )
                await response(scope, receive, send_with_id)
            elapsed = time.perf_counter() - started
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status)).observe(elapsed)
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
                    }
                },
            )
            reset_request_id(token)
