"""The registry: versions with their metrics, aliases moved by compare-and-swap (the client
says which version it expects the alias to hold; a stale expectation is a 409), rollback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from adapters.errors import Conflict, NotFound
from runtime.api.auth import require
from runtime.api.errors import responses
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
from runtime.registry import Alias, ModelVersion, check_name
from runtime.schema import MODEL_VERSIONS

router = APIRouter(prefix="/models/{model}", tags=["models"])
ADMIN = require("admin")
READ = responses(400, 401, 403, 404, 422)
WRITE = responses(400, 401, 403, 404, 409, 422)


def version_out(version: ModelVersion) -> dict[str, Any]:
    return {**version.data, "model": version.model, "version": version.version}


def alias_out(alias: Alias) -> dict[str, Any]:
    return {
        "model": alias.model,
        "alias": alias.alias,
        "version": alias.version,
        "previous": alias.previous,
    }


@router.get("/versions", response_model=VersionPage, responses=READ,
            dependencies=[Depends(require("read"))])  # fmt: skip
def list_versions(
    model: str,
    limit: int = Query(100, ge=1, le=1000),
    page_token: str | None = Query(None, max_length=2000),
    app: AppState = Depends(state),
) -> dict[str, Any]:
    """Versions, newest first, with their metrics."""
    check_name("model", model)
    page = app.adapters.documents.query(
        MODEL_VERSIONS.name, "model", model, descending=True, limit=limit, page_token=page_token
    )
    items = [
        version_out(ModelVersion(model, int(doc.data["version"]), doc.data)) for doc in page.items
    ]
    return {"items": items, "next_token": page.next_token}


@router.get("/versions/{version}", response_model=VersionOut, responses=READ,
            dependencies=[Depends(require("read"))])  # fmt: skip
def get_version(model: str, version: int, app: AppState = Depends(state)) -> dict[str, Any]:
    check_name("model", model)
    if version < 1:
        raise NotFound(f"model {model!r} has no version {version}")
    try:
        return version_out(app.registry.get_version(model, version))
    except NotFound:
        raise NotFound(f"model {model!r} has no version {version}") from None


@router.get("/aliases", response_model=AliasList, responses=READ,
            dependencies=[Depends(require("read"))])  # fmt: skip
def list_aliases(model: str, app: AppState = Depends(state)) -> dict[str, Any]:
    """Every alias of the model and the version it points at, by alias name."""
    check_name("model", model)
    return {"items": [alias_out(alias) for alias in app.registry.aliases(model)]}


@router.get("/aliases/{alias}", response_model=AliasOut, responses=READ,
            dependencies=[Depends(require("read"))])  # fmt: skip
def get_alias(model: str, alias: str, app: AppState = Depends(state)) -> dict[str, Any]:
    check_name("model", model)
    check_name("alias", alias)
    try:
        return alias_out(app.registry.get_alias(model, alias))
    except NotFound:
        raise NotFound(f"model {model!r} has no alias {alias!r}") from None


@router.put("/aliases/{alias}", response_model=AliasOut, responses=WRITE)
def move_alias(
    model: str,
    alias: str,
    body: MoveAliasIn,
    app: AppState = Depends(state),
    key: ApiKey = Depends(ADMIN),
) -> dict[str, Any]:
    """Point the alias at `version` if it holds `expected_version` now (null: create it)."""
    check_name("model", model)
    check_name("alias", alias)
    try:
        app.registry.get_version(model, body.version)
    except NotFound:
        raise NotFound(f"model {model!r} has no version {body.version}") from None
    try:
        moved = app.registry.move_alias(
            model,
            alias,
            body.version,
            expected=body.expected_version,
            reason=body.reason,
            by=key.id,
        )
    except NotFound:
        raise Conflict(
            f"alias {model}:{alias} does not exist, so it does not hold version "
            f"{body.expected_version}; pass expected_version null to create it"
        ) from None
    app.server.warm(model, alias)
    return alias_out(moved)


@router.post("/aliases/{alias}/rollback", response_model=AliasOut, responses=WRITE)
def rollback(
    model: str,
    alias: str,
    body: RollbackIn,
    app: AppState = Depends(state),
    key: ApiKey = Depends(ADMIN),
) -> dict[str, Any]:
    """Move the alias back to the version it held before its last move."""
    check_name("model", model)
    check_name("alias", alias)
    try:
        current = app.registry.get_alias(model, alias)
    except NotFound:
        raise NotFound(f"model {model!r} has no alias {alias!r}") from None
    if current.previous is None:
        raise ValueError(f"alias {model}:{alias} has no previous version to roll back to")
    moved = app.registry.move_alias(
        model,
        alias,
        current.previous,
        expected=body.expected_version,
        reason=body.reason,
        by=key.id,
    )
    app.server.warm(model, alias)
    return alias_out(moved)


@router.get("/aliases/{alias}/history", response_model=AliasHistory, responses=READ,
            dependencies=[Depends(require("read"))])  # fmt: skip
def alias_history(model: str, alias: str, app: AppState = Depends(state)) -> dict[str, Any]:
    check_name("model", model)
    check_name("alias", alias)
    return {"items": app.registry.alias_history(model, alias)}
