"""A liveness endpoint for processes that serve no API (the worker).

App Engine flexible health-checks every service, the worker included, so a worker started
with `MLPOC_HEALTH_PORT` answers GET /healthz there: 200 while it runs, 503 once it is
stopping. The standard library's server is enough for one path and keeps the worker free of
the API's dependencies.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HEALTH_PATH = "/healthz"


def serve_health(
    port: int, healthy: Callable[[], bool], host: str = "0.0.0.0"
) -> ThreadingHTTPServer:
    """Serve GET /healthz on a daemon thread; returns the server (call `shutdown()`)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != HEALTH_PATH:
                self._reply(404, {"error": {"code": "not_found", "message": "only /healthz"}})
            elif healthy():
                self._reply(200, {"status": "ok"})
            else:
                self._reply(503, {"status": "stopping"})

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
