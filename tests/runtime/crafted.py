"""Crafted model artifacts, made with skops itself: a real HistGradientBoosting pipeline is
trained, dumped, loaded back WITHOUT runtime.tree_check (skops with our allow-list, as an
attacker who can register a version would), mutated, and dumped again."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from adapters import Adapters
from runtime import artifacts
from runtime.registry import ModelVersion, Registry
from runtime.trainers.base import trainer_spec
from runtime.trainers.tabular import TabularTrainer
from tests.support.data import iris_csv

Mutation = Callable[[Any], None]


def iris_frame() -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(iris_csv())).drop(columns=["record_id"])


@functools.cache
def good_artifact() -> bytes:
    """A small, genuine HistGradientBoosting pipeline on iris, as the worker stores it."""
    trainer = TabularTrainer()
    return trainer.dumps(trainer.fit(iris_frame(), "target", {"max_iter": 5}).model)


def crafted(mutate: Mutation) -> bytes:
    """`good_artifact()` with `mutate(pipeline)` applied, dumped again with skops."""
    import skops.io

    model = skops.io.loads(good_artifact(), trusted=list(artifacts.TRUSTED_TYPES))
    mutate(model)
    data: bytes = skops.io.dumps(model)
    return data


def first_tree(model: Any) -> Any:
    return model.named_steps["model"]._predictors[0][0]


def internal_nodes(tree: Any) -> np.ndarray:
    return np.flatnonzero(tree.nodes["is_leaf"] == 0)


def child_past_the_end(model: Any) -> None:
    """Every internal node of the first tree sends left to node 4,000,000,000."""
    tree = first_tree(model)
    tree.nodes["left"][internal_nodes(tree)] = 4_000_000_000


def register(adapters: Adapters, data: bytes, model: str = "iris") -> ModelVersion:
    """Store `data` and register it as the next version of `model`, as the worker would."""
    trainer = TabularTrainer()
    ref = artifacts.store(adapters.blobs, data)
    return Registry(adapters).register(
        model,
        artifact=ref,
        metrics={"accuracy": 1.0},
        params={"estimator": "hist_gradient_boosting"},
        trainer=trainer_spec(trainer),
        artifact_format=trainer.artifact_format,
        dataset={"name": "iris"},
        job_id=None,
        input_schema=trainer.input_schema(trainer.loads(good_artifact())),
    )
