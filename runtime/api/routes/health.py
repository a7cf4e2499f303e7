"""Liveness (`/healthz`: the process answers; what the platforms' health checks call) and
readiness (`/readyz`: each adapter answers a cheap read, and the models the production
aliases point at are loaded, see `preload.py`). Neither needs an API key."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from adapters.errors import NotFound
from runtime.api.errors import error_response, responses
from runtime.api.schemas import Health, Readiness
from runtime.api.state import AppState, state
from runtime.schema import DATASETS

router = APIRouter(tags=["health"])
PROBE = "readyz-probe"
PUBLIC_PATHS = ("/healthz", "/readyz")


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=responses(503))
def readyz(app: AppState = Depends(state)) -> Readiness | JSONResponse:
    checks: dict[str, str] = {}
    failures = []
    adapters = app.adapters

    def documents() -> None:
        with contextlib.suppress(NotFound):
            adapters.documents.get(DATASETS.name, PROBE)

    for name, check in (
        ("blobs", lambda: adapters.blobs.exists(PROBE)),
        ("documents", documents),
        ("queue", adapters.queue.ping),
    ):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"failed: {exc}"
            failures.append(f"{name}: {exc}")
    loading = app.preload.ready()
    if loading is not None:
        checks["models"] = loading
        failures.append(f"models: {loading}")
    elif not failures:
        checks["models"] = "ok"
    if failures:
        return error_response(503, "not ready: " + "; ".join(failures))
    return Readiness(status="ready", checks=checks)
