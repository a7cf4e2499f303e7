"""Does the compiled model answer what scikit-learn answers? Checked at training, on the
held-out rows one request at a time (the single-row path) and on the whole dataset both as
a table (the batch_predict path) and as JSON rows (the batch API path).

Classes must be identical on every row; probabilities (classification) or values
(regression, relative to max(1, |value|)) within `TOLERANCE`. The compiled margins differ
from scikit-learn's by float64 summation order only (~1e-15, measured on the wine and iris
models), so 1e-6 leaves a wide margin while still catching any real divergence.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from runtime.inference.model import CompiledModel
from runtime.inference.rows import RowError, RowSchema
from runtime.trainers.base import Predictions

if TYPE_CHECKING:
    import pandas as pd

    from runtime.trainers.base import Trainer

TOLERANCE = 1e-6
# Rows scored one request at a time (~0.1 ms each) and as JSON rows; the table path always
# takes the whole dataset.
MAX_SINGLE_ROWS = 5_000
MAX_JSON_ROWS = 100_000


@dataclass(frozen=True)
class Agreement:
    holdout_rows: int  # held-out rows compared one request at a time
    rows: int  # rows of the whole dataset compared as a table
    json_rows: int  # rows of the whole dataset compared as validated JSON rows
    refused_rows: int  # rows the input schema refuses (the API answers 422 for them)
    classes_identical: bool
    max_difference: float  # probabilities, or relative values for a regression
    tolerance: float
    reason: str | None  # why the compiled path is not to be served; None: it agrees

    @property
    def ok(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        if not math.isfinite(self.max_difference):
            out["max_difference"] = None  # documents hold JSON, which has no infinity
        return out


def agreement(
    compiled: CompiledModel,
    trainer: Trainer,
    model: Any,
    *,
    schema: RowSchema | None,
    full: pd.DataFrame,
    holdout: pd.DataFrame | None,
    tolerance: float = TOLERANCE,
) -> Agreement:
    if schema is None:
        return _refuse("the version has no input schema to check rows against", tolerance)
    if set(schema.names) != set(compiled.plan.names):
        return _refuse("the input schema and the compiled plan name different features", tolerance)
    holdout = full.iloc[:0] if holdout is None else holdout.iloc[:MAX_SINGLE_ROWS]
    table = (trainer.predict(model, full), compiled.predict_frame(full))
    ref_json, rows, refused = _json(schema, full.iloc[:MAX_JSON_ROWS], trainer, model)
    # As the batch API scores them: the raw rows, checked and encoded column by column.
    json_pair = (ref_json, compiled.predict_columns(schema.columns(rows), len(rows)))
    ref_one, one_rows, refused_one = _json(schema, holdout, trainer, model)
    singles = [compiled.predict_one(schema.validate_row(0, row)) for row in one_rows]
    one_pair = (ref_one, _concat(singles))
    identical = True
    worst = 0.0
    for reference, got in (table, json_pair, one_pair):
        same, diff = _compare(reference, got)
        identical &= same
        worst = max(worst, diff)
    reason = None
    if not identical:
        reason = "the compiled model predicts a different class for some rows"
    elif worst > tolerance:
        reason = f"the compiled model differs by {worst:.3g} (tolerance {tolerance:g})"
    return Agreement(
        holdout_rows=len(one_rows),
        rows=len(full),
        json_rows=len(rows),
        refused_rows=refused + refused_one,
        classes_identical=identical,
        max_difference=worst,
        tolerance=tolerance,
        reason=reason,
    )


def json_rows(frame: pd.DataFrame, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """A table's rows as a client would send them: Python scalars, NaN for missing."""
    return frame[list(names)].to_dict("records")


def _json(
    schema: RowSchema, frame: pd.DataFrame, trainer: Trainer, model: Any
) -> tuple[Predictions, list[dict[str, Any]], int]:
    """scikit-learn's answers for the rows the schema accepts, and those rows as sent."""
    accepted, rows = [], []
    for i, row in enumerate(json_rows(frame, schema.names)):
        try:
            schema.validate_row(i, row)
        except RowError:
            continue
        rows.append(row)
        accepted.append(i)
    reference = trainer.predict(model, frame.iloc[accepted]) if accepted else Predictions([])
    return reference, rows, len(frame) - len(accepted)


def _concat(parts: list[Predictions]) -> Predictions:
    values = [v for p in parts for v in p.values]
    if parts and parts[0].probabilities is not None:
        return Predictions(values, [q for p in parts for q in p.probabilities or []])
    return Predictions(values)


def _compare(reference: Predictions, got: Predictions) -> tuple[bool, float]:
    if len(reference.values) != len(got.values):
        return False, float("inf")
    if reference.probabilities is None:
        if got.probabilities is not None:
            return False, float("inf")
        diffs = (abs(float(a) - float(b)) / max(1.0, abs(float(a)))
                 for a, b in zip(reference.values, got.values, strict=True))  # fmt: skip
        return True, max(diffs, default=0.0)
    if got.probabilities is None:
        return False, float("inf")
    same = reference.values == got.values
    worst = 0.0
    for ref, new in zip(reference.probabilities, got.probabilities, strict=True):
        if ref.keys() != new.keys():
            return False, float("inf")
        worst = max(worst, max(abs(ref[k] - new[k]) for k in ref))
    return same, worst


def _refuse(reason: str, tolerance: float) -> Agreement:
    return Agreement(0, 0, 0, 0, False, float("inf"), tolerance, reason)
