"""From a fitted scikit-learn pipeline to a `CompiledModel`, or `NotCompilable` saying why.

Covered: `Pipeline([ColumnTransformer, estimator])` where each transformer is
SimpleImputer + StandardScaler (numbers) or SimpleImputer + OneHotEncoder (categories,
unknown ignored, dense, nothing dropped, no infrequent grouping), and the estimator is a
HistGradientBoosting classifier or regressor (squared error) without native categorical
splits, a LogisticRegression or a Ridge. Anything else keeps the scikit-learn path; a
compiled model is still only served after `verify` agreed with scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from runtime.inference.linear import LinearScorer, from_linear
from runtime.inference.model import CompiledModel, Scorer
from runtime.inference.plan import CategoricalInput, Input, InputPlan, NumericInput
from runtime.inference.trees import TreeScorer, from_hist_gradient_boosting


class NotCompilable(Exception):
    """The model has a part the compiled path does not cover (named in the message)."""


def compile_pipeline(model: Any) -> CompiledModel:
    try:
        return _compile(model)
    except NotCompilable:
        raise
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise NotCompilable(f"{type(exc).__name__}: {exc}") from None


def _compile(model: Any) -> CompiledModel:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        raise NotCompilable(f"{type(model).__name__} is not a (preprocess, model) Pipeline")
    preprocess, estimator = model.steps[0][1], model.steps[1][1]
    if not isinstance(preprocess, ColumnTransformer):
        raise NotCompilable(
            f"preprocessing is a {type(preprocess).__name__}, not a ColumnTransformer"
        )
    plan = _plan(preprocess, int(estimator.n_features_in_))
    scorer, task, link, classes = _scorer(estimator, plan.width)
    return CompiledModel(plan, scorer, task=task, link=link, classes=classes)


def _plan(ct: Any, width: int) -> InputPlan:
    from sklearn.pipeline import Pipeline

    if getattr(ct, "sparse_output_", False):
        raise NotCompilable("the ColumnTransformer outputs a sparse matrix")
    inputs: list[Input] = []
    column = 0
    for name, transformer, columns in ct.transformers_:
        if isinstance(transformer, str):
            if transformer == "drop":
                continue
            raise NotCompilable(f"transformer {name!r} is {transformer!r}")
        if not isinstance(transformer, Pipeline) or len(transformer.steps) != 2:
            raise NotCompilable(f"transformer {name!r} is not an (impute, encode) Pipeline")
        if not all(isinstance(c, str) for c in columns):
            raise NotCompilable(f"transformer {name!r} selects columns by position")
        impute, encode = transformer.steps[0][1], transformer.steps[1][1]
        fills = _fills(name, impute, len(columns))
        kind = type(encode).__name__
        if kind == "StandardScaler":
            new, column = _numeric(list(columns), fills, encode, column)
        elif kind == "OneHotEncoder":
            new, column = _categorical(name, list(columns), fills, encode, column)
        else:
            raise NotCompilable(f"transformer {name!r} encodes with {kind}")
        inputs += new
    if column != width:
        raise NotCompilable(f"the plan makes {column} features, the model takes {width}")
    return InputPlan(inputs=tuple(inputs), width=width)


def _fills(name: str, impute: Any, n: int) -> list[Any]:
    """The imputation value of each column; None where the imputer drops the column."""
    if type(impute).__name__ != "SimpleImputer":
        raise NotCompilable(f"transformer {name!r} imputes with {type(impute).__name__}")
    missing = impute.missing_values
    if not (isinstance(missing, float) and np.isnan(missing)):
        raise NotCompilable(f"transformer {name!r} treats {missing!r} as missing, not NaN")
    if impute.add_indicator or impute.keep_empty_features:
        raise NotCompilable(f"transformer {name!r} adds indicator or empty columns")
    stats = list(impute.statistics_)
    if len(stats) != n:
        raise NotCompilable(f"transformer {name!r}: {len(stats)} statistics for {n} columns")
    # An all-missing column's statistic is NaN and SimpleImputer leaves the column out.
    return [None if isinstance(s, float) and np.isnan(s) else s for s in stats]


def _numeric(
    columns: list[str], fills: list[Any], scaler: Any, column: int
) -> tuple[list[Input], int]:
    kept = sum(f is not None for f in fills)
    mean = scaler.mean_ if scaler.with_mean else np.zeros(kept)
    scale = scaler.scale_ if scaler.with_std else np.ones(kept)
    if len(mean) != kept or len(scale) != kept:
        raise NotCompilable("the scaler's statistics do not match the imputed columns")
    inputs: list[Input] = []
    j = 0
    for name, fill in zip(columns, fills, strict=True):
        if fill is None:
            inputs.append(NumericInput(name, None))
            continue
        inputs.append(NumericInput(name, column, float(fill), float(mean[j]), float(scale[j])))
        column += 1
        j += 1
    return inputs, column


def _categorical(
    name: str, columns: list[str], fills: list[Any], encoder: Any, column: int
) -> tuple[list[Input], int]:
    if encoder.handle_unknown not in ("ignore", "infrequent_if_exist"):
        raise NotCompilable(f"transformer {name!r} errors on unknown categories")
    if encoder.drop_idx_ is not None or getattr(encoder, "_infrequent_enabled", False):
        raise NotCompilable(f"transformer {name!r} drops or groups categories")
    if encoder.sparse_output:
        raise NotCompilable(f"transformer {name!r} outputs a sparse matrix")
    vocabularies = iter(encoder.categories_)
    inputs: list[Input] = []
    for col, fill in zip(columns, fills, strict=True):
        if fill is None:
            inputs.append(CategoricalInput(col, None))
            continue
        categories = [c for c in next(vocabularies)]
        if not all(isinstance(c, str) for c in categories) or not isinstance(fill, str):
            raise NotCompilable(f"column {col!r} has categories that are not strings")
        inputs.append(CategoricalInput(col, column, fill, tuple(categories)))
        column += len(categories)
    if next(vocabularies, None) is not None:
        raise NotCompilable(f"transformer {name!r}: more vocabularies than kept columns")
    return inputs, column


def _scorer(estimator: Any, width: int) -> tuple[Scorer, str, str, list[Any] | None]:
    kind = type(estimator).__name__
    classes = _classes(estimator)
    if kind in ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"):
        if classes is None and estimator.loss != "squared_error":
            raise NotCompilable(f"regression loss {estimator.loss!r} is not compiled")
        trees, base = from_hist_gradient_boosting(estimator)
        scorer: Scorer = TreeScorer(trees, width=width, base_scores=base)
    elif kind in ("LogisticRegression", "Ridge"):
        coef, intercept = from_linear(estimator)
        scorer = LinearScorer(coef, intercept, width=width)
    else:
        raise NotCompilable(f"estimator {kind} is not compiled")
    if classes is None:
        return scorer, "regression", "identity", None
    return scorer, "classification", "logistic" if len(classes) == 2 else "softmax", classes


def _classes(estimator: Any) -> list[Any] | None:
    if not hasattr(estimator, "classes_"):
        return None
    classes = [c.item() if isinstance(c, np.generic) else c for c in estimator.classes_]
    if not all(isinstance(c, str) or (isinstance(c, int) and not isinstance(c, bool))
               for c in classes):  # fmt: skip
        raise NotCompilable("classes are neither strings nor integers")
    return classes
