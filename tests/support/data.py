"""The data tests train and predict on: iris (it ships with scikit-learn) with record ids and
two categorical columns, as CSV bytes, as a stored dataset and as API rows."""

from __future__ import annotations

import functools
import io
import math
from typing import Any

import numpy as np

from runtime.datasets.ref import DatasetRef

IRIS = DatasetRef(key="datasets/iris.csv", name="iris", target="target", id_column="record_id")
# The upload form of the iris CSV (tests.support.api.Api.upload).
IRIS_FIELDS = {"name": "iris", "target": "target", "id_column": "record_id"}
FEATURES = (
    "sepal length (cm)",
    "sepal width (cm)",
    "petal length (cm)",
    "petal width (cm)",
)


def iris_csv() -> bytes:
    """Iris with a record id and two categorical columns (one informative, one noise) so the
    pipeline's categorical preprocessing is exercised, including a missing value."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    rng = np.random.default_rng(0)
    frame.insert(0, "record_id", [f"r{i:03d}" for i in range(len(frame))])
    frame["petal_size"] = np.select(
        [frame["petal length (cm)"] < 2.5, frame["petal length (cm)"] < 5.0],
        ["small", "medium"],
        "large",
    )
    frame["colour"] = rng.choice(["red", "green", "blue"], len(frame))
    frame.loc[7, "colour"] = None
    return frame.to_csv(index=False).encode()


def train_params(model: str = "iris", **trainer_params: Any) -> dict[str, Any]:
    """The params of a `train` job on the stored iris CSV."""
    return {"model": model, "dataset": IRIS.to_json(), "params": trainer_params}


def row(index: int = 0) -> dict[str, Any]:
    """A feature row of iris (as the API takes it)."""
    return dict(_rows()[index])


@functools.cache
def _rows() -> list[dict[str, Any]]:
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(iris_csv())).drop(columns=["target", "record_id"])
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}
        for record in frame.to_dict("records")
    ]


SPECIES = ("setosa", "versicolor", "virginica")


def species_csv(blank_every: int = 4) -> tuple[bytes, set[str]]:
    """Iris with species names as labels and every `blank_every`-th record's label blank
    (38 of 150 by default); the blank records' ids."""
    import csv

    rows = list(csv.DictReader(io.StringIO(iris_csv().decode())))
    blank: set[str] = set()
    for i, record in enumerate(rows):
        record["target"] = SPECIES[int(record["target"])]
        if i % blank_every == 0:
            record["target"] = ""
            blank.add(record["record_id"])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(), blank


# How a CSV may spell booleans: pandas reads each pair as True and False.
BOOLEAN_SPELLINGS = (("True", "False"), ("true", "false"), ("TRUE", "FALSE"))


def flags_csv(rows: int = 60) -> bytes:
    """A dataset with a boolean feature: `member` (spelled three ways) decides `target`
    ("yes"/"no"); `x` (a number) and `colour` (text) are noise."""
    lines = ["record_id,x,member,colour,target"]
    for i in range(rows):
        member = i % 2 == 0
        word = BOOLEAN_SPELLINGS[i % 3][0 if member else 1]
        colour = ("red", "green")[i // 2 % 2]
        lines.append(f"r{i},{i % 7}.5,{word},{colour},{'yes' if member else 'no'}")
    return ("\n".join(lines) + "\n").encode()
