"""Linear models: one matrix product, `x @ coef.T + intercept`, one column per output."""

from __future__ import annotations

from typing import Any

import numpy as np


class LinearScorer:
    def __init__(self, coef: np.ndarray, intercept: np.ndarray, *, width: int) -> None:
        if coef.dtype != np.float64 or coef.ndim != 2 or coef.shape[1] != width:
            raise ValueError(f"linear coefficients must be float64 of shape (outputs, {width})")
        if intercept.dtype != np.float64 or intercept.shape != (coef.shape[0],):
            raise ValueError(f"linear intercept must be float64 of shape ({coef.shape[0]},)")
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError("linear coefficients must be finite")
        self.coef = coef
        self.intercept = intercept
        self.width = width
        self.outputs = coef.shape[0]

    def margins(self, x: np.ndarray) -> np.ndarray:
        out: np.ndarray = x @ self.coef.T + self.intercept
        return out


def from_linear(estimator: Any) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (outputs, width) and intercepts of a fitted LogisticRegression or Ridge
    with a single target."""
    coef = np.asarray(estimator.coef_, dtype=np.float64)
    if coef.ndim == 1:
        coef = coef.reshape(1, -1)
    intercept = np.asarray(estimator.intercept_, dtype=np.float64).reshape(-1)
    if intercept.shape == (1,) and coef.shape[0] != 1:
        raise ValueError("multi-target linear models are not compiled")
    if intercept.shape != (coef.shape[0],):
        intercept = np.broadcast_to(intercept, (coef.shape[0],)).copy()
    return np.ascontiguousarray(coef), intercept
