"""Liveness (`/healthz`: the process answers; what the platforms' health checks call) and
readiness (`/readyz`: each adapter answers a cheap read, and the models the production
aliases point at are loaded, see `preload.py`). Neither needs an API key, so neither says
more than "ok" or "failed" per adapter: a backend's error text (bucket names, account ids,
role ARNs) goes to the log, not to whoever asks (runtime.health.check_backends)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from runtime.api.errors import error_response, responses
from runtime.api.schemas import Health, Readiness
from runtime.api.state import AppState, state
from runtime.health import check_backends

router = APIRouter(tags=["health"])
routers = (router,)
PUBLIC_PATHS = ("/healthz", "/readyz")


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses=responses(503))
def readyz(app: AppState = Depends(state)) -> Readiness | JSONResponse:
    checks, failures = check_backends(app.adapters)
    problems = [f"{', '.join(failures)} failed (see the API log)"] if failures else []
    loading = app.preload.ready()
    if loading is not None:
        checks["models"] = loading
        problems.append(loading)
    elif not failures:
        checks["models"] = "ok"
    if problems:
        return error_response(503, "not ready: " + "; ".join(problems))
    return Readiness(status="ready", checks=checks)
