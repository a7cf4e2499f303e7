"""The API over a real loopback socket: served by uvicorn in a thread, configured as deployed
(limits and timeouts from its settings: runtime.api.server), or as the image runs it
(`python -m runtime.api` in its own process, for tests that need its exit status or RSS)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn
from fastapi import FastAPI

from runtime.api import server
from runtime.api.settings import ApiSettings
from tests.servers.process import free_port

START_SECONDS = 120  # a failure-only bound: start-up on a busy machine
REPO = Path(__file__).resolve().parents[2]


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


@contextmanager
def api_process(
    env: dict[str, str], *, log: IO[bytes] | int = subprocess.DEVNULL
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m runtime.api` on a free loopback port with `env` (on top of this process's
    environment): its URL once /healthz answers, and the process. Stopped at the end."""
    from tests.support.processes import stop_process

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.api"],
        env={**os.environ, **env, "MLPOC_API_HOST": "127.0.0.1", "PORT": str(port)},
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                httpx.get(url + "/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, f"the API exited with {proc.returncode}"
                assert time.monotonic() < deadline, f"the API did not start in {START_SECONDS} s"
                time.sleep(0.2)
        yield url, proc
    finally:
        stop_process(proc)
