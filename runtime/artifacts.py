"""Model artifacts: content-addressed, written once, verified before every load.

The key is the SHA-256 of the bytes, the write is create-only, and the registry records the
digest; `load` recomputes it and refuses bytes that differ, so whoever can write to the bucket
cannot swap a model under a registered version. The bytes themselves are skops, never
pickle: loading checks every type against an allow-list kept here, in the code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from adapters.errors import Conflict
from adapters.ports import BlobStore

ARTIFACT_PREFIX = "artifacts/sha256/"

# Types skops does not trust by default but these models need. Listed by hand, never taken
# from `get_untrusted_types` of the file being loaded, or the check would protect nothing.
TRUSTED_TYPES: tuple[str, ...] = (
    # SimpleImputer keeps the dtype it was fitted on.
    "numpy.dtype",
    # The fitted trees of HistGradientBoosting{Classifier,Regressor}: trusted only because
    # `skops_loads` checks every one of them (runtime.tree_check) before returning a model.
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


class ArtifactRejected(Exception):
    """The artifact's bytes do not match the registered checksum, or contain types not on
    the allow-list: it is not loaded."""


@dataclass(frozen=True)
class ArtifactRef:
    key: str
    sha256: str
    size: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artifact_key(digest: str) -> str:
    return f"{ARTIFACT_PREFIX}{digest}"


def store(blobs: BlobStore, data: bytes) -> ArtifactRef:
    """Write `data` under its content address, create-only. Identical bytes already stored
    (a retried job, two runs that trained the same model) are reused, after checking they
    really are identical."""
    digest = sha256_hex(data)
    key = artifact_key(digest)
    try:
        blobs.put(key, data, create_only=True, content_type="application/octet-stream")
    except Conflict:
        existing = sha256_hex(blobs.get(key))
        if existing != digest:
            raise ArtifactRejected(
                f"artifact {key!r} exists with different content (sha256 {existing}); "
                "refusing to reuse it"
            ) from None
    return ArtifactRef(key=key, sha256=digest, size=len(data))


def fetch(blobs: BlobStore, key: str, expected_sha256: str) -> bytes:
    """The artifact's bytes, only if their SHA-256 is the registered one."""
    data = blobs.get(key)
    actual = sha256_hex(data)
    if actual != expected_sha256:
        raise ArtifactRejected(
            f"artifact {key!r} fails its checksum: registered sha256 {expected_sha256}, "
            f"stored bytes hash to {actual}; refusing to load it"
        )
    return data


def skops_dumps(model: Any) -> bytes:
    import skops.io

    data: bytes = skops.io.dumps(model)
    return data


def skops_loads(data: bytes) -> Any:
    """Load a skops artifact, trusting skops' defaults plus `TRUSTED_TYPES` only, then check
    every tree in it (runtime.tree_check)."""
    import skops.io
    from skops.io.exceptions import UntrustedTypesFoundException

    from runtime.tree_check import UnsafeTree, check_trees

    # loads() audits the types itself and refuses any outside skops' defaults and ours; a
    # separate get_untrusted_types() pass would audit the whole artifact a second time.
    try:
        model = skops.io.loads(data, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        raise ArtifactRejected(
            f"artifact contains types that are not on the allow-list: {exc}"
        ) from None
    try:
        check_trees(model)
    except UnsafeTree as exc:
        raise ArtifactRejected(f"artifact refused: {exc}") from None
    return model
