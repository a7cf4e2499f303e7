"""Trainer plugins used by the runtime tests, loaded by `MLPOC_TRAINER=module:Class` exactly
as a team's own trainer would be."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pandas as pd

from runtime.trainers.base import FitResult
from runtime.trainers.tabular import TabularTrainer


class SlowTrainer(TabularTrainer):
    """The default trainer, made slow enough to be interrupted mid-fit: it sleeps for the
    job's `sleep_seconds` trainer param first."""

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, Any]) -> FitResult:
        params = dict(params)
        time.sleep(float(params.pop("sleep_seconds", 0)))
        return super().fit(frame, target, params)


class FailingTrainer(TabularTrainer):
    """A trainer whose every fit raises."""

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, Any]) -> FitResult:
        raise RuntimeError("boom: this trainer always fails")


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
