"""Online prediction: one row, a batch of rows scored in one vectorized call, or stored
records named by id (runtime.features), by the model at the `production` alias unless
another alias or a version is named. The response names the version that answered.

The routes are async so that the common case never leaves the event loop: a model already
loaded and a compiled version with a few rows (`Scorer.quick`) are answered inline, in well
under a millisecond; a model to (re)load, the scikit-learn path, large batches and reads of
stored records go to a worker thread. The answer is rendered straight to JSON (its shape is
the declared response model, which the tests check against the OpenAPI document) rather than
validated again.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from runtime import features
from runtime.api.errors import ApiError
from runtime.api.params import ModelName
from runtime.api.routing import scoped_router
from runtime.api.schemas import (
    BatchPredictIn,
    BatchPredictOut,
    PredictByIdIn,
    PredictByIdOut,
    PredictIn,
    PredictOut,
)
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


async def _predict(
    app: AppState, served: Served, rows: list[dict[str, Any]], ids: list[str] | None = None
) -> Predictions:
    """Score `rows` (`ids`: the records they are, named in a refusal instead of indexes)."""
    try:
        if served.quick(len(rows)):
            predictions = served.predict_rows(rows)
        else:
            predictions = await run_in_threadpool(served.predict_rows, rows)
    except RowError as exc:
        if ids is not None:
            message = f"records do not fit the model's input: {features.named_error(exc, ids)}"
            raise ApiError(422, message) from None
        raise ApiError(422, f"rows do not fit the model's input: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ApiError(422, f"rows do not fit the model's input: {exc}") from None
    version = served.version
    app.metrics.predictions.labels(version.model, str(version.version)).inc(len(rows))
    return predictions


@router.post("/predict", response_model=PredictOut)
async def predict(
    model: ModelName,
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
    model: ModelName,
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


@router.post("/predict/by-id", response_model=PredictByIdOut)
async def predict_by_id(
    model: ModelName,
    body: PredictByIdIn,
    alias: str | None = ALIAS,
    version: int | None = VERSION,
    app: AppState = Depends(state),
) -> JSONResponse:
    """Predict stored records by id: the dataset's records are the feature store (by default
    the dataset the version was trained on). Ids it has no record for are listed in
    `missing`; the others are answered in the order asked."""
    if len(body.record_ids) > app.settings.max_batch_rows:
        raise ApiError(413, f"at most {app.settings.max_batch_rows} record ids per request")
    served = await _served(app, model, alias, version)
    dataset = body.dataset or (served.version.data.get("dataset") or {}).get("name")
    if not isinstance(dataset, str):
        raise ApiError(422, f"model {model!r} names no dataset it was trained on: give `dataset`")
    found = await run_in_threadpool(
        features.record_rows, app.adapters.documents, dataset, body.record_ids, served.rows
    )
    values: list[Any] = []
    probabilities: list[Any] = []
    if found.rows:
        predictions = await _predict(app, served, found.rows, found.record_ids)
        values = predictions.values
        probabilities = predictions.probabilities or [None] * len(values)
    return JSONResponse(
        {
            "model": model,
            "version": served.version.version,
            "dataset": dataset,
            "predictions": [
                {"record_id": record_id, "value": value, "probabilities": probs}
                for record_id, value, probs in zip(
                    found.record_ids, values, probabilities, strict=True
                )
            ],
            "missing": found.missing,
        }
    )
