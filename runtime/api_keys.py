"""API keys: created and revoked by an operator, stored only as hashes.

A key reads `mlpoc_<key id>_<secret>`. The document `api_keys/<key id>` holds the key's name,
scopes and the SHA-256 of the secret, never the secret itself: the secret is 32 random
bytes, so a plain digest cannot be reversed by guessing, and comparing digests in constant
time is all verification needs. The full key is shown once, at creation.

Scopes: `read` (GET routes and metrics), `predict` (predict routes), `label` (set labels on
records: what an annotator needs, and no more), `admin` (everything, including uploads,
jobs and alias moves).

Operators manage keys with `mlpoc keys create|list|revoke` (runtime/cli/keys.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from adapters.errors import NotFound
from adapters.ports import DocumentStore
from runtime.clock import now
from runtime.schema import API_KEYS

SCOPES: tuple[str, ...] = ("read", "predict", "label", "admin")
PREFIX = "mlpoc_"
_KEY_ID_HEX = 12
# Always fullmatch: `$` alone would also accept a trailing newline.
_TOKEN = re.compile(rf"{PREFIX}([0-9a-f]{{{_KEY_ID_HEX}}})_([A-Za-z0-9_-]{{20,100}})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.@-]{0,99}")


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    revoked_at: str | None = None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }

    @classmethod
    def of(cls, key_id: str, data: dict[str, Any]) -> ApiKey:
        return cls(
            id=key_id,
            name=str(data["name"]),
            scopes=tuple(data["scopes"]),
            created_at=str(data["created_at"]),
            revoked_at=data.get("revoked_at"),
        )


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(documents: DocumentStore, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """A new key; returns it and the full token (shown once, stored nowhere)."""
    scopes = tuple(dict.fromkeys(scopes))
    if not _NAME.fullmatch(name):
        raise ValueError(f"key name must match {_NAME.pattern}: {name!r}")
    if not scopes or any(s not in SCOPES for s in scopes):
        raise ValueError(f"scopes must be a non-empty subset of {SCOPES}, got {list(scopes)}")
    key_id = secrets.token_hex(_KEY_ID_HEX // 2)
    secret = secrets.token_urlsafe(32)
    data = {"name": name, "scopes": list(scopes), "sha256": _digest(secret), "created_at": now()}
    documents.create(API_KEYS.name, key_id, data)
    return ApiKey.of(key_id, data), f"{PREFIX}{key_id}_{secret}"


def revoke(documents: DocumentStore, key_id: str) -> ApiKey:
    """Mark the key revoked (kept, so its name still explains past annotations)."""
    doc = documents.get(API_KEYS.name, key_id)
    if doc.data.get("revoked_at"):
        return ApiKey.of(key_id, doc.data)
    data = {**doc.data, "revoked_at": now()}
    documents.update(API_KEYS.name, key_id, data, expected_version=doc.version)
    return ApiKey.of(key_id, data)


def list_keys(documents: DocumentStore) -> list[ApiKey]:
    """Every key, oldest first."""
    keys = [ApiKey.of(doc.id, doc.data) for doc in documents.iter_scan(API_KEYS.name)]
    return sorted(keys, key=lambda k: k.created_at)


def well_formed(token: str) -> bool:
    """Whether `token` has the shape of a key (says nothing of whether it is one)."""
    return _TOKEN.fullmatch(token) is not None


def verify(documents: DocumentStore, token: str) -> ApiKey | None:
    """The key this token proves, or None (malformed, unknown, wrong secret, revoked)."""
    match = _TOKEN.fullmatch(token)
    if not match:
        return None
    key_id, secret = match.groups()
    try:
        doc = documents.get(API_KEYS.name, key_id)
    except NotFound:
        return None
    if not hmac.compare_digest(str(doc.data.get("sha256", "")), _digest(secret)):
        return None
    key = ApiKey.of(key_id, doc.data)
    return None if key.revoked_at else key
