"""A compiled model: input plan, scorer, link. Answers in the trainer's `Predictions` shape,
so a caller cannot tell which path answered except by speed."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from runtime.inference.linear import LinearScorer
from runtime.inference.links import probabilities
from runtime.inference.plan import InputPlan
from runtime.inference.trees import BLOCK_ROWS, TABLE_ROWS, TreeScorer, cpus
from runtime.trainers.base import Predictions

if TYPE_CHECKING:
    import pandas as pd

Scorer = TreeScorer | LinearScorer
TASKS = ("classification", "regression")


class CompiledModel:
    def __init__(
        self,
        plan: InputPlan,
        scorer: Scorer,
        *,
        task: str,
        link: str,
        classes: list[str | int] | None,
    ) -> None:
        if scorer.width != plan.width:
            raise ValueError(f"scorer takes {scorer.width} features, the plan makes {plan.width}")
        if task == "regression":
            if link != "identity" or classes is not None or scorer.outputs != 1:
                raise ValueError("a regression has one output, no classes and no link")
        elif task == "classification":
            if classes is None or len(classes) < 2 or len(set(map(str, classes))) != len(classes):
                raise ValueError("a classifier needs at least two distinct classes")
            expected = {"softmax": len(classes), "logistic": 1}.get(link)
            if (
                expected is None
                or scorer.outputs != expected
                or (link == "logistic") != (len(classes) == 2)
            ):
                raise ValueError(f"link {link!r} with {scorer.outputs} outputs does not fit "
                                 f"{len(classes)} classes")  # fmt: skip
        else:
            raise ValueError(f"task must be one of {TASKS}, got {task!r}")
        self.plan = plan
        self.scorer = scorer
        self.task = task
        self.link = link
        self.classes = classes
        self._keys = [str(c) for c in classes] if classes is not None else []
        self._buffers = threading.local()  # one preallocated input row per serving thread

    @property
    def kind(self) -> str:
        return "trees" if isinstance(self.scorer, TreeScorer) else "linear"

    def warm(self) -> None:
        """Run both entry points once on zeros, so that the first request pays for no
        import or first-call setup (the API does this before it says it is ready)."""
        self.predict_matrix(np.zeros((1, self.plan.width)))
        self.predict_matrix(np.zeros((TABLE_ROWS, self.plan.width)))
        if cpus() > 1:  # the table's block threads too
            self.predict_matrix(np.zeros((BLOCK_ROWS * cpus(), self.plan.width)))

    def predict_one(self, row: Mapping[str, Any]) -> Predictions:
        """One validated row (see `rows.RowSchema`), through a preallocated array."""
        buffer = getattr(self._buffers, "row", None)
        if buffer is None:
            buffer = self._buffers.row = np.zeros((1, self.plan.width))
        else:
            buffer.fill(0.0)
        self.plan.fill_row(row, buffer[0])
        return self.predict_matrix(buffer)

    def predict_rows(self, rows: Sequence[Mapping[str, Any]]) -> Predictions:
        """Validated rows (see `rows.RowSchema`)."""
        return self.predict_matrix(self.plan.encode_rows(rows))

    def predict_columns(self, columns: Mapping[str, Any], n: int) -> Predictions:
        """`n` validated rows as columns (see `rows.RowSchema.columns`)."""
        return self.predict_matrix(self.plan.encode_columns(columns, n))

    def predict_frame(self, frame: pd.DataFrame) -> Predictions:
        """A table read from CSV (extra columns ignored)."""
        return self.predict_matrix(self.plan.encode_frame(frame))

    def predict_matrix(self, x: np.ndarray) -> Predictions:
        margins = self.scorer.margins(x)
        if self.classes is None:
            return Predictions(values=margins[:, 0].tolist())
        matrix = probabilities(self.link, margins)
        classes = self.classes
        values = [classes[i] for i in matrix.argmax(axis=1).tolist()]
        keys = self._keys
        # zip without strict: the matrix has one column per class by construction, and the
        # check doubles the cost of building the dicts (~6 against ~12 ms for 17,800 rows).
        return Predictions(
            values=values,
            probabilities=[dict(zip(keys, p)) for p in matrix.tolist()],  # noqa: B905
        )
