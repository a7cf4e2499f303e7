"""The worker's liveness endpoint (App Engine health-checks every service, the worker too)."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request
from pathlib import Path

from runtime.config import RuntimeSettings
from runtime.health import serve_health
from runtime.schema import COLLECTIONS
from tests.rigs.base import Rig, build_as
from tests.servers.process import free_port
from tests.support.env import FAST, Env, new_env
from tests.support.waiting import wait_for


def get(port: int, path: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_answers_200_while_healthy_then_503_with_the_reason_and_404_elsewhere() -> None:
    unhealthy: list[str | None] = [None]
    port = free_port()
    server = serve_health(port, lambda: unhealthy[0], host="127.0.0.1")
    try:
        assert get(port, "/healthz") == (200, {"status": "ok"})
        unhealthy[0] = "misconfigured"
        assert get(port, "/healthz") == (503, {"status": "misconfigured"})
        unhealthy[0] = "stopping"
        assert get(port, "/healthz") == (503, {"status": "stopping"})
        assert get(port, "/other")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def test_worker_process_serves_health_on_its_port_and_exits_cleanly(
    rig: Rig, tmp_path: Path
) -> None:
    env = new_env(rig, tmp_path)
    port = free_port()
    with env.worker_processes(1, health_port=port) as (worker,):

        def answers() -> bool:
            try:
                return get(port, "/healthz") == (200, {"status": "ok"})
            except OSError:
                return False

        wait_for(answers, timeout=120, what=lambda: "the worker's /healthz\n" + env.logs())
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, env.logs()
    assert not answers()


def test_a_worker_denied_by_its_backend_reports_unhealthy(rig: Rig, tmp_path: Path) -> None:
    """A worker whose identity may not take messages meets the same ConfigurationError on
    every try: its /healthz turns 503 "misconfigured" instead of staying green."""
    identities = rig.identities(COLLECTIONS)
    backend = identities.settings
    owner = build_as(identities.owner, COLLECTIONS, backend)
    env = Env(
        rig=rig, backend=backend, settings=RuntimeSettings(**FAST), adapters=owner, tmp=tmp_path
    )
    port = free_port()
    with env.worker_processes(1, extra_env=identities.reader, health_port=port) as (worker,):

        def misconfigured() -> bool:
            try:
                return get(port, "/healthz") == (503, {"status": "misconfigured"})
            except OSError:
                return False

        wait_for(
            misconfigured, timeout=120, what=lambda: "/healthz to say misconfigured\n" + env.logs()
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, env.logs()
    assert "check the credentials and IAM permissions" in env.logs()
