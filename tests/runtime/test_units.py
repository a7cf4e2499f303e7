"""Pure logic, no backend: the default trainer, artifact checks, settings, plugin loading."""

from __future__ import annotations

import io
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from adapters import ConfigurationError, Settings
from adapters.errors import AdapterError, BackendUnavailable, Conflict, NotFound, TooLarge
from runtime import artifacts
from runtime.api.settings import ApiSettings
from runtime.config import RuntimeSettings, load_runtime_settings
from runtime.failures import Transient, is_transient
from runtime.jobs import InvalidTransition, Job, transition
from runtime.trainers.base import InvalidParams, Trainer, TrainerParams
from runtime.trainers.tabular import TabularTrainer, _columns_of, _prepare
from tests.support.data import iris_csv


@pytest.fixture(scope="module")
def iris() -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(iris_csv())).drop(columns=["record_id"])


def test_same_data_same_params_same_metrics(iris: pd.DataFrame) -> None:
    trainer = TabularTrainer()
    first = trainer.fit(iris, "target", {})
    second = trainer.fit(iris, "target", {})
    assert first.metrics == second.metrics
    assert first.params["task"] == "classification" and first.params["n_validation"] == 30
    other_seed = trainer.fit(iris, "target", {"seed": 1})
    assert other_seed.params["seed"] == 1
    # The fitted pipeline survives skops with the allow-list and predicts the same.
    model = trainer.loads(trainer.dumps(first.model))
    rows = iris.head(5)
    assert trainer.predict(model, rows) == trainer.predict(first.model, rows)
    # Unknown categories and missing values at predict time are handled, not fatal.
    odd = rows.assign(colour=["purple", None, "red", "red", "red"])
    assert len(trainer.predict(model, odd).values) == 5
    with pytest.raises(ValueError, match="lack the model's input columns"):
        trainer.predict(model, rows.drop(columns=["colour"]))


@pytest.mark.parametrize("estimator", ["hist_gradient_boosting", "linear"])
def test_predicted_classes_are_the_estimators_own(iris: pd.DataFrame, estimator: str) -> None:
    # predict() reads the classes off predict_proba; they must be what sklearn predicts.
    trainer = TabularTrainer()
    model = trainer.fit(iris, "target", {"estimator": estimator}).model
    got = trainer.predict(model, iris)
    numeric, categorical = _columns_of(model)
    expected = model.predict(_prepare(iris, numeric, categorical))
    assert got.values == [v.item() if hasattr(v, "item") else v for v in expected]
    assert got.probabilities is not None and len(got.probabilities) == len(iris)


def test_regression_metrics() -> None:
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    frame["sex"] = np.where(frame["sex"] > 0, "m", "f")
    result = TabularTrainer().fit(frame, "target", {"estimator": "linear"})
    assert set(result.metrics) == {"rmse", "r2"}
    assert result.metrics["r2"] > 0.3 and result.metrics["rmse"] < 70
    assert result.params["task"] == "regression"


@pytest.mark.parametrize(
    ("params", "target", "message"),
    [
        ({}, "nope", "target column 'nope' is not in the data"),
        ({"depth": 3}, "target", "invalid trainer params: depth: unknown parameter"),
        ({"task": "ranking"}, "target", "task: Input should be 'auto', 'classification' or"),
        ({"categorical": ["missing"]}, "target", "categorical columns not in the data"),
    ],
)
def test_bad_training_input_is_a_clear_error(
    iris: pd.DataFrame, params: dict[str, object], target: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TabularTrainer().fit(iris, target, params)


class Declared(Trainer):
    """A plugin trainer declaring two parameters (its fit is never called here)."""

    class Params(TrainerParams):
        depth: int = Field(3, ge=1, le=10)
        kind: Literal["a", "b"] = "a"

    def fit(self, frame: pd.DataFrame, target: str, params: Any) -> Any:
        raise AssertionError("not called")

    predict = input_schema = fit  # type: ignore[assignment]


class Undeclared(Declared):
    Params = None


def test_a_trainers_declared_params_are_checked_and_completed() -> None:
    assert Declared().check_params({"depth": "7"}) == {"depth": 7, "kind": "a"}
    with pytest.raises(InvalidParams) as refused:
        Declared().check_params({"depth": 11, "kind": "c", "width": 2, "seed": "x" * 500})
    assert refused.value.problems == [
        ("depth", "Input should be less than or equal to 10 (got 11)"),
        ("kind", "Input should be 'a' or 'b' (got 'c')"),
        ("width", "unknown parameter; this trainer accepts depth, kind"),
        ("seed", "unknown parameter; this trainer accepts depth, kind"),
    ]
    assert str(refused.value).startswith("invalid trainer params: depth: Input should be less")
    with pytest.raises(InvalidParams, match=r"depth: Input should be a valid integer.*\.\.\.\)$"):
        Declared().check_params({"depth": "9" * 30 + "x" * 200})
    # A trainer that declares nothing gets whatever was given; its fit decides.
    assert Undeclared().check_params({"anything": [1]}) == {"anything": [1]}


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"x": 9.3e184}, ("x", "numbers are 0 or of magnitude 1e-130 to 1e126 (got 9.3e+184)")),
        ({"x": -1e-131}, ("x", "numbers are 0 or of magnitude 1e-130 to 1e126 (got -1e-131)")),
        ({"x": [1, 10**38]}, ("x.1", "integers have at most 38 digits (got 39 digits)")),
        (
            {"x": {"y": "\ud800"}},
            ("x.y", "strings must be valid Unicode (a lone surrogate is not)"),
        ),
        ({"\udc00": 1}, ("params", "keys must be valid Unicode (a lone surrogate is not)")),
    ],
)
def test_params_no_backend_can_store_are_refused_whatever_the_trainer_declares(
    given: dict[str, Any], problem: tuple[str, str]
) -> None:
    with pytest.raises(InvalidParams) as refused:
        Undeclared().check_params(given)
    where, what = problem
    assert refused.value.problems == [(where, f"cannot be stored on every backend: {what}")]


def test_what_every_backend_stores_is_accepted() -> None:
    given = {"x": [0.0, 1e-130, -9.99e125, 10**38 - 1, -(10**38 - 1), "é\u2028", True, None]}
    assert Undeclared().check_params(given) == given
    with pytest.raises(InvalidParams, match="depth: Input should be a finite number"):
        Declared().check_params({"depth": float("inf")})


class PluginServiceDown(Transient):
    """What a trainer plugin raises when a service of its own is unavailable."""


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (BackendUnavailable("throttled"), True),
        (ConfigurationError("access denied"), True),
        (Conflict("lost the race five times"), True),
        (AdapterError("an SDK error nobody classified"), True),
        (TimeoutError("read timed out"), True),
        (ConnectionResetError("reset by peer"), True),
        (PluginServiceDown("feature store down"), True),
        (NotFound("dataset 'x' not found"), False),
        (TooLarge("document over the ceiling"), False),
        (InvalidParams([("max_iter", "Input should be a valid integer")]), False),
        (ValueError("need at least 10 labelled rows"), False),
        (artifacts.ArtifactRejected("fails its checksum"), False),
        (KeyError("a bug"), False),
        (RuntimeError("a trainer's bug"), False),
        (MemoryError(), False),
    ],
)
def test_only_what_a_retry_can_cure_is_transient(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_too_few_rows(iris: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="at least 10 labelled rows"):
        TabularTrainer().fit(iris.head(5), "target", {})


def test_untrusted_types_are_refused() -> None:
    from sklearn.preprocessing import FunctionTransformer

    # A function reference in the artifact is code skops would call: not on the allow-list.
    data = artifacts.skops_dumps(FunctionTransformer(func=eval))
    with pytest.raises(artifacts.ArtifactRejected, match="not on the allow-list"):
        artifacts.skops_loads(data)


def test_runtime_settings() -> None:
    settings = RuntimeSettings(lease_seconds=30, heartbeat_seconds=10)
    env = settings.to_env()
    # Composed, not inherited: the worker's settings carry none of the backend's.
    assert env["MLPOC_LEASE_SECONDS"] == "30.0" and "MLPOC_BACKEND" not in env
    assert RuntimeSettings(**{k.removeprefix("MLPOC_").lower(): v for k, v in env.items()}) == (
        settings
    )
    with pytest.raises(ConfigurationError, match=r"MLPOC_HEARTBEAT_SECONDS.*a third"):
        load_runtime_settings(lease_seconds=30, heartbeat_seconds=11)
    with pytest.raises(ConfigurationError, match="MLPOC_LEASE_SECONDS"):
        load_runtime_settings(lease_seconds=601)


def test_api_settings_carry_only_the_apis_fields() -> None:
    assert not set(ApiSettings.model_fields) & set(RuntimeSettings.model_fields)
    assert not set(ApiSettings.model_fields) & set(Settings.model_fields)
    assert not set(RuntimeSettings.model_fields) & set(Settings.model_fields)


def test_state_machine_refuses_moves_out_of_terminal_states() -> None:
    job = Job("j1", {"type": "train", "state": "succeeded"}, "v1")
    with pytest.raises(InvalidTransition, match="succeeded -> running"):
        transition(None, job, "running")  # type: ignore[arg-type]
    queued = Job("j2", {"type": "train", "state": "queued"}, "v1")
    with pytest.raises(InvalidTransition, match="queued -> succeeded"):
        transition(None, queued, "succeeded")  # type: ignore[arg-type]
