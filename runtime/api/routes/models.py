"""The registry: versions with their metrics, aliases moved by compare-and-swap (the client
says which version it expects the alias to hold; a stale expectation is a 409), rollback.
Names are checked, and missing versions and aliases named, by the registry itself."""

from __future__ import annotations

from typing import Any

from fastapi import Depends
from fastapi.responses import Response, StreamingResponse

from runtime.api.params import AliasName, Limit, ModelName, PageToken, Version
from runtime.api.routing import caller, scoped_router
from runtime.api.schemas import (
    AliasHistory,
    AliasList,
    AliasOut,
    MoveAliasIn,
    RollbackIn,
    VersionOut,
    VersionPage,
)
from runtime.api.state import AppState, state
from runtime.api_keys import ApiKey
from runtime.export import exported

AREA: dict[str, Any] = {"prefix": "/models/{model}", "tags": ["models"]}
reads = scoped_router("read", errors=(400, 404, 422), **AREA)
writes = scoped_router("admin", errors=(400, 404, 409, 422), **AREA)
routers = (reads, writes)


@reads.get("/versions", response_model=VersionPage)
def list_versions(
    model: ModelName,
    limit: Limit = 100,
    page_token: PageToken = None,
    app: AppState = Depends(state),
) -> dict[str, Any]:
    """Versions, newest first, with their metrics (each version's model card: GET it)."""
    page = app.registry.list_versions(model, limit=limit, page_token=page_token)
    return {"items": [v.to_json(card=False) for v in page.items], "next_token": page.next_token}


@reads.get("/versions/{version}", response_model=VersionOut)
def get_version(
    model: ModelName, version: Version, app: AppState = Depends(state)
) -> dict[str, Any]:
    """One version with its model card: parameters, training and evaluation rows, dataset
    snapshot, per-class metrics and confusion matrix (or residuals), feature importance."""
    return app.registry.get_version(model, version).to_json()


ZIP_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
}


@reads.get("/versions/{version}/export", response_class=Response, responses=ZIP_FILE)
def export(model: ModelName, version: Version, app: AppState = Depends(state)) -> Response:
    """The version as a zip: its artifact (checked against its SHA-256), its compiled
    artifact and model card when it has them, `version.json` (its record), `SHA256SUMS`
    and a README on loading them elsewhere."""
    filename, chunks = exported(app.registry, model, version)
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@reads.get("/aliases", response_model=AliasList)
def list_aliases(model: ModelName, app: AppState = Depends(state)) -> dict[str, Any]:
    """Every alias of the model and the version it points at, by alias name."""
    return {"items": [alias.to_json() for alias in app.registry.aliases(model)]}


@reads.get("/aliases/{alias}", response_model=AliasOut)
def get_alias(model: ModelName, alias: AliasName, app: AppState = Depends(state)) -> dict[str, Any]:
    return app.registry.get_alias(model, alias).to_json()


@writes.put("/aliases/{alias}", response_model=AliasOut)
def move_alias(
    model: ModelName,
    alias: AliasName,
    body: MoveAliasIn,
    app: AppState = Depends(state),
    key: ApiKey = Depends(caller),
) -> dict[str, Any]:
    """Point the alias at `version` if it holds `expected_version` now (null: create it)."""
    moved = app.registry.move_alias(
        model, alias, body.version, expected=body.expected_version, reason=body.reason, by=key.id
    )
    app.server.warm(model, alias)
    return moved.to_json()


@writes.post("/aliases/{alias}/rollback", response_model=AliasOut)
def rollback(
    model: ModelName,
    alias: AliasName,
    body: RollbackIn,
    app: AppState = Depends(state),
    key: ApiKey = Depends(caller),
) -> dict[str, Any]:
    """Walk the alias back one step through its history (to the version it held before
    the move that brought the current one: repeated rollbacks walk further back), or
    straight back to `to_version`, a version it held before."""
    moved = app.registry.rollback(
        model,
        alias,
        expected=body.expected_version,
        reason=body.reason,
        by=key.id,
        to_version=body.to_version,
    )
    app.server.warm(model, alias)
    return moved.to_json()


@reads.get("/aliases/{alias}/history", response_model=AliasHistory)
def alias_history(
    model: ModelName, alias: AliasName, app: AppState = Depends(state)
) -> dict[str, Any]:
    return {"items": app.registry.alias_history(model, alias)}
