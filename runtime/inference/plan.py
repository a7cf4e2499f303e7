"""The input plan: what a fitted ColumnTransformer does to a row, as plain numbers.

Numeric inputs are imputed then standardised, `(x - mean) / scale`, the same float64
operations in the same order as SimpleImputer + StandardScaler, so the results are
bit-identical. Categorical inputs are imputed then one-hot encoded against the fitted
vocabulary; an unknown category sets no column (OneHotEncoder's `handle_unknown="ignore"`).
An input whose column the imputer dropped (every value missing at fit) feeds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class NumericInput:
    name: str
    column: int | None  # output column; None: dropped by the imputer
    fill: float = 0.0
    mean: float = 0.0
    scale: float = 1.0

    @property
    def width(self) -> int:
        return 0 if self.column is None else 1


@dataclass(frozen=True)
class CategoricalInput:
    name: str
    column: int | None  # first one-hot column; None: dropped by the imputer
    fill: str = ""
    categories: tuple[str, ...] = ()
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.categories)})

    @property
    def width(self) -> int:
        return 0 if self.column is None else len(self.categories)


Input = NumericInput | CategoricalInput


@dataclass(frozen=True)
class InputPlan:
    inputs: tuple[Input, ...]
    width: int

    def __post_init__(self) -> None:
        if len(set(self.names)) != len(self.inputs):
            raise ValueError("an input is named twice")
        # Each kept input owns [column, column + width) and together they tile the output.
        spans = sorted((i.column, i.width) for i in self.inputs if i.column is not None)
        position = 0
        for column, width in spans:
            if column != position or width < 1:
                raise ValueError("input columns do not tile the model's feature matrix")
            position += width
        if position != self.width:
            raise ValueError(f"inputs cover {position} columns, the model takes {self.width}")

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.inputs]

    def fill_row(self, row: Mapping[str, Any], out: np.ndarray) -> None:
        """Encode one validated row (numbers as float or None, categories as str or None)
        into `out`, a zeroed float64 vector of `width`."""
        for spec in self.inputs:
            column = spec.column
            if column is None:
                continue
            value = row[spec.name]
            if isinstance(spec, NumericInput):
                x = spec.fill if value is None else value
                out[column] = (x - spec.mean) / spec.scale
            else:
                code = spec.index.get(spec.fill if value is None else value)
                if code is not None:
                    out[column + code] = 1.0

    def encode_columns(self, columns: Mapping[str, Any], n: int) -> np.ndarray:
        """Encode `n` validated rows given as columns (see `rows.RowSchema.columns`): float64
        arrays with NaN for a missing number, lists of str or None for categories."""
        out = np.zeros((n, self.width))
        for spec in self.inputs:
            column = spec.column
            if column is None:
                continue
            values = columns[spec.name]
            if isinstance(spec, NumericInput):
                x = np.where(np.isnan(values), spec.fill, values)
                out[:, column] = (x - spec.mean) / spec.scale
            else:
                index, fill = spec.index, spec.fill
                codes = np.fromiter(
                    (index.get(fill if v is None else v, -1) for v in values), np.int64, n
                )
                hit = codes >= 0
                out[np.flatnonzero(hit), column + codes[hit]] = 1.0
        return out

    def encode_rows(self, rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Encode validated rows (numbers as float or None, categories as str or None)."""
        columns = {
            spec.name: (
                np.array([r[spec.name] for r in rows], dtype=np.float64)  # None: NaN
                if isinstance(spec, NumericInput)
                else [r[spec.name] for r in rows]
            )
            for spec in self.inputs
            if spec.column is not None
        }
        return self.encode_columns(columns, len(rows))

    def encode_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode a table as read from CSV, with the conversions the tabular trainer applies
        (numbers coerced, unparseable ones missing; categories as `str(value)`)."""
        import pandas as pd

        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise ValueError(f"rows lack the model's input columns: {missing}")
        out = np.zeros((len(frame), self.width))
        for spec in self.inputs:
            column = spec.column
            if column is None:
                continue
            if isinstance(spec, NumericInput):
                x = pd.to_numeric(frame[spec.name], errors="coerce").to_numpy(
                    float, na_value=np.nan
                )
                if np.isinf(x).any():
                    raise ValueError(f"column {spec.name!r} holds an infinite value")
                x = np.where(np.isnan(x), spec.fill, x)
                out[:, column] = (x - spec.mean) / spec.scale
            else:
                index, fill = spec.index, spec.fill
                codes = np.fromiter(
                    (index.get(fill if pd.isna(v) else str(v), -1) for v in frame[spec.name]),
                    np.int64,
                    len(frame),
                )
                hit = codes >= 0
                out[np.flatnonzero(hit), column + codes[hit]] = 1.0
        return out
