"""Prometheus exposition of the app's registry (needs the `read` scope)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime.api.routing import scoped_router
from runtime.api.state import AppState, state

router = scoped_router("read", tags=["metrics"])
routers = (router,)
PROMETHEUS_TEXT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}}
}


@router.get("/metrics", response_class=Response, responses=PROMETHEUS_TEXT)
def metrics(app: AppState = Depends(state)) -> Response:
    return Response(generate_latest(app.metrics.registry), media_type=CONTENT_TYPE_LATEST)
