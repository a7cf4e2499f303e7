"""Fitted models the compiled-path tests share (fitting is the slow part: each case is
fitted once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from runtime.inference import CompiledModel, RowSchema, compile_pipeline
from runtime.trainers.tabular import TabularTrainer
from tests.inference.data import mixed

CASES = {
    "multiclass-trees": ("classification", {"classes": 3}, {}),
    "binary-trees": ("classification", {"classes": 2}, {}),
    "regression-trees": ("regression", {}, {}),
    "multiclass-linear": ("classification", {"classes": 3}, {"estimator": "linear"}),
    "binary-linear": ("classification", {"classes": 2}, {"estimator": "linear"}),
    "regression-linear": ("regression", {}, {"estimator": "linear"}),
}


@dataclass
class Fitted:
    trainer: TabularTrainer
    model: Any
    frame: pd.DataFrame
    compiled: CompiledModel
    schema: RowSchema
    holdout: pd.DataFrame  # the rows the trainer held out of the fit (FitResult.holdout)


_cache: dict[str, Fitted] = {}


def fitted(case: str) -> Fitted:
    if case not in _cache:
        task, data_args, params = CASES[case]
        frame = mixed(task, **data_args)
        trainer = TabularTrainer()
        fit = trainer.fit(frame, "target", {"max_iter": 30, **params})
        schema = RowSchema.from_input_schema(trainer.input_schema(fit.model))
        assert schema is not None
        assert fit.holdout is not None and len(fit.holdout) > 0
        compiled = compile_pipeline(fit.model)
        _cache[case] = Fitted(trainer, fit.model, frame, compiled, schema, fit.holdout)
    return _cache[case]
