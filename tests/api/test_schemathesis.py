"""Property-based requests generated from the app's own OpenAPI document, sent with a valid
admin key over a dataset and a trained, promoted model: no response is a server error, and
every response matches the schema the route declares."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from runtime.registry import Registry
from tests.rigs.local import LocalRig
from tests.support.api import Api, make_api, train_through_api

# schemathesis parametrizes from a schema it holds at collection time, so the app (over an
# empty local backend) is made at import; the fixture below fills it and removes it after.
_ROOT = Path(tempfile.mkdtemp(prefix="mlpoc-schemathesis-"))
SERVED = make_api(LocalRig(_ROOT))
schema = schemathesis.openapi.from_asgi("/openapi.json", SERVED.app)


@pytest.fixture(scope="module")
def served() -> Iterator[Api]:
    try:
        with SERVED.client:
            assert SERVED.upload().status_code == 201
            train_through_api(SERVED)
            Registry(SERVED.adapters).move_alias("iris", "production", 1, expected=None)
            yield SERVED
    finally:
        shutil.rmtree(_ROOT, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_responses_match_the_schema(
    case: schemathesis.Case, served: Api
) -> None:
    case.call_and_validate(
        headers=served.headers(),
        checks=[not_a_server_error, response_schema_conformance],
    )
