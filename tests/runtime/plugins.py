"""Trainer plugins used by the runtime tests, loaded by `MLPOC_TRAINER=module:Class` exactly
as a team's own trainer would be."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from adapters.errors import ConfigurationError
from runtime.failures import Transient
from runtime.trainers.base import FitResult
from runtime.trainers.tabular import TabularParams, TabularTrainer

# A gate nobody opens fails the fit after this long, so a broken test cannot hang a worker.
GATE_SECONDS = 300


class SlowTrainer(TabularTrainer):
    """The default trainer, held mid-fit for as long as a test needs, whatever the machine's
    speed. Trainer params (taken out before the real fit):
    - `sleep_seconds`: sleep first;
    - `gate`: a file path; wait until the file exists (the test opens the gate);
    - `hold_first`: a file path; the first fit to claim it (created exclusively, so across
      processes) waits until `<path>.open` exists; every later fit goes straight through
      (a redelivery after the first holder was killed)."""

    class Params(TabularParams):
        sleep_seconds: float = 0
        gate: str | None = None
        hold_first: str | None = None

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, Any]) -> FitResult:
        params = dict(params)
        time.sleep(float(params.pop("sleep_seconds", 0)))
        gate = params.pop("gate", None)
        hold_first = params.pop("hold_first", None)
        if hold_first is not None and _claim(Path(hold_first)):
            gate = f"{hold_first}.open"
        if gate is not None:
            _wait_for_file(Path(gate))
        return super().fit(frame, target, params)


def _claim(path: str | Path) -> bool:
    """True for the one caller (of any process) that creates the file `path`."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + GATE_SECONDS
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gate {path} was never opened")
        time.sleep(0.05)


def open_gate(path: Path) -> None:
    path.touch()


class FailingTrainer(TabularTrainer):
    """A trainer whose every fit raises (a bug of its own: retrying cannot cure it)."""

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, Any]) -> FitResult:
        raise RuntimeError("boom: this trainer always fails")


class TimingOutTrainer(TabularTrainer):
    """A trainer whose every fit times out (as if a service it needs were down)."""

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, Any]) -> FitResult:
        raise TimeoutError("boom: this trainer's service timed out")


class FlakyTrainer(TabularTrainer):
    """The default trainer, except that the first fit to claim the file `fail_first` (created
    exclusively, so across processes) raises `Transient`; every later fit trains."""

    class Params(TabularParams):
        fail_first: str | None = None

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, Any]) -> FitResult:
        params = dict(params)
        marker = params.pop("fail_first", None)
        if marker is not None and _claim(marker):
            raise self.first_failure()
        return super().fit(frame, target, params)

    def first_failure(self) -> Exception:
        return Transient("boom: a service this trainer needs was unavailable")


class DeniedOnceTrainer(FlakyTrainer):
    """`FlakyTrainer` whose first fit is refused by the backend (as when the worker's
    identity lacks a grant the trainer's data needs, until an operator adds it)."""

    def first_failure(self) -> Exception:
        return ConfigurationError("boom: access denied to this trainer's data")


class NaiveBayesTrainer(TabularTrainer):
    """The default trainer with Gaussian naive Bayes in place of its model: a model the
    compiled path does not cover, so its versions are served by scikit-learn."""

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, Any]) -> FitResult:
        from sklearn.naive_bayes import GaussianNB

        fit = super().fit(frame, target, {**params, "estimator": "linear"})
        pipeline = fit.model
        pipeline.steps[-1] = ("model", GaussianNB())
        features = frame.drop(columns=[target])
        from runtime.trainers.tabular import _columns_of, _prepare

        numeric, categorical = _columns_of(pipeline)
        pipeline.fit(_prepare(features, numeric, categorical), frame[target].astype(str))
        return FitResult(pipeline, fit.metrics, fit.params, fit.holdout)
