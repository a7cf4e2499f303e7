"""The one way to declare a router: the scope every route on it needs and the error statuses
every route on it may answer (in the one error shape), said once per router, not per route.
An area whose routes need different scopes (reads and writes) has one router per scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from runtime.api.auth import require
from runtime.api.errors import responses
from runtime.api_keys import ApiKey


def scoped_router(*scopes: str, errors: tuple[int, ...] = (), **kwargs: Any) -> APIRouter:
    """A router admitting API keys that hold any of `scopes`; its routes are documented to
    answer 401, 403 and `errors` besides their success."""
    return APIRouter(
        dependencies=[Depends(require(*scopes))],
        responses=responses(401, 403, *errors),
        **kwargs,
    )


async def caller(request: Request) -> ApiKey:
    """The API key the router's scope check admitted (a dependency for routes that record
    who asked)."""
    key: ApiKey = request.state.api_key
    return key
