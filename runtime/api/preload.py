"""Ready at start: load the models the `production` aliases point at before `/readyz` says
ready, so the first request is as fast as the thousandth (no artifact download, no import,
no first-call setup on a user's request).

It runs once, in a background thread, over the models that have a production alias
(`Registry.models_with_alias`). Readiness waits for it at most `preload_seconds`; a model
that fails to load is logged and does not hold readiness back (its requests answer 503 as
before).

Then it warms the request path itself (`warm_routes`): FastAPI builds each router's routes
(their validators, dependency graphs) on the first request that reaches them, and anyio
imports its thread backend on its first use; together they cost the first prediction
~0.1-0.3 s, measured, where the thousandth costs ~1 ms.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Message

from runtime.api.logs import set_request_id
from runtime.api.serving import MAX_ENTRIES, ModelServer

log = logging.getLogger("mlpoc.api.preload")
ALIAS = "production"
# Its log lines' request id: the preload serves no request, but every API log line carries
# an id to find it by (a new thread starts with no request's context).
REQUEST_ID = "preload"


class Preload:
    def __init__(
        self, server: ModelServer, *, seconds: float, warm: Callable[[], None] | None = None
    ) -> None:
        self.server = server
        self.seconds = seconds
        self.warm = warm  # run after the models, before ready: the request path's first use
        self.done = threading.Event()
        self.models: list[str] = []
        self.loaded: list[str] = []
        self._deadline = 0.0

    def start(self) -> threading.Thread | None:
        self._deadline = time.monotonic() + self.seconds
        if self.seconds <= 0:
            self.done.set()
            return None
        thread = threading.Thread(target=self._run, name="preload", daemon=True)
        thread.start()
        return thread

    def ready(self) -> str | None:
        """None when ready; otherwise what is still loading."""
        if self.done.is_set() or time.monotonic() >= self._deadline:
            return None
        return f"loading the production models ({len(self.loaded)} of {len(self.models)} done)"

    def _run(self) -> None:
        set_request_id(REQUEST_ID)
        try:
            self.models = self.server.registry.models_with_alias(ALIAS, limit=MAX_ENTRIES)
            for model in self.models:
                try:
                    self.server.get(model, ALIAS)
                    self.loaded.append(model)
                except Exception as exc:  # reported to requests by the server itself
                    log.error("preloading %s@%s failed: %s", model, ALIAS, exc)
            log.info("preloaded %d of %d production models", len(self.loaded), len(self.models))
            if self.warm is not None and self.loaded:  # nothing to predict with: no wait
                self.warm()
        except Exception:
            log.exception("preloading the production models failed")
        finally:
            self.done.set()


# A path no route matches: routing it visits every router, which builds them all.
WARM_PATH = "/.well-known/mlpoc-warm-up"


def warm_routes(router: ASGIApp) -> None:
    """Send one request that matches no route straight to `router` (no middleware, no key
    needed: it answers 404), and use anyio's worker threads once."""

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        pass

    async def run() -> None:
        await anyio.to_thread.run_sync(lambda: None)
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": WARM_PATH,
            "raw_path": WARM_PATH.encode(), "root_path": "", "query_string": b"",
            "headers": [], "client": None, "server": None,
        }  # fmt: skip
        await router(scope, receive, send)

    anyio.run(run)
