"""Settings: bad configuration fails at start-up naming the variable to set; to_env()
reproduces the settings through a real environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters import ConfigurationError, Settings, build_adapters, env_name, load_settings
from runtime.schema import COLLECTIONS

AWS_ENV = {
    "MLPOC_BACKEND": "aws",
    "MLPOC_BUCKET": "b",
    "MLPOC_QUEUE": "q",
    "MLPOC_DEAD_LETTER_QUEUE": "dlq",
    "MLPOC_TABLE_PREFIX": "mlpoc-",
}
GCP_ENV = {
    "MLPOC_BACKEND": "gcp",
    "MLPOC_GCP_PROJECT": "proj",
    "MLPOC_BUCKET": "b",
    "MLPOC_QUEUE": "jobs",
    "MLPOC_DEAD_LETTER_QUEUE": "jobs-dead",
    "MLPOC_SUBSCRIPTION": "jobs-sub",
    "MLPOC_DEAD_LETTER_SUBSCRIPTION": "jobs-dead-sub",
    "MLPOC_TABLE_PREFIX": "mlpoc-",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No MLPOC_* variable from the outer environment leaks into a test."""
    for name in list(os.environ):
        if name.startswith("MLPOC_"):
            monkeypatch.delenv(name)
    return monkeypatch


def _start_up_error(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The message of the ConfigurationError start-up raises, checked on both entry points."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as from_load:
        load_settings()
    # The factory reads the same settings before importing any backend.
    with pytest.raises(ConfigurationError) as from_factory:
        build_adapters(COLLECTIONS)
    assert str(from_factory.value) == str(from_load.value)
    return str(from_load.value)


def test_unknown_backend_names_mlpoc_backend(clean_env: pytest.MonkeyPatch) -> None:
    message = _start_up_error({"MLPOC_BACKEND": "azure"}, clean_env)
    assert "MLPOC_BACKEND" in message
    assert "azure" in message


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        (AWS_ENV, "MLPOC_BUCKET"),
        (AWS_ENV, "MLPOC_QUEUE"),
        (AWS_ENV, "MLPOC_DEAD_LETTER_QUEUE"),
        (GCP_ENV, "MLPOC_GCP_PROJECT"),
        (GCP_ENV, "MLPOC_SUBSCRIPTION"),
    ],
)
def test_missing_cloud_setting_names_the_variable(
    clean_env: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    complete = {name: value for name, value in env.items() if name != missing}
    message = _start_up_error(complete, clean_env)
    assert missing in message
    # Only what is missing is named, so the message says exactly what to set.
    others = [name for name in env if name not in (missing, "MLPOC_BACKEND")]
    assert not [name for name in others if name in message], message


def test_complete_cloud_settings_load(clean_env: pytest.MonkeyPatch) -> None:
    for env in (AWS_ENV, GCP_ENV):
        for name, value in env.items():
            clean_env.setenv(name, value)
        settings = load_settings()
        assert settings.backend == env["MLPOC_BACKEND"]
        assert settings.bucket == "b"
        for name in env:
            clean_env.delenv(name)


@pytest.mark.parametrize("value", ["3", "0", "101", "many"])
def test_bad_max_deliveries_names_mlpoc_max_deliveries(
    clean_env: pytest.MonkeyPatch, value: str
) -> None:
    message = _start_up_error({"MLPOC_MAX_DELIVERIES": value}, clean_env)
    assert "MLPOC_MAX_DELIVERIES" in message


def test_env_name() -> None:
    assert env_name("bucket") == "MLPOC_BUCKET"
    assert env_name("gcp_project") == "MLPOC_GCP_PROJECT"
    with pytest.raises(KeyError):
        env_name("no_such_setting")


SAMPLES = [
    Settings(backend="local", data_dir=Path("/srv/mlpoc data"), max_deliveries=7),
    Settings(
        backend="aws",
        bucket="bkt",
        queue="jobs",
        dead_letter_queue="jobs-dlq",
        table_prefix="mlpoc-prod-",
        region="eu-west-1",
        max_deliveries=5,
    ),
    Settings(
        backend="gcp",
        gcp_project="my-proj",
        bucket="bkt",
        queue="jobs",
        dead_letter_queue="jobs-dead",
        subscription="jobs-sub",
        dead_letter_subscription="jobs-dead-sub",
        table_prefix="mlpoc_",
        firestore_database="ml-db",
        max_deliveries=100,
    ),
]


@pytest.mark.parametrize("original", SAMPLES, ids=[s.backend for s in SAMPLES])
def test_to_env_round_trips_through_the_environment(
    clean_env: pytest.MonkeyPatch, original: Settings
) -> None:
    env = original.to_env()
    assert all(name.startswith("MLPOC_") for name in env)
    assert all(isinstance(value, str) for value in env.values())
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert load_settings() == original


def test_to_env_round_trips_through_a_child_process() -> None:
    original = SAMPLES[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPOC_")}
    env.update(original.to_env())
    code = "from adapters import load_settings; print(load_settings().model_dump_json())"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert Settings.model_validate(json.loads(result.stdout)) == original
