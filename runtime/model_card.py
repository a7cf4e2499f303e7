"""A model card per version, computed at training on the held-out rows and stored on the
version document: the parameters, the rows used to train and to evaluate, the dataset
snapshot, per-class precision/recall/F1 and the confusion matrix (classification) or a
residual summary (regression), and permutation feature importance.

The metrics are scikit-learn's (`sklearn.metrics`) applied to the trainer's own `predict`,
so a plugged-in trainer gets a card too, as long as its `fit` returns the held-out rows and
their targets. What it costs is bounded: importance is measured on at most
`IMPORTANCE_ROWS` held-out rows, with repeats that shrink as features grow and at most
`STACKED_ROWS` shuffled rows scored in a few `predict` calls. What it weighs is bounded too (the
card lives in a size-capped document): at most `MAX_CLASSES` classes in the matrix, the most
frequent ones, and the `TOP_FEATURES` most important features.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from runtime.trainers.base import FitResult, Trainer

CARD_SCHEMA = 1
MAX_CLASSES = 50
TOP_FEATURES = 15
IMPORTANCE_ROWS = 500
MIN_IMPORTANCE_ROWS = 30
IMPORTANCE_PREDICTIONS = 150  # features x repeats: the repeats shrink as features grow
MAX_REPEATS = 5
STACKED_ROWS = 40_000  # shuffled copies scored at once, in chunks of PREDICT_CHUNK_ROWS
PREDICT_CHUNK_ROWS = 10_000
HISTOGRAM_BINS = 10
SEED = 0


def build(
    trainer: Trainer,
    fit: FitResult,
    *,
    task: str,
    dataset: Mapping[str, Any],
) -> dict[str, Any]:
    """The card of a fitted model (JSON), from its held-out rows."""
    started = time.monotonic()
    card: dict[str, Any] = {
        "schema": CARD_SCHEMA,
        "task": task,
        "params": dict(fit.params),
        "dataset": dict(dataset),
        "metrics": dict(fit.metrics),
        "rows": {
            "training": fit.params.get("n_train"),
            "evaluation": None if fit.holdout is None else len(fit.holdout),
        },
    }
    if fit.holdout is None or fit.holdout_target is None or not len(fit.holdout):
        card["evaluation"] = None
        card["note"] = "the trainer returned no held-out rows: nothing to evaluate on"
    else:
        x, truth = fit.holdout, fit.holdout_target
        predicted = trainer.predict(fit.model, x).values
        if task == "classification":
            card["classification"] = classification(truth, predicted)
        else:
            card["regression"] = regression(truth, predicted)
        card["importance"] = importance(trainer, fit.model, x, truth, task)
    card["seconds"] = round(time.monotonic() - started, 3)
    return card


def classification(truth: pd.Series, predicted: list[Any]) -> dict[str, Any]:
    """Per-class precision/recall/F1/support and the confusion matrix (rows: true class,
    columns: predicted), on classes spelled as the labels are (text)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true = [str(v) for v in truth]
    y_pred = [str(v) for v in predicted]
    counts: dict[str, int] = {}
    for label in y_true + y_pred:
        counts[label] = counts.get(label, 0) + 1
    every = sorted(counts, key=_class_order)
    classes = every
    if len(every) > MAX_CLASSES:
        frequent = sorted(every, key=lambda c: -counts[c])[:MAX_CLASSES]
        classes = sorted(frequent, key=_class_order)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0
    )
    matrix = confusion_matrix(y_true, y_pred, labels=classes)
    return {
        "classes": classes,
        "classes_total": len(every),
        "per_class": [
            {
                "class": c,
                "precision": float(p),
                "recall": float(r),
                "f1": float(f),
                "support": int(s),
            }
            for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        ],
        "confusion_matrix": matrix.astype(int).tolist(),
    }


def regression(truth: pd.Series, predicted: list[Any]) -> dict[str, Any]:
    """The residuals (true minus predicted): summary and a histogram."""
    residuals = np.asarray(truth, dtype=float) - np.asarray(predicted, dtype=float)
    quantiles = np.quantile(residuals, [0.05, 0.25, 0.5, 0.75, 0.95])
    counts, edges = np.histogram(residuals, bins=HISTOGRAM_BINS)
    return {
        "residuals": {
            "count": len(residuals),
            "mean": float(residuals.mean()),
            "std": float(residuals.std()),
            "mae": float(np.abs(residuals).mean()),
            "rmse": math.sqrt(float((residuals**2).mean())),
            "min": float(residuals.min()),
            "p05": float(quantiles[0]),
            "p25": float(quantiles[1]),
            "median": float(quantiles[2]),
            "p75": float(quantiles[3]),
            "p95": float(quantiles[4]),
            "max": float(residuals.max()),
        },
        "histogram": {"edges": edges.tolist(), "counts": counts.astype(int).tolist()},
    }


def importance(
    trainer: Trainer, model: Any, x: pd.DataFrame, truth: pd.Series, task: str
) -> dict[str, Any]:
    """Permutation importance on a seeded sample of the held-out rows: how much the score
    (accuracy for classification, R² for regression) drops when one feature's values are
    shuffled, averaged over repeats.

    Hand-written rather than `sklearn.inspection.permutation_importance`, which calls
    `predict` once per feature and repeat: a trainer's per-call cost (building its input
    frame, thread-pool limits) made that 150 calls and 4-10 s per training on a 30-feature
    dataset here. Every shuffled copy is stacked into one frame and scored in a few large
    `predict` calls instead; the arithmetic is the same (baseline minus shuffled score)."""
    import pandas as pd

    columns = [str(c) for c in x.columns]
    repeats = max(1, min(MAX_REPEATS, IMPORTANCE_PREDICTIONS // max(1, len(columns))))
    blocks = len(columns) * repeats
    rows = max(MIN_IMPORTANCE_ROWS, min(IMPORTANCE_ROWS, STACKED_ROWS // (blocks + 1)))
    if len(x) > rows:
        x = x.sample(n=rows, random_state=SEED)
        truth = truth.loc[x.index]
    n = len(x)
    rng = np.random.default_rng(SEED)
    # Block 0 is the rows as they are; block 1 + j * repeats + r has column j shuffled by
    # permutation r. Built column by column: one concatenation per column, no frame copies.
    permutations = [[rng.permutation(n) for _ in range(repeats)] for _ in columns]
    stacked = pd.DataFrame(
        {
            name: np.concatenate(
                [values]
                + [
                    values[order] if j == k else values
                    for k in range(len(columns))
                    for order in permutations[k]
                ]
            )
            for j, (name, values) in enumerate((c, x[c].to_numpy()) for c in x.columns)
        }
    )
    predicted: list[Any] = []
    for start in range(0, len(stacked), PREDICT_CHUNK_ROWS):
        predicted += trainer.predict(model, stacked.iloc[start : start + PREDICT_CHUNK_ROWS]).values
    metric, scores = _block_scores(task, truth, predicted, blocks + 1)
    baseline = float(scores[0])
    drops = (baseline - scores[1:]).reshape(len(columns), repeats)
    ranked = sorted(
        zip(columns, drops.mean(axis=1), drops.std(axis=1), strict=True),
        key=lambda item: -item[1],
    )
    return {
        "metric": metric,
        "baseline": baseline,
        "rows": n,
        "repeats": repeats,
        "features_total": len(columns),
        "features": [
            {"name": name, "mean": float(mean), "std": float(std)}
            for name, mean, std in ranked[:TOP_FEATURES]
        ],
    }


def _block_scores(
    task: str, truth: pd.Series, predicted: list[Any], blocks: int
) -> tuple[str, np.ndarray]:
    """The score of each block of len(truth) predictions (block 0: the unshuffled rows).
    Plain numpy: scikit-learn's metric functions validate their input on every call, which
    cost more than the predictions here."""
    if task == "classification":
        labels = np.asarray([str(v) for v in truth])
        values = np.asarray([str(v) for v in predicted]).reshape(blocks, len(labels))
        return "accuracy", (values == labels).mean(axis=1)
    numbers = np.asarray(truth, dtype=float)
    values = np.asarray(predicted, dtype=float).reshape(blocks, len(numbers))
    total = float(((numbers - numbers.mean()) ** 2).sum())
    residual = ((values - numbers) ** 2).sum(axis=1)
    # R², as sklearn.metrics.r2_score defines it (1.0 or 0.0 for a constant truth).
    if total == 0:
        return "r2", np.where(residual == 0, 1.0, 0.0)
    return "r2", 1.0 - residual / total


def _class_order(label: str) -> tuple[int, float, str]:
    """Numbers in numeric order ("2" before "10"), then text in text order."""
    try:
        number = float(label)
    except ValueError:
        return (1, 0.0, label)
    return (0, number, label) if math.isfinite(number) else (1, 0.0, label)
