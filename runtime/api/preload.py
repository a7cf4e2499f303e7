"""Ready at start: load the models the `production` aliases point at before `/readyz` says
ready, so the first request is as fast as the thousandth (no artifact download, no import,
no first-call setup on a user's request).

It runs once, in a background thread, over the models that have a production alias
(`Registry.models_with_alias`). Readiness waits for it at most `preload_seconds`; a model
that fails to load is logged and does not hold readiness back (its requests answer 503 as
before).
"""

from __future__ import annotations

import logging
import threading
import time

from runtime.api.serving import MAX_ENTRIES, ModelServer

log = logging.getLogger("mlpoc.api.preload")
ALIAS = "production"


class Preload:
    def __init__(self, server: ModelServer, *, seconds: float) -> None:
        self.server = server
        self.seconds = seconds
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
        try:
            self.models = self.server.registry.models_with_alias(ALIAS, limit=MAX_ENTRIES)
            for model in self.models:
                try:
                    self.server.get(model, ALIAS)
                    self.loaded.append(model)
                except Exception as exc:  # reported to requests by the server itself
                    log.error("preloading %s@%s failed: %s", model, ALIAS, exc)
            log.info("preloaded %d of %d production models", len(self.loaded), len(self.models))
        except Exception:
            log.exception("preloading the production models failed")
        finally:
            self.done.set()
