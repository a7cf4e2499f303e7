"""Online prediction: one row, or a batch of rows scored in one vectorized call, by the
model at the `production` alias unless another alias or a version is named. The response
names the version that answered."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query

from runtime.api.errors import ApiError
from runtime.api.routing import scoped_router
from runtime.api.schemas import BatchPredictIn, BatchPredictOut, PredictIn, PredictOut
from runtime.api.serving import Served
from runtime.api.state import AppState, state
from runtime.inference import RowError
from runtime.names import NAME_PATTERN

router = scoped_router(
    "predict", errors=(400, 404, 413, 422, 503), prefix="/models/{model}", tags=["predict"]
)
routers = (router,)
DEFAULT_ALIAS = "production"
ALIAS = Query(None, pattern=NAME_PATTERN, description="Alias to use (default: production).")
VERSION = Query(None, ge=1, description="A version number instead of an alias.")


def _served(app: AppState, model: str, alias: str | None, version: int | None) -> Served:
    if alias is not None and version is not None:
        raise ApiError(400, "name an alias or a version, not both")
    ref: int | str = version if version is not None else alias or DEFAULT_ALIAS
    # NotFound names the model and its missing version or alias (the registry's message).
    return app.server.get(model, ref)


def _predict(app: AppState, served: Served, rows: list[dict[str, Any]]) -> Any:
    try:
        predictions = served.predict_rows(rows)
    except RowError as exc:
        raise ApiError(422, f"rows do not fit the model's input: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise ApiError(422, f"rows do not fit the model's input: {exc}") from None
    version = served.version
    app.metrics.predictions.labels(version.model, str(version.version)).inc(len(rows))
    return predictions


@router.post("/predict", response_model=PredictOut)
def predict(
    model: str,
    body: PredictIn,
    alias: str | None = ALIAS,
    version: int | None = VERSION,
    app: AppState = Depends(state),
) -> dict[str, Any]:
    served = _served(app, model, alias, version)
    predictions = _predict(app, served, [body.row])
    return {
        "model": model,
        "version": served.version.version,
        "value": predictions.values[0],
        "probabilities": predictions.probabilities[0] if predictions.probabilities else None,
    }


@router.post("/predict/batch", response_model=BatchPredictOut)
def predict_batch(
    model: str,
    body: BatchPredictIn,
    alias: str | None = ALIAS,
    version: int | None = VERSION,
    app: AppState = Depends(state),
) -> dict[str, Any]:
    if len(body.rows) > app.settings.max_batch_rows:
        raise ApiError(413, f"at most {app.settings.max_batch_rows} rows per batch")
    served = _served(app, model, alias, version)
    predictions = _predict(app, served, body.rows)
    probabilities = predictions.probabilities or [None] * len(predictions.values)
    return {
        "model": model,
        "version": served.version.version,
        "predictions": [
            {"value": value, "probabilities": probs}
            for value, probs in zip(predictions.values, probabilities, strict=True)
        ],
    }
