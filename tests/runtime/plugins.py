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
