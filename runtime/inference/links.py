"""From margins to what a model answers: the inverse link of each estimator, in float64."""

from __future__ import annotations

import numpy as np

LINKS = ("identity", "logistic", "softmax")


def probabilities(link: str, margins: np.ndarray) -> np.ndarray:
    """Class probabilities (n, classes) from margins (n, outputs)."""
    if link == "softmax":
        shifted = margins - margins.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        out: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return out
    if link == "logistic":
        # expit, as scikit-learn's binary losses and LogisticRegression apply it.
        from scipy.special import expit

        p = expit(margins[:, 0])
        return np.column_stack([1.0 - p, p])
    raise ValueError(f"link {link!r} gives no probabilities")
