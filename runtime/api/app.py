"""The app factory: one FastAPI app over the runtime, the same on every backend."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI

from adapters.factory import build_adapters
from adapters.ports import Adapters
from adapters.settings import load_settings
from runtime.api import docs, errors, openapi, ui
from runtime.api.auth import Authenticate, KeyVerifier
from runtime.api.body_limit import Allowance, BodyLimit
from runtime.api.front_end import FrontEnd
from runtime.api.metrics import ApiMetrics
from runtime.api.middleware import RequestContext
from runtime.api.preload import Preload, warm_routes
from runtime.api.routes import (
    datasets,
    health,
    jobs,
    metrics,
    models,
    predict,
    predictions,
    records,
)
from runtime.api.serving import ModelServer
from runtime.api.settings import ApiSettings, load_api_settings
from runtime.api.state import AppState
from runtime.config import TrainerSettings
from runtime.handlers import JOB_TYPES, JobType
from runtime.registry import Registry
from runtime.schema import COLLECTIONS
from runtime.trainers.base import load_trainer

DESCRIPTION = """Upload and label data, train through the job queue, move model aliases,
and serve predictions (online, or pre-computed). Every route but `/healthz` and `/readyz`
needs an API key (`X-API-Key` or `Authorization: Bearer`) with the route's scope: `read`,
`predict`, `label` or `admin`. Errors are `{"error": {"code", "message", "request_id"}}`."""


def create_app(
    settings: ApiSettings | None = None,
    adapters: Adapters | None = None,
    *,
    trainers: TrainerSettings | None = None,
    job_types: Mapping[str, JobType] | None = None,
) -> FastAPI:
    """The API over `adapters` (default: the backend the environment names), with `settings`
    and `trainers` (the trainer the workers train with, whose declaration checks a job's
    params, and the plugins a served version may name; both default to the environment),
    enqueueing `job_types` (default: every registered one)."""
    settings = settings or load_api_settings()
    trainers = trainers or TrainerSettings.load()
    adapters = adapters or build_adapters(COLLECTIONS, load_settings())
    api_metrics = ApiMetrics(adapters)
    registry = Registry(adapters, trainers.allowed_trainers)
    app = FastAPI(
        title="mlpoc",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,  # runtime.api.docs serves it without a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    server = ModelServer(
        registry,
        check_seconds=settings.serving_check_seconds,
        on_swap=lambda model, outcome: api_metrics.model_swaps.labels(model, outcome).inc(),
    )
    app.state.mlpoc = AppState(
        settings=settings,
        adapters=adapters,
        registry=registry,
        server=server,
        metrics=api_metrics,
        keys=KeyVerifier(adapters.documents, settings.api_key_cache_seconds),
        preload=Preload(
            server, seconds=settings.preload_seconds, warm=lambda: warm_routes(app.router)
        ),
        trainer=load_trainer(trainers.trainer, trainers.allowed_trainers),
    )
    errors.install(app)
    job_routers = jobs.routers(JOB_TYPES if job_types is None else job_types)
    for routers in (
        health.routers,
        metrics.routers,
        datasets.routers,
        records.routers,
        predictions.routers,
        job_routers,
        models.routers,
        predict.routers,
    ):
        for router in routers:
            app.include_router(router)
    assert app.openapi_url is not None
    openapi.install(app, settings)
    docs.install(app)
    ui.install(app)
    # Outermost last: request id and access log, then the front end's checks (a request that
    # did not come through it is refused before any other work), then the key check, then
    # body limits, so a request without a valid key is refused before any body is read.
    app.add_middleware(
        BodyLimit,
        default_bytes=settings.max_request_bytes,
        routes={
            route: Allowance(settings.max_upload_bytes + datasets.ENVELOPE_BYTES, multipart=True)
            for route in datasets.CSV_ROUTES
        },
        serves=lambda method, path: method in openapi.methods_at(app, path),
    )
    app.add_middleware(
        Authenticate,
        verifier=app.state.mlpoc.keys,
        public_paths=(*health.PUBLIC_PATHS, *docs.PUBLIC_PATHS, app.openapi_url, *ui.PUBLIC_PATHS),
        public_prefixes=(*docs.PUBLIC_PREFIXES, *ui.PUBLIC_PREFIXES),
    )
    secret = settings.origin_secret
    app.add_middleware(
        FrontEnd,
        https_only=settings.https_only,
        hsts_seconds=settings.hsts_seconds,
        origin_secret=secret.get_secret_value() if secret else None,
    )
    app.add_middleware(RequestContext, metrics=api_metrics)
    app.state.mlpoc.preload.start()  # last: its warm-up routes a request through all of it
    return app
