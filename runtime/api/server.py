"""How uvicorn serves the API: httptools' parser (C, a pinned dependency; uvicorn's h11
parser is pure Python and cost ~0.25 ms more per request here), a cap on concurrent
connections and requests (beyond it, a 503 at once), a keep-alive timeout, and a timeout on
reading a request's headers.

uvicorn has the middle two as options. It has no header timeout: a connection that sends a
header byte now and then is kept open for ever (its keep-alive timer runs only between
requests, and any byte cancels it). `HeaderTimeoutHttpTools` adds one to uvicorn's httptools
protocol: a connection still waiting for a complete request head `header_timeout` seconds
after it opened, or after its previous response, is closed. The deployed platforms' proxies
have their own timeouts; this one protects the API wherever it runs without them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from runtime.api.settings import ApiSettings


class HeaderTimeoutHttpTools(HttpToolsProtocol):
    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        # Heads parsed and responses sent on this connection: equal when the connection is
        # between requests or inside a head (a pipelined request already parsed is not).
        self._heads = 0
        self._responses = 0

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
        **options,
    )
