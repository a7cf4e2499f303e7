"""Predict rows checked against a version's input schema, one row at a time, before any
table is built or any model is touched.

A row must name every feature of the schema and nothing else (`null` is a missing value,
which the model imputes; so is NaN). A numeric feature takes a JSON number (not a string,
not a boolean, finite and representable as a float64); a categorical feature takes a
string, or a number or boolean, which is compared as its text. A boolean feature (a
categorical one whose categories are only "True" and "False": pandas read the CSV column as
booleans at training) takes `true`/`false` or the words pandas reads as booleans in a CSV
(`"true"`, `"True"`, `"TRUE"` and the same for false), normalised to its categories; any
other value (`1`, `"yes"`, `"t"`) is ambiguous and refused, where it used to become an
unknown category that the model silently ignored. Each refusal is a `RowError` naming the
row's index and the feature. The result holds only the schema's features, as float / str / None,
so the caller never builds more columns than the model has.

Many rows are checked column by column (`RowSchema.columns`): every row a dict with exactly
the schema's keys, each numeric column only numbers or null turned into one float64 array,
each categorical column only strings or null. Rows that pass those whole-column checks are
exactly the rows the per-row check accepts with those values, so the answer is the same; a
column that does not pass (a wrong type, a number too large, a category sent as a number)
sends the whole request through the per-row check, which names the first bad row and the
feature, or accepts it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# How many offending names an error message lists.
LISTED = 5
# pandas' C parser reads exactly these words as booleans (its default true_values and
# false_values), so a boolean column's categories are "True" and "False" whichever was used.
BOOLEAN_WORDS = {
    **dict.fromkeys(("True", "TRUE", "true"), "True"),
    **dict.fromkeys(("False", "FALSE", "false"), "False"),
}
BOOLEAN_CATEGORIES = frozenset(BOOLEAN_WORDS.values())


class RowError(ValueError):
    """A row does not fit the input schema."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"row {index}: {message}")
        self.index = index


# Validated rows, one entry per feature: a float64 array (NaN: missing) for a numeric
# feature, a list of str or None for a categorical one.
Columns = dict[str, Any]
_NUMBERS = frozenset({float, int, type(None)})
_TEXT = frozenset({str, type(None)})
_BOOLEAN_TEXT = frozenset({"True", "False", None})


@dataclass(frozen=True)
class RowSchema:
    numeric: frozenset[str]
    categorical: frozenset[str]
    names: tuple[str, ...]
    booleans: frozenset[str] = frozenset()  # categorical features read as booleans
    keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", frozenset(self.names))

    @classmethod
    def from_input_schema(cls, schema: Mapping[str, Any] | None) -> RowSchema | None:
        """The schema of the tabular trainers (`features`: name and kind); None when the
        version's schema has no such list (a plugin trainer with its own checks)."""
        features = (schema or {}).get("features")
        if not isinstance(features, list) or not features:
            return None
        numeric, categorical, booleans, names = set(), set(), set(), []
        for feature in features:
            if not isinstance(feature, Mapping) or not isinstance(feature.get("name"), str):
                return None
            kind = feature.get("kind")
            if kind == "numeric":
                numeric.add(feature["name"])
            elif kind == "categorical":
                categorical.add(feature["name"])
                categories = feature.get("categories")
                if (
                    isinstance(categories, list)
                    and categories
                    and all(isinstance(c, str) and c in BOOLEAN_CATEGORIES for c in categories)
                ):
                    booleans.add(feature["name"])
            else:
                return None
            names.append(feature["name"])
        if len(set(names)) != len(names):
            return None
        return cls(frozenset(numeric), frozenset(categorical), tuple(names), frozenset(booleans))

    def validate(self, rows: Sequence[Any]) -> list[dict[str, Any]]:
        return [self.validate_row(i, row) for i, row in enumerate(rows)]

    def columns(self, rows: Sequence[Any]) -> Columns:
        """The rows validated (as `validate` does, same errors) and turned into columns."""
        columns = self._whole_columns(rows)
        if columns is not None:
            return columns
        clean = self.validate(rows)  # raises RowError naming the first bad row
        out: Columns = {}
        for name in self.names:
            values = [row[name] for row in clean]
            out[name] = np.array(values, dtype=np.float64) if name in self.numeric else values
        return out

    def _whole_columns(self, rows: Sequence[Any]) -> Columns | None:
        """The columns when every row passes the whole-column checks, else None."""
        keys = self.keys
        # Set equality compares sizes first: a row wider than the model costs nothing more.
        if not all(type(row) is dict and row.keys() == keys for row in rows):
            return None
        out: Columns = {}
        for name in self.names:
            values = [row[name] for row in rows]
            kinds = set(map(type, values))
            if name in self.numeric:
                if not kinds <= _NUMBERS:
                    return None  # a string, a boolean...: the per-row check names it
                try:
                    # None becomes NaN, a missing value, as in the per-row check.
                    array = np.array(values, dtype=np.float64)
                except OverflowError:
                    return None
                if np.isinf(array).any():
                    return None
                out[name] = array
            else:
                if not kinds <= _TEXT:
                    return None  # numbers as categories are rare: the per-row check does them
                if name in self.booleans and not set(values) <= _BOOLEAN_TEXT:
                    return None  # "true", "yes"...: the per-row check normalises or names it
                out[name] = values
        return out

    def validate_row(self, index: int, row: Any) -> dict[str, Any]:
        if not isinstance(row, Mapping):
            raise RowError(index, f"must be an object of features, got {_kind(row)}")
        names = self.names
        if len(row) > len(names):
            # Checked first and cheaply: a row may not cost more than the model's width.
            extra = [k for k in row if k not in self.numeric and k not in self.categorical]
            raise RowError(
                index,
                f"has {len(row)} keys but the model takes {len(names)} features; "
                f"unknown: {_listed(extra)}",
            )
        out: dict[str, Any] = {}
        absent = []
        for name in names:
            if name not in row:
                absent.append(name)
                continue
            value = row[name]
            if name in self.numeric:
                out[name] = _number(index, name, value)
            elif name in self.booleans:
                out[name] = _boolean(index, name, value)
            else:
                out[name] = _category(index, name, value)
        if len(out) != len(row):
            extra = [k for k in row if k not in out]
            raise RowError(
                index, f"unknown features {_listed(extra)}; the model takes {_listed(list(names))}"
            )
        if absent:
            raise RowError(
                index, f"missing features {_listed(absent)} (send null for a missing value)"
            )
        return out


def _number(index: int, name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowError(index, f"feature {name!r} must be a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise RowError(index, f"feature {name!r} is too large for a float64") from None
    if math.isnan(number):
        return None  # NaN (which Python's JSON reads) is a missing value, as null is
    if math.isinf(number):
        raise RowError(index, f"feature {name!r} must be a finite number")
    return number


def _category(index: int, name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float):
        try:
            return str(value)
        except ValueError:  # an integer past Python's digit limit for str()
            raise RowError(index, f"feature {name!r} is too long a number") from None
    raise RowError(index, f"feature {name!r} must be a string, got {_kind(value)}")


def _boolean(index: int, name: str, value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[value]
    raise RowError(
        index,
        f"feature {name!r} is a boolean: send true or false (or the text true/false), "
        f"got {_shown(value)}",
    )


def _shown(value: Any) -> str:
    """A short, safe rendering of a refused value (a 400-digit integer is not printed)."""
    if isinstance(value, str):
        return repr(value[:40])
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e15:
        return repr(value)
    return _kind(value)


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(n[:50]) for n in names[:LISTED])
    more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return f"[{shown}{more}]"
