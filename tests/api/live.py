"""The API served by uvicorn over loopback in a thread, configured as deployed (limits and
timeouts from its settings: runtime.api.server), for tests that need a real socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from runtime.api import server
from runtime.api.settings import ApiSettings

START_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: FastAPI, settings: ApiSettings, **options: Any) -> Iterator[tuple[str, int]]:
    """(host, port) of `app` served until the block ends."""
    port = free_port()
    config = server.config(
        app, settings, host="127.0.0.1", port=port, log_config=None, log_level="warning",
        access_log=False, **options,
    )  # fmt: skip
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="live-api", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_SECONDS
        while not uv.started:
            assert thread.is_alive(), "the API thread died while starting"
            assert time.monotonic() < deadline, f"the API did not start in {START_SECONDS} s"
            time.sleep(0.05)
        yield "127.0.0.1", port
    finally:
        uv.should_exit = True
        thread.join(timeout=15)
