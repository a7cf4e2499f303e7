"""The default trainer: scikit-learn on tabular data, numeric and categorical features.

One pipeline: numeric columns imputed and scaled, categorical ones imputed and one-hot
encoded (unknown categories ignored), then a gradient-boosted or linear model. Metrics come
from a held-out split drawn with a fixed seed, so the same data and params give the same
metrics. Column selections are plain lists: a pandas Index in estimator state does not
survive skops.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, StringConstraints

from runtime.trainers.base import FitResult, JSONValue, Predictions, Trainer, TrainerParams

MAX_CATEGORICAL = 1_000
# A column name as a job names it: non-empty, bounded, no control characters (lone
# surrogates are refused for every trainer: runtime.trainers.storable).
ColumnName = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class TabularParams(TrainerParams):
    """What `TabularTrainer.fit` accepts (checked when a job is enqueued). Every bound keeps
    to what is sensible for the model and what a job document holds on every backend."""

    task: Literal["auto", "classification", "regression"] = Field(
        "auto", description="auto: float targets are regressed, anything else is classified"
    )
    estimator: Literal["hist_gradient_boosting", "linear"] = "hist_gradient_boosting"
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the split and the model")
    validation_fraction: float = Field(
        0.2,
        ge=0.01,
        le=0.99,
        description="rows held out for metrics; 1% to 99% leaves rows on both sides",
    )
    categorical: list[ColumnName] | None = Field(
        None,
        max_length=MAX_CATEGORICAL,
        description="categorical columns (default: every non-numeric column)",
    )
    max_iter: int = Field(
        100,
        ge=1,
        le=10_000,
        description="boosting iterations; bounded so one job cannot run without end",
    )
    learning_rate: float = Field(
        0.1,
        ge=1e-6,
        le=10,
        description="boosting learning rate; outside 1e-6..10 boosting learns nothing useful",
    )


MIN_ROWS = 10
# Below this many rows, OpenMP threads cost more than they save: on a shared 2-core machine
# one HistGradientBoosting fit on iris took 1.1-4.1 s threaded and 0.2-0.3 s on one thread.
SINGLE_THREAD_ROWS = 20_000
# Categories listed per column in the input schema (the schema lives in a size-capped document).
SCHEMA_MAX_CATEGORIES = 50


class TabularTrainer(Trainer):
    Params = TabularParams

    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, JSONValue]) -> FitResult:
        from sklearn.model_selection import train_test_split

        p = self.check_params(params)
        if target not in frame.columns:
            raise ValueError(f"target column {target!r} is not in the data: {list(frame.columns)}")
        frame = frame[frame[target].notna()]
        if len(frame) < MIN_ROWS:
            raise ValueError(f"need at least {MIN_ROWS} labelled rows, got {len(frame)}")
        y = frame[target]
        features = [str(c) for c in frame.columns if c != target]
        if not features:
            raise ValueError("the data has no feature columns besides the target")
        categorical = _categorical_columns(frame[features], p["categorical"])
        numeric = [c for c in features if c not in categorical]
        task = _task(y, p["task"])
        x = _prepare(frame, numeric, categorical)
        if task == "classification":
            y = y.astype(str) if not pd.api.types.is_integer_dtype(y) else y
            counts = y.value_counts()
            if len(counts) < 2:
                raise ValueError(f"target {target!r} has a single class; nothing to learn")
            stratify = y if counts.min() >= 2 else None
        else:
            y = pd.to_numeric(y, errors="raise").astype(float)
            stratify = None
        x_train, x_val, y_train, y_val = train_test_split(
            x,
            y,
            test_size=p["validation_fraction"],
            random_state=p["seed"],
            stratify=stratify,
        )
        pipeline = _pipeline(numeric, categorical, task, p)
        with _threads_for(len(x_train)):
            pipeline.fit(x_train, y_train)
            predicted = pipeline.predict(x_val)
        return FitResult(
            model=pipeline,
            metrics=_metrics(task, y_val, predicted),
            params={**p, "task": task, "n_train": len(x_train), "n_validation": len(x_val)},
            holdout=frame.loc[x_val.index, features],
            holdout_target=y_val,
        )

    def predict(self, model: Any, rows: pd.DataFrame) -> Predictions:
        numeric, categorical = _columns_of(model)
        missing = [c for c in numeric + categorical if c not in rows.columns]
        if missing:
            raise ValueError(f"rows lack the model's input columns: {missing}")
        x = _prepare(rows, numeric, categorical)
        probabilities = None
        with _threads_for(len(x)):
            if hasattr(model, "predict_proba"):
                # One pass: a classifier's predict() is the argmax of predict_proba() for both
                # estimators this trainer builds, so the pipeline need not run twice.
                matrix = model.predict_proba(x)
                values = [_json_scalar(model.classes_[i]) for i in matrix.argmax(axis=1)]
                classes = [str(_json_scalar(c)) for c in model.classes_]
                probabilities = [
                    {c: float(p) for c, p in zip(classes, row, strict=True)} for row in matrix
                ]
            else:
                values = [_json_scalar(v) for v in model.predict(x)]
        return Predictions(values=values, probabilities=probabilities)

    def input_schema(self, model: Any) -> dict[str, JSONValue]:
        numeric, categorical = _columns_of(model)
        encoder = model.named_steps["preprocess"].named_transformers_.get("categorical")
        categories: dict[str, list[str]] = {}
        if encoder is not None and categorical:
            for column, values in zip(
                categorical, encoder.named_steps["onehot"].categories_, strict=True
            ):
                categories[column] = [str(v) for v in values[:SCHEMA_MAX_CATEGORIES]]
        features: list[dict[str, JSONValue]] = [{"name": c, "kind": "numeric"} for c in numeric]
        for c in categorical:
            features.append({"name": c, "kind": "categorical", "categories": categories[c]})
        schema: dict[str, JSONValue] = {
            "task": "classification" if hasattr(model, "classes_") else "regression",
            "features": features,
        }
        if hasattr(model, "classes_"):
            schema["classes"] = [_json_scalar(c) for c in model.classes_]
        return schema


def _threads_for(rows: int) -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1) if rows < SINGLE_THREAD_ROWS else contextlib.nullcontext()


def _categorical_columns(x: pd.DataFrame, declared: list[str] | None) -> list[str]:
    if declared is not None:
        missing = [c for c in declared if c not in x.columns]
        if missing:
            raise ValueError(f"categorical columns not in the data: {missing}")
        return [str(c) for c in declared]
    return [
        str(c)
        for c in x.columns
        if not pd.api.types.is_numeric_dtype(x[c]) or pd.api.types.is_bool_dtype(x[c])
    ]


def _task(y: pd.Series, task: str) -> str:
    if task != "auto":
        return task
    # Floats are quantities to regress; labels (strings, booleans, integers) are classes.
    return "regression" if pd.api.types.is_float_dtype(y) else "classification"


def _prepare(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """One representation at fit and at predict time: numbers as float, categories as
    Python strings with NaN for missing (what the imputer and encoder expect)."""
    out = pd.DataFrame(index=frame.index)
    for column in numeric:
        out[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in categorical:
        values = frame[column]
        out[column] = values.map(lambda v: np.nan if pd.isna(v) else str(v)).astype(object)
    return out


def _pipeline(numeric: list[str], categorical: list[str], task: str, p: dict[str, Any]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(
            (
                "numeric",
                Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]),
                list(numeric),
            )
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                list(categorical),
            )
        )
    model: Any
    if p["estimator"] == "linear":
        model = LogisticRegression(max_iter=1000) if task == "classification" else Ridge()
    else:
        kind = (
            HistGradientBoostingClassifier
            if task == "classification"
            else HistGradientBoostingRegressor
        )
        model = kind(
            max_iter=int(p["max_iter"]),
            learning_rate=float(p["learning_rate"]),
            random_state=int(p["seed"]),
            early_stopping=False,
        )
    return Pipeline([("preprocess", ColumnTransformer(transformers)), ("model", model)])


def _columns_of(model: Any) -> tuple[list[str], list[str]]:
    numeric: list[str] = []
    categorical: list[str] = []
    for name, _, columns in model.named_steps["preprocess"].transformers:
        if name == "numeric":
            numeric = list(columns)
        elif name == "categorical":
            categorical = list(columns)
    return numeric, categorical


def _metrics(task: str, truth: pd.Series, predicted: Any) -> dict[str, float]:
    from sklearn import metrics

    if task == "classification":
        return {
            "accuracy": float(metrics.accuracy_score(truth, predicted)),
            "f1_macro": float(metrics.f1_score(truth, predicted, average="macro")),
        }
    return {
        "rmse": math.sqrt(float(metrics.mean_squared_error(truth, predicted))),
        "r2": float(metrics.r2_score(truth, predicted)),
    }


def _json_scalar(value: Any) -> JSONValue:
    return value.item() if isinstance(value, np.generic) else value
