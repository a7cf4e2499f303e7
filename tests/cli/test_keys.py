"""`mlpoc keys` works straight on the configured backend: a created key verifies, a revoked
one does not, and the list never shows a secret."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.factory import build_adapters
from adapters.settings import Settings
from runtime import api_keys
from runtime.schema import COLLECTIONS
from tests.support.cli import run_cli


def test_create_list_revoke(local_env: dict[str, str]) -> None:
    created = run_cli("keys", "create", "--name", "ci", "--scope", "read", "--scope", "predict",
                      "--json", env=local_env)  # fmt: skip
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    documents = build_adapters(
        COLLECTIONS, Settings(backend="local", data_dir=Path(local_env["MLPOC_DATA_DIR"]))
    ).documents
    verified = api_keys.verify(documents, key["token"])
    assert verified is not None and verified.scopes == ("read", "predict")

    listed = run_cli("keys", "list", "--json", env=local_env)
    assert listed.returncode == 0, listed.stderr
    assert [k["id"] for k in json.loads(listed.stdout)] == [key["id"]]
    assert key["token"].split("_")[-1] not in listed.stdout

    revoked = run_cli("keys", "revoke", key["id"], env=local_env)
    assert revoked.returncode == 0, revoked.stderr
    assert api_keys.verify(documents, key["token"]) is None


def test_bad_scope_and_unknown_key(local_env: dict[str, str]) -> None:
    bad = run_cli("keys", "create", "--name", "x", "--scope", "root", env=local_env)
    assert bad.returncode == 2 and "scopes must be" in bad.stderr
    unknown = run_cli("keys", "revoke", "000000000000", env=local_env)
    assert unknown.returncode == 1 and "no API key with id" in unknown.stderr
