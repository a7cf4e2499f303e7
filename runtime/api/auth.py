"""API-key authentication and scope checks, as FastAPI dependencies.

A key is sent as `X-API-Key: <key>` or `Authorization: Bearer <key>`. Verified keys are
cached for `api_key_cache_seconds` so that a predict call does not pay a DocumentStore read;
a revoked key stops working within that time. Missing or bad key: 401; a key without the
route's scope: 403.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from adapters.ports import DocumentStore
from runtime import api_keys
from runtime.api.errors import ApiError
from runtime.api_keys import ApiKey

_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An mlpoc API key.")
_bearer = HTTPBearer(auto_error=False, description="An mlpoc API key as a bearer token.")
_CACHE_MAX = 10_000


class KeyVerifier:
    def __init__(self, documents: DocumentStore, cache_seconds: float) -> None:
        self.documents = documents
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, ApiKey | None]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> ApiKey | None:
        if self.cache_seconds <= 0:
            return api_keys.verify(self.documents, token)
        # Cached by digest: the secret itself is not kept in memory longer than the request.
        digest = hashlib.sha256(token.encode()).hexdigest()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        key = api_keys.verify(self.documents, token)
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (time.monotonic() + self.cache_seconds, key)
        return key


def require(*scopes: str) -> Callable[..., ApiKey]:
    """A dependency admitting keys that hold any of `scopes` (admin holds them all)."""
    if not scopes or any(scope not in api_keys.SCOPES for scope in scopes):
        raise ValueError(f"unknown scopes {scopes!r}")
    wanted = " or ".join(repr(scope) for scope in scopes)

    def dependency(
        request: Request,
        header_key: str | None = Depends(_header),
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> ApiKey:
        token = header_key or (bearer.credentials if bearer else None)
        if not token:
            raise ApiError(401, "an API key is required (X-API-Key or Authorization: Bearer)")
        verifier: KeyVerifier = request.app.state.keys
        key = verifier.verify(token)
        if key is None:
            raise ApiError(401, "the API key is not valid (unknown, malformed or revoked)")
        if not any(key.allows(scope) for scope in scopes):
            raise ApiError(403, f"the API key {key.name!r} lacks the {wanted} scope for this route")
        request.state.api_key = key
        return key

    dependency.__name__ = "require_" + "_or_".join(scopes)
    return dependency
