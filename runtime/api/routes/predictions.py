"""Pre-computed predictions (written by `batch_predict` jobs): by record id, in bulk, or a
dataset's page by page (runtime.batch_predict reads them)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends

from runtime import batch_predict
from runtime.api.errors import ApiError
from runtime.api.params import DatasetName, Limit, PageToken, RecordId
from runtime.api.routing import scoped_router
from runtime.api.schemas import LookupIn, LookupOut, StoredPrediction, StoredPredictionPage
from runtime.api.state import AppState, state

router = scoped_router(
    "read",
    "predict",
    errors=(400, 404, 413, 422),
    prefix="/datasets/{name}/predictions",
    tags=["predictions"],
)
routers = (router,)


@router.get("", response_model=StoredPredictionPage)
def list_predictions(
    name: DatasetName,
    limit: Limit = 100,
    page_token: PageToken = None,
    app: AppState = Depends(state),
) -> dict[str, Any]:
    page = batch_predict.list_predictions(app.adapters, name, limit=limit, page_token=page_token)
    return {"items": page.items, "next_token": page.next_token}


@router.get("/{record_id}", response_model=StoredPrediction)
def get_prediction(
    name: DatasetName, record_id: RecordId, app: AppState = Depends(state)
) -> dict[str, Any]:
    return batch_predict.get_prediction(app.adapters, name, record_id)


@router.post("/lookup", response_model=LookupOut)
def lookup(name: DatasetName, body: LookupIn, app: AppState = Depends(state)) -> dict[str, Any]:
    """Stored predictions of many records; ids without one are listed as missing."""
    if len(body.record_ids) > app.settings.max_batch_rows:
        raise ApiError(413, f"at most {app.settings.max_batch_rows} record ids per lookup")
    found, missing = batch_predict.lookup_predictions(app.adapters, name, body.record_ids)
    return {"found": found, "missing": missing}
