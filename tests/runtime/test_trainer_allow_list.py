"""A model version names its trainer as `module:Class`; only the configured trainer and the
listed plugins are ever imported, so a version document cannot make the runtime import (and
run) an arbitrary module."""

from __future__ import annotations

import sys

import pytest

from runtime import artifacts
from runtime.config import DEFAULT_TRAINER, RuntimeSettings
from runtime.registry import Registry
from runtime.trainers import load_trainer, trainer_spec
from tests.support.env import Env

MARKER = "tests.runtime.import_marker"


def test_load_trainer_imports_only_allowed_names() -> None:
    allowed = {DEFAULT_TRAINER, "tests.runtime.plugins:SlowTrainer", "runtime.jobs:Job"}
    assert trainer_spec(load_trainer(DEFAULT_TRAINER, allowed)) == DEFAULT_TRAINER
    slow = load_trainer("tests.runtime.plugins:SlowTrainer", allowed)
    assert trainer_spec(slow).endswith("SlowTrainer")
    with pytest.raises(ValueError, match="not a subclass"):
        load_trainer("runtime.jobs:Job", allowed)
    for spec in (
        f"{MARKER}:Anything",
        "os:system",
        "runtime.trainers.tabular",
        DEFAULT_TRAINER + "\n",
    ):
        with pytest.raises(ValueError, match="is not allowed here"):
            load_trainer(spec, allowed)
    assert MARKER not in sys.modules


def test_settings_allow_the_default_the_configured_and_the_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLPOC_TRAINER", "team.trainers:Mine")
    monkeypatch.setenv("MLPOC_TRAINER_PLUGINS", "team.trainers:Old, team.other:Two,")
    settings = RuntimeSettings.load()
    assert settings.allowed_trainers == {
        DEFAULT_TRAINER,
        "team.trainers:Mine",
        "team.trainers:Old",
        "team.other:Two",
    }


def test_a_version_naming_another_trainer_is_refused_before_import(env: Env) -> None:
    registry = Registry(env.adapters, env.settings.allowed_trainers)
    ref = artifacts.store(env.adapters.blobs, b"never loaded")
    version = registry.register(
        "iris",
        artifact=ref,
        metrics={},
        params={},
        trainer=f"{MARKER}:Anything",
        artifact_format="skops",
        dataset={"key": "datasets/x.csv"},
        job_id=None,
    )
    with pytest.raises(ValueError, match=f"trainer '{MARKER}:Anything' is not allowed"):
        registry.load(registry.get_version("iris", version.version))
    assert MARKER not in sys.modules
