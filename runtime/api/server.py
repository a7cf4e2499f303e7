"""How uvicorn serves the API: a cap on concurrent connections and requests (beyond it, a
503 at once), a keep-alive timeout, and a timeout on reading a request's headers.

uvicorn has the first two as options. It has no header timeout: a connection that sends a
header byte now and then is kept open for ever (its keep-alive timer runs only between
requests, and any byte cancels it). `HeaderTimeoutH11` adds one to uvicorn's own h11
protocol, the one it uses here (httptools is not installed): a connection still waiting for
a complete request head `header_timeout` seconds after it opened, or after its previous
response, is closed. The deployed platforms' proxies have their own timeouts; this one
protects the API wherever it runs without them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from runtime.api.settings import ApiSettings


class HeaderTimeoutH11(H11Protocol):
    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_timer()  # the head is in: the app's time now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()  # the next request's head gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


def protocol(header_timeout: float) -> type[HeaderTimeoutH11]:
    """uvicorn's h11 protocol with this header timeout."""
    return type("HeaderTimeoutH11", (HeaderTimeoutH11,), {"header_timeout": header_timeout})


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
