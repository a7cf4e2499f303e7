"""Health: whether the backends answer (the API's readiness), and a liveness endpoint for
processes that serve no API (the worker).

App Engine flexible health-checks every service, the worker included, so a worker started
with `MLPOC_HEALTH_PORT` answers GET /healthz there: 200 while it runs, 503 with the reason
once it is stopping or keeps meeting a configuration error (access denied, a missing
resource) that retrying cannot cure, so the platform shows it instead of a green worker
that does nothing. The standard library's server is enough for one path and keeps the
worker free of the API's dependencies.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from adapters.errors import NotFound
from adapters.ports import Adapters
from runtime.schema import DATASETS

log = logging.getLogger("mlpoc.api.health")
HEALTH_PATH = "/healthz"
PROBE = "readyz-probe"


def check_backends(adapters: Adapters) -> tuple[dict[str, str], list[str]]:
    """One cheap read per port: each port's status ("ok" or "failed"), and the names of the
    ports that failed. Why one failed is logged, never returned: the answer goes to callers
    without a key, and a backend's error names buckets, accounts and roles."""
    checks: dict[str, str] = {}
    failures = []

    def documents() -> None:
        with contextlib.suppress(NotFound):
            adapters.documents.get(DATASETS.name, PROBE)

    for name, check in (
        # A listing, not exists(): a missing bucket answers "no such key" to a HEAD.
        ("blobs", lambda: adapters.blobs.list(PROBE, page_size=1)),
        ("documents", documents),
        ("queue", adapters.queue.ping),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:
            log.warning("readiness: %s failed: %s: %s", name, type(exc).__name__, exc)
            checks[name] = "failed"
            failures.append(name)
    return checks, failures


def serve_health(
    port: int, unhealthy: Callable[[], str | None], host: str = "0.0.0.0"
) -> ThreadingHTTPServer:
    """Serve GET /healthz on a daemon thread; returns the server (call `shutdown()`).
    `unhealthy()` is None while healthy, else the status to report."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != HEALTH_PATH:
                self._reply(404, {"error": {"code": "not_found", "message": "only /healthz"}})
            elif (status := unhealthy()) is None:
                self._reply(200, {"status": "ok"})
            else:
                self._reply(503, {"status": status})

        def _reply(self, status: int, body: dict[str, object]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # health probes every few seconds would drown the worker's own log

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
