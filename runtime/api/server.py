"""How uvicorn serves the API: httptools' parser (C, a pinned dependency; uvicorn's h11
parser is pure Python and cost ~0.25 ms more per request here), a cap on concurrent
connections and requests (beyond it, a 503 at once), a keep-alive timeout, a timeout on
reading a request's headers, and whose forwarded headers (scheme, client address) it
believes: the platform's front end's only.

uvicorn has all but the header timeout as options. It has none: a connection that sends a
header byte now and then is kept open for ever (its keep-alive timer runs only between
requests, and any byte cancels it). `HeaderTimeoutHttpTools` adds one to uvicorn's httptools
protocol: a connection still waiting for a complete request head `header_timeout` seconds
after it opened, or after its previous response, is closed. The deployed platforms' proxies
have their own timeouts; this one protects the API wherever it runs without them.

uvicorn's own answer at the concurrency limit is a plain-text 503. The protocol makes the
same test (open connections, requests in flight) itself, in front of the app, and answers in
the API's one JSON error shape instead (`busy`).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from runtime.api.errors import error_response
from runtime.api.logs import reset_request_id, set_request_id
from runtime.api.settings import ApiSettings

BUSY_MESSAGE = "the API is at its limit of concurrent requests; retry shortly"


async def busy(scope: Scope, receive: Receive, send: Send) -> None:
    """The 503 at the concurrency limit, in the API's error shape (with its request id)."""
    request_id = uuid.uuid4().hex
    token = set_request_id(request_id)
    try:
        headers = {"Connection": "close", "Retry-After": "1", "X-Request-ID": request_id}
        response = error_response(503, BUSY_MESSAGE, headers=headers)
    finally:
        reset_request_id(token)
    await response(scope, receive, send)


class HeaderTimeoutHttpTools(HttpToolsProtocol):
    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        # Heads parsed and responses sent on this connection: equal when the connection is
        # between requests or inside a head (a pipelined request already parsed is not).
        self._heads = 0
        self._responses = 0
        # uvicorn's test, taken over so that the answer is `busy`, not its plain text.
        limit, self.limit_concurrency = self.limit_concurrency, None
        if limit is not None:
            self.app = self._limited(self.app, limit)

    def _limited(self, app: Any, limit: int) -> Any:
        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            # uvicorn tests before it starts the request's task; here that task is already
            # in `tasks`, hence `>`.
            if scope["type"] == "http" and (
                len(self.connections) >= limit or len(self.tasks) > limit
            ):
                self.logger.warning("Exceeded concurrency limit.")
                await busy(scope, receive, send)
                return
            await app(scope, receive, send)

        return limited

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self._heads == self._responses and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._heads += 1
        self._disarm_header_timer()  # the head is in: the app's time now
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self._responses += 1
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()  # the next request's head gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


def protocol(header_timeout: float) -> type[HeaderTimeoutHttpTools]:
    """uvicorn's httptools protocol with this header timeout."""
    return type(
        "HeaderTimeoutHttpTools", (HeaderTimeoutHttpTools,), {"header_timeout": header_timeout}
    )


def config(
    app: Any, settings: ApiSettings, *, host: str, port: int, **options: Any
) -> uvicorn.Config:
    """uvicorn's configuration of the API, its limits from `settings`."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol(settings.api_header_timeout_seconds),
        limit_concurrency=settings.api_max_concurrency,
        timeout_keep_alive=settings.api_keep_alive_seconds,
        # X-Forwarded-Proto/-For are believed only from the platform's front end.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        **options,
    )
