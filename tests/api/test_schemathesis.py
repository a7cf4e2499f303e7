"""schemathesis over the whole API with every check, stateful phase included, on the local
backend: no server error, no response outside its schema, nothing the schema allows refused
and nothing it forbids accepted (beyond what `schemathesis.toml` names, each with its
reason). The same run on moto or Google's emulators is a command (tests.support.schemathesis),
run for the figures in the closing note of issue #14, not in CI (it takes minutes there)."""

from __future__ import annotations

import pytest

from tests.rigs.base import Rig
from tests.support.schemathesis import populated, run

# A minute or two here; each example is one request per operation and phase.
MAX_EXAMPLES = 20


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_no_server_error_and_no_schema_mismatch(local_rig: Rig) -> None:
    with populated(local_rig) as (api, url):
        outcome = run(url, api.tokens["admin"], max_examples=MAX_EXAMPLES, seed=1)
    assert outcome.returncode == 0, outcome.summary()
    assert "Stateful" in outcome.output and "passed" in outcome.output, outcome.summary()
