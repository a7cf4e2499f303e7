"""API keys: who is calling (authentication, at the ASGI layer) and what they may do (scope
checks, as FastAPI dependencies).

A key is sent as `X-API-Key: <key>` or `Authorization: Bearer <key>`. `Authenticate` checks it
before the app runs, so a request without a valid key is answered 401 before a byte of its
body is read: an unauthenticated client costs the API a header parse and, for a
well-formed token not in the cache, one DocumentStore read. Only the public paths (health,
the docs, the web UI's static files) pass without a key. `require(...)` then checks the
scope of the key `Authenticate` found: 403 if it lacks the route's.

Verified keys are cached per API instance (an LRU of at most `CACHE_ENTRIES` tokens, each
trusted for `api_key_cache_seconds`): a revoked key keeps working on an instance that
verified it within that time, and no longer. Only well-formed tokens are cached (anything
else is refused without a read), so junk cannot evict real keys.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Awaitable, Callable, Iterable

import anyio.to_thread
from cachetools import TTLCache
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.ports import DocumentStore
from runtime import api_keys
from runtime.api.errors import ApiError, error_response
from runtime.api_keys import ApiKey

# Declared for the OpenAPI document (Swagger's "Authorize", generated clients); the key
# itself is read and verified by `Authenticate`.
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An mlpoc API key.")
_bearer = HTTPBearer(auto_error=False, description="An mlpoc API key as a bearer token.")
CACHE_ENTRIES = 10_000
MISSING = "an API key is required (X-API-Key or Authorization: Bearer)"
INVALID = "the API key is not valid (unknown, malformed or revoked)"
_MISS = object()


class KeyVerifier:
    def __init__(
        self, documents: DocumentStore, cache_seconds: float, max_entries: int = CACHE_ENTRIES
    ) -> None:
        self.documents = documents
        self._cache: TTLCache[str, ApiKey | None] | None = (
            TTLCache(maxsize=max_entries, ttl=cache_seconds) if cache_seconds > 0 else None
        )
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe

    def __len__(self) -> int:
        """Tokens cached now."""
        if self._cache is None:
            return 0
        with self._lock:
            return len(self._cache)

    @staticmethod
    def _digest(token: str) -> str:
        # Cached by digest: the secret itself is not kept in memory longer than the request.
        return hashlib.sha256(token.encode()).hexdigest()

    def cached(self, token: str) -> ApiKey | object | None:
        """The cached verdict on `token`, or `_MISS`: answers without I/O, so it can run on
        the event loop."""
        if not api_keys.well_formed(token):
            return None
        if self._cache is None:
            return _MISS
        with self._lock:
            return self._cache.get(self._digest(token), _MISS)

    def verify(self, token: str) -> ApiKey | None:
        """The key `token` proves, or None; reads the DocumentStore on a cache miss."""
        hit = self.cached(token)
        if hit is not _MISS:
            return hit  # type: ignore[return-value]
        key = api_keys.verify(self.documents, token)
        if self._cache is not None:
            with self._lock:
                self._cache[self._digest(token)] = key
        return key


def token_from(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The key sent in `X-API-Key`, else in `Authorization: Bearer` (raw ASGI headers)."""
    bearer = None
    for name, value in headers:
        if name == b"x-api-key" and value:
            return value.decode("latin-1")
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                bearer = credentials.strip()
    return bearer


class Authenticate:
    """ASGI middleware: a non-public request needs a valid key before the app sees it. The
    key found is left in the request state (`request.state.api_key`)."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: KeyVerifier,
        public_paths: Iterable[str],
        public_prefixes: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.public_paths = frozenset(public_paths)
        self.public_prefixes = tuple(public_prefixes)

    def is_public(self, path: str) -> bool:
        return path in self.public_paths or path.startswith(self.public_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        token = token_from(scope["headers"])
        key: ApiKey | None = None
        if token:
            hit = self.verifier.cached(token)
            if hit is _MISS:
                key = await anyio.to_thread.run_sync(self.verifier.verify, token)
            else:
                key = hit  # type: ignore[assignment]
        if key is None:
            # Answered without calling receive(): the body is never read.
            await error_response(401, INVALID if token else MISSING)(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = key
        await self.app(scope, receive, send)


def require(*scopes: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency admitting keys that hold any of `scopes` (admin holds them all)."""
    if not scopes or any(scope not in api_keys.SCOPES for scope in scopes):
        raise ValueError(f"unknown scopes {scopes!r}")
    wanted = " or ".join(repr(scope) for scope in scopes)

    # async: it does no I/O, so FastAPI runs it on the event loop, not in a worker thread.
    async def dependency(
        request: Request,
        header_key: str | None = Depends(_header),
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> ApiKey:
        key: ApiKey | None = getattr(request.state, "api_key", None)
        if key is None:  # a route mounted without `Authenticate` in front: never open
            raise ApiError(401, MISSING)
        if not any(key.allows(scope) for scope in scopes):
            raise ApiError(403, f"the API key {key.name!r} lacks the {wanted} scope for this route")
        return key

    dependency.__name__ = "require_" + "_or_".join(scopes)
    return dependency
