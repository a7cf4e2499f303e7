"""Prometheus exposition of the app's registry (needs the `read` scope)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from runtime.api.auth import require
from runtime.api.errors import responses
from runtime.api.state import AppState, state

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **responses(401, 403),
    },
    dependencies=[Depends(require("read"))],
)
def metrics(app: AppState = Depends(state)) -> Response:
    return Response(generate_latest(app.metrics.registry), media_type=CONTENT_TYPE_LATEST)
