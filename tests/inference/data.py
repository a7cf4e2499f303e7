"""Small tables for the compiled-path tests: numbers and categories, with missing values,
an all-missing column and a category seen only at predict time."""

from __future__ import annotations

import numpy as np
import pandas as pd


def mixed(task: str, *, classes: int = 3, rows: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.uniform(-3, 3, size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows).astype(object)
    size = rng.choice(["S", "M", "L", "XL"], size=rows).astype(object)
    flag = rng.choice([True, False], size=rows)
    score = x1 + 0.5 * x2 + (colour == "red") - 0.7 * (size == "XL") + 0.2 * flag
    frame = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "size": size, "flag": flag})
    # Missing values in numbers and in categories; one column never observed at all.
    frame.loc[rng.random(rows) < 0.1, "x1"] = np.nan
    frame.loc[rng.random(rows) < 0.1, "colour"] = np.nan
    frame["empty"] = np.nan
    if task == "regression":
        frame["target"] = score + rng.normal(scale=0.1, size=rows)
    else:
        edges = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
        labels = np.array([f"c{i}" for i in range(classes)])
        frame["target"] = labels[np.searchsorted(edges, score)]
    return frame


def unseen(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows the model never saw: a new category, missing values everywhere."""
    extra = frame.drop(columns=["target"]).iloc[:3].copy()
    extra["colour"] = ["purple", None, "red"]
    extra["x2"] = [np.nan, 0.0, np.nan]
    return extra
