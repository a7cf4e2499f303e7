"""What every route needs, built once per app and reached through `request.app.state`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from adapters.ports import Adapters
from runtime.api.auth import KeyVerifier
from runtime.api.metrics import ApiMetrics
from runtime.api.preload import Preload
from runtime.api.serving import ModelServer
from runtime.api.settings import ApiSettings
from runtime.api_keys import ApiKey
from runtime.handlers import Submission
from runtime.registry import Registry
from runtime.trainers.base import Trainer


@dataclass
class AppState:
    settings: ApiSettings
    adapters: Adapters
    registry: Registry
    server: ModelServer
    metrics: ApiMetrics
    keys: KeyVerifier
    preload: Preload
    # The trainer the workers train with: its declaration checks a job's params on enqueue.
    trainer: Trainer

    def submission(self, key: ApiKey) -> Submission:
        """A job asked for by the holder of `key`."""
        return Submission(self.adapters, self.trainer, key.id)


async def state(request: Request) -> AppState:
    """The app's state (a FastAPI dependency; async because it does no I/O, so FastAPI calls
    it on the event loop instead of sending it to a worker thread)."""
    app_state: AppState = request.app.state.mlpoc
    return app_state
