"""`python -m runtime.api` as the image runs it: uvicorn on $PORT, JSON logs on stdout, a
clean exit on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.live import free_port
from tests.runtime.conftest import stop_process

REPO = Path(__file__).resolve().parents[2]


def test_the_module_serves_health_and_logs_json(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MLPOC_BACKEND": "local",
        "MLPOC_DATA_DIR": str(tmp_path),
        "MLPOC_API_HOST": "127.0.0.1",
        "PORT": str(port),
    }
    log = (tmp_path / "api.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.api"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "probe-1"}
                )
                break
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "api.log").read_text()
                assert time.monotonic() < deadline, "the API did not start within 30 s"
                time.sleep(0.2)
        assert response.json() == {"status": "ok"}
        assert response.headers["X-Request-ID"] == "probe-1"
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").json()["status"] == "ready"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        stop_process(proc)
        log.close()
    lines = [json.loads(line) for line in (tmp_path / "api.log").read_text().splitlines()]
    access = [line for line in lines if line["logger"] == "mlpoc.api.access"]
    assert access[0]["request_id"] == "probe-1" and access[0]["route"] == "/healthz"
    assert all("request_id" in line and "level" in line for line in lines)
