"""API keys (hashes only, scopes, revocation) and what `import runtime.api` loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runtime import api_keys
from runtime.schema import API_KEYS, COLLECTIONS
from tests.rigs.base import Rig

REPO = Path(__file__).resolve().parents[2]


def test_keys_are_stored_as_hashes_and_revocable(rig: Rig) -> None:
    documents = rig.adapters(COLLECTIONS).documents
    key, token = api_keys.create(documents, "alice", ["read", "predict"])
    secret = token.rsplit("_", 1)[1]
    stored = documents.get(API_KEYS.name, key.id).data
    assert secret not in json.dumps(stored) and len(stored["sha256"]) == 64
    assert api_keys.verify(documents, token) == key
    assert key.allows("predict") and not key.allows("admin")
    assert api_keys.verify(documents, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert api_keys.verify(documents, "mlpoc_0000_bad") is None
    with pytest.raises(ValueError, match="scopes must be"):
        api_keys.create(documents, "bob", ["write"])
    revoked = api_keys.revoke(documents, key.id)
    assert revoked.revoked_at and api_keys.verify(documents, token) is None
    assert [k.name for k in api_keys.list_keys(documents)] == ["alice"]


def test_importing_the_api_loads_no_cloud_sdk_nor_cdktf_nor_pandas() -> None:
    probe = (
        "import sys, json, runtime.api\n"
        "names = ('boto3', 'botocore', 'google.cloud', 'cdktf', 'pandas', 'sklearn')\n"
        "print(json.dumps(sorted(n for n in names if n in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
