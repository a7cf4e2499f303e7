"""Pre-computed predictions (written by `batch_predict` jobs): by record id, in bulk, or a
dataset's page by page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from adapters.errors import NotFound
from runtime.api.auth import require
from runtime.api.errors import ApiError, responses
from runtime.api.schemas import LookupIn, LookupOut, StoredPrediction, StoredPredictionPage
from runtime.api.state import AppState, state
from runtime.batch_predict import prediction_id
from runtime.schema import PREDICTIONS

router = APIRouter(prefix="/datasets/{name}/predictions", tags=["predictions"])
READERS = require("read", "predict")
ERRORS = responses(400, 401, 403, 404, 422)


@router.get("", response_model=StoredPredictionPage, responses=ERRORS,
            dependencies=[Depends(READERS)])  # fmt: skip
def list_predictions(
    name: str,
    limit: int = Query(100, ge=1, le=1000),
    page_token: str | None = Query(None, max_length=2000),
    app: AppState = Depends(state),
) -> dict[str, Any]:
    page = app.adapters.documents.query(
        PREDICTIONS.name, "dataset", name, limit=limit, page_token=page_token
    )
    return {"items": [doc.data for doc in page.items], "next_token": page.next_token}


@router.get("/{record_id}", response_model=StoredPrediction, responses=ERRORS,
            dependencies=[Depends(READERS)])  # fmt: skip
def get_prediction(name: str, record_id: str, app: AppState = Depends(state)) -> dict[str, Any]:
    try:
        return app.adapters.documents.get(PREDICTIONS.name, prediction_id(name, record_id)).data
    except (NotFound, ValueError):
        raise NotFound(f"no stored prediction for record {record_id!r} of {name!r}") from None


@router.post("/lookup", response_model=LookupOut, responses={**ERRORS, **responses(413)},
             dependencies=[Depends(READERS)])  # fmt: skip
def lookup(name: str, body: LookupIn, app: AppState = Depends(state)) -> dict[str, Any]:
    """Stored predictions of many records; ids without one are listed as missing."""
    if len(body.record_ids) > app.settings.max_batch_rows:
        raise ApiError(413, f"at most {app.settings.max_batch_rows} record ids per lookup")
    found, missing = [], []
    for record_id in dict.fromkeys(body.record_ids):
        try:
            found.append(
                app.adapters.documents.get(PREDICTIONS.name, prediction_id(name, record_id)).data
            )
        except (NotFound, ValueError):
            missing.append(record_id)
    return {"found": found, "missing": missing}
