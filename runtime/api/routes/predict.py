"""Online prediction: one row, or a batch of rows scored in one vectorized call, by the
model at the `production` alias unless another alias or a version is named. The response
names the version that answered.

The routes are async so that the common case never leaves the event loop: a model already
loaded and a compiled version with a few rows (`Scorer.quick`) are answered inline, in well
under a millisecond; a model to (re)load, the scikit-learn path and large batches go to a
worker thread. The answer is rendered straight to JSON (its shape is the declared response
model, which the tests check against the OpenAPI document) rather than validated again.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from runtime.api.errors import ApiError
from runtime.api.routing import scoped_router
from runtime.api.schemas import BatchPredictIn, BatchPredictOut, PredictIn, PredictOut
from runtime.api.serving import Served
from runtime.api.state import AppState, state
from runtime.inference import RowError
from runtime.names import NAME_PATTERN
from runtime.trainers.base import Predictions

router = scoped_router(
    "predict", errors=(400, 404, 413, 422, 503), prefix="/models/{model}", tags=["predict"]
)
routers = (router,)
DEFAULT_ALIAS = "production"
ALIAS = Query(None, pattern=NAME_PATTERN, description="Alias to use (default: production).")
VERSION = Query(None, ge=1, description="A version number instead of an alias.")


async def _served(app: AppState, model: str, alias: str | None, version: int | None) -> Served:
    if alias is not None and version is not None:
        raise ApiError(400, "name an alias or a version, not both")
    ref: int | str = version if version is not None else alias or DEFAULT_ALIAS
    served = app.server.cached(model, ref)
    if served is not None:
        return served
    # NotFound names the model and its missing version or alias (the registry's message).
    return await run_in_threadpool(app.server.get, model, ref)


async def _predict(app: AppState, served: Served, rows: list[dict[str, Any]]) -> Predictions:
    try:
        if served.quick(len(rows)):
            predictions = served.predict_rows(rows)
        else:
            predictions = await run_in_threadpool(served.predict_rows, rows)
    except RowError as exc:
        raise ApiError(422, f"rows do not fit the model's input: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ApiError(422, f"rows do not fit the model's input: {exc}") from None
    version = served.version
    app.metrics.predictions.labels(version.model, str(version.version)).inc(len(rows))
    return predictions


@router.post("/predict", response_model=PredictOut)
async def predict(
    model: str,
    body: PredictIn,
    alias: str | None = ALIAS,
    version: int | None = VERSION,
    app: AppState = Depends(state),
) -> JSONResponse:
    served = await _served(app, model, alias, version)
    predictions = await _predict(app, served, [body.row])
    probabilities = predictions.probabilities
    return JSONResponse(
        {
            "value": predictions.values[0],
            "probabilities": probabilities[0] if probabilities else None,
            "model": model,
            "version": served.version.version,
        }
    )


@router.post("/predict/batch", response_model=BatchPredictOut)
async def predict_batch(
    model: str,
    body: BatchPredictIn,
    alias: str | None = ALIAS,
    version: int | None = VERSION,
    app: AppState = Depends(state),
) -> JSONResponse:
    if len(body.rows) > app.settings.max_batch_rows:
        raise ApiError(413, f"at most {app.settings.max_batch_rows} rows per batch")
    served = await _served(app, model, alias, version)
    predictions = await _predict(app, served, body.rows)
    probabilities: list[Any] = predictions.probabilities or [None] * len(predictions.values)
    return JSONResponse(
        {
            "model": model,
            "version": served.version.version,
            "predictions": [
                {"value": value, "probabilities": probs}
                for value, probs in zip(predictions.values, probabilities, strict=True)
            ],
        }
    )
