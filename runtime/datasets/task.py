"""What a dataset's target is: its task (classification or regression) and, for
classification, its label set (the classes). Both are facts of the dataset, decided at
upload and stored on its description, so training and labelling never guess them from
whatever the labels happen to look like later.

The rule, when the upload does not state the task: a target whose non-blank values are all
numbers, all integral, with at most `MAX_INFERRED_CLASSES` distinct values, is
integer-coded classes (0/1 with blanks, say, which pandas would read as floats); other
numbers are a quantity to regress; anything else (text, booleans) is classes. With no
labels to go by, it is classification with an empty label set.

Classes keep the spelling the file gives them ("0", not "0.0"). Numerically equal
spellings of one number ("1" and "1.0") are one class, spelled the shortest way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CLASSIFICATION, REGRESSION = "classification", "regression"
TASKS = (CLASSIFICATION, REGRESSION)
# Where the task came from: said at upload, inferred from the target's values, or the
# default for a dataset uploaded without labels.
STATED, INFERRED, DEFAULT = "stated", "inferred", "default"
MAX_INFERRED_CLASSES = 20
# A label set is stored on the dataset's description (a size-capped document).
MAX_CLASSES = 1000
MAX_CLASS_CHARS = 1000


class InvalidLabel(ValueError):
    """A label that does not fit its dataset's task or label set; nothing was written."""


def number(text: str) -> float | None:
    """The finite number `text` spells, or None (for text, NaN or infinity)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _shortest(spellings: Iterable[str]) -> str:
    return min(spellings, key=lambda s: (len(s), s))


def sort_classes(classes: Iterable[str]) -> list[str]:
    """Numbers by value, then text (so 2 comes before 10)."""

    def key(text: str) -> tuple[int, float, str]:
        value = number(text)
        return (0, value, text) if value is not None else (1, 0.0, text)

    return sorted(set(classes), key=key)


@dataclass
class TargetValues:
    """What an upload's target column holds, gathered one value at a time."""

    count: int = 0
    distinct: dict[str, int] = field(default_factory=dict)  # spelling -> rows, while few
    overflow: bool = False  # more than MAX_CLASSES spellings: counting stopped
    numeric: bool = True
    integral: bool = True
    first_text: tuple[int, str] | None = None  # (line, value) of the first non-number

    def add(self, value: str, line: int) -> None:
        self.count += 1
        if not self.overflow:
            self.distinct[value] = self.distinct.get(value, 0) + 1
            if len(self.distinct) > MAX_CLASSES:
                self.overflow, self.distinct = True, {}
        if self.numeric:
            parsed = number(value)
            if parsed is None:
                self.numeric = self.integral = False
                self.first_text = (line, value)
            elif self.integral and not parsed.is_integer():
                self.integral = False

    def not_a_number(self, why: str) -> str:
        """The refusal of a regression target that holds text: where, and `why` it must be
        a number."""
        line, text = self.first_text or (0, "")
        return (
            f"line {line}: the target {text[:40]!r} is not a number, and {why} "
            "(leave it blank if it is unknown)"
        )


@dataclass(frozen=True)
class Target:
    """The decided task; for classification, the classes and how each spelling in the file
    maps to its class."""

    task: str
    source: str
    classes: list[str] | None = None
    spellings: Mapping[str, str] = field(default_factory=dict)

    def label_of(self, text: str) -> str | int | float:
        """The label a record stores for the file's `text` (already known not missing)."""
        if self.task == REGRESSION:
            return numeric_label(text)
        return self.spellings.get(text, text)


def decide(values: TargetValues, stated: str | None) -> Target:
    """The task of an upload's target (ValueError if the values cannot be that task)."""
    if stated is not None and stated not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {stated!r}")
    if stated is None:
        if values.count == 0:
            return Target(CLASSIFICATION, DEFAULT, [])
        few = not values.overflow and len(values.distinct) <= MAX_INFERRED_CLASSES
        is_regression = values.numeric and not (values.integral and few)
        task, source = (REGRESSION if is_regression else CLASSIFICATION), INFERRED
    else:
        task, source = stated, STATED
    if task == REGRESSION:
        if not values.numeric:
            raise ValueError(values.not_a_number("regression targets must be numbers"))
        return Target(REGRESSION, source)
    if values.overflow:
        raise ValueError(
            f"the target has more than {MAX_CLASSES} distinct values, too many classes for "
            "classification: upload it with task regression if it is a quantity"
        )
    long = [s for s in values.distinct if len(s) > MAX_CLASS_CHARS]
    if long:
        raise ValueError(f"a class may have at most {MAX_CLASS_CHARS} characters: {long[0][:40]!r}")
    spellings = _merge_numeric(values.distinct) if values.numeric else {}
    classes = sort_classes(spellings.get(s, s) for s in values.distinct)
    return Target(CLASSIFICATION, source, classes, spellings)


def _merge_numeric(distinct: Iterable[str]) -> dict[str, str]:
    """Each spelling of a number -> the shortest spelling of that number."""
    groups: dict[float, list[str]] = {}
    for text in distinct:
        value = number(text)
        assert value is not None  # only called when every value is a number
        groups.setdefault(value, []).append(text)
    return {text: _shortest(group) for group in groups.values() for text in group}


def numeric_label(value: Any) -> int | float:
    """A regression label as the number it is (an integer stays one); InvalidLabel if it is
    not a finite number."""
    if isinstance(value, bool):
        raise InvalidLabel(f"regression labels must be numbers, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidLabel("a label must be a finite number")
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            parsed = number(text)
            if parsed is not None:
                return parsed
    raise InvalidLabel(f"regression labels must be numbers, got {str(value)[:40]!r}")


def class_label(value: Any, classes: Sequence[str], *, new_class: bool) -> tuple[str, bool]:
    """The class `value` names, and whether it is new (only with `new_class`). A number
    matches the class spelling the same number ("1" for 1 or 1.0); InvalidLabel if it names
    no class and `new_class` is not set, naming the allowed values."""
    text = _as_text(value)
    if text in classes:
        return text, False
    wanted = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if wanted is None and isinstance(value, str):
        wanted = number(value)
    if wanted is not None:
        same = [c for c in classes if number(c) == wanted]
        if len(same) == 1:
            return same[0], False
    if new_class:
        if len(classes) >= MAX_CLASSES:
            raise InvalidLabel(f"a dataset may have at most {MAX_CLASSES} classes")
        return text, True
    shown = ", ".join(repr(c) for c in classes[:50]) + (" ..." if len(classes) > 50 else "")
    raise InvalidLabel(
        f"label {text[:40]!r} is not in the dataset's label set ({shown or 'empty'}); "
        "to add it as a new class, say so (`new_class` in the API, `--new-class` in the CLI)"
    )


def _as_text(value: Any) -> str:
    """How a class is spelled when the label arrives as JSON: 3 and 3.0 are "3"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
