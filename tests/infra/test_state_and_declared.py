"""Reading a deployed stack's outputs from its state (infra.state) and what the GCP stack
declares for the emulators (infra.gcp.declared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.settings import Settings
from infra.gcp.declared import NotDeclared, data_plane, resolve
from infra.state import StateError, read_outputs, state_path
from tests.infra.conftest import Synth


def test_outputs_come_from_the_state(tmp_path: Path) -> None:
    path = state_path(tmp_path, "aws")
    assert path.name == "terraform.aws.tfstate"
    assert read_outputs(path) is None, "nothing deployed"
    path.write_text(json.dumps({"outputs": {"bucket": {"value": "b"}}, "resources": [{}]}))
    assert read_outputs(path) == {"bucket": "b"}
    path.write_text(json.dumps({"outputs": {}, "resources": []}))
    assert read_outputs(path) is None, "destroyed"
    path.write_text("{not json")
    with pytest.raises(StateError, match="not a readable Terraform state"):
        read_outputs(path)


def test_the_gcp_data_plane_is_what_the_stack_declares(gcp_synth: Synth) -> None:
    declared = data_plane(gcp_synth.tf)
    assert declared.project == "mlpoc-test-123456"
    assert declared.bucket == "mlpoc-test-data"
    assert declared.topics == ("mlpoc-test-jobs", "mlpoc-test-jobs-dlq")
    jobs = next(s for s in declared.subscriptions if s.name == "mlpoc-test-jobs-sub")
    assert (jobs.topic, jobs.dead_letter_topic, jobs.max_delivery_attempts) == (
        "mlpoc-test-jobs",
        "mlpoc-test-jobs-dlq",
        7,
    )
    # The settings output resolves to names only: the runtime accepts it as it is.
    environment = declared.outputs["settings"]
    assert "${" not in json.dumps(environment)
    fields = {n: environment[Settings.env_name(n)] for n in Settings.model_fields
              if Settings.env_name(n) in environment}  # fmt: skip
    settings = Settings(**fields)
    assert (settings.firestore_database, settings.subscription) == (
        "mlpoc-test-docs",
        "mlpoc-test-jobs-sub",
    )
    # Computed values (the App Engine URL) are left out, not guessed.
    assert "service_url" not in declared.outputs


def test_a_computed_attribute_is_not_declared(gcp_synth: Synth) -> None:
    with pytest.raises(NotDeclared):
        resolve(gcp_synth.tf, "${google_app_engine_application.app.default_hostname}")
