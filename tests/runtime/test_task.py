"""The task and label-set rules (runtime.datasets.task): pure logic, no storage."""

from __future__ import annotations

import pytest

from runtime.datasets.task import (
    CLASSIFICATION,
    DEFAULT,
    INFERRED,
    MAX_INFERRED_CLASSES,
    REGRESSION,
    STATED,
    InvalidLabel,
    TargetValues,
    class_label,
    decide,
    numeric_label,
)


def values(*texts: str) -> TargetValues:
    gathered = TargetValues()
    for line, text in enumerate(texts, start=2):
        gathered.add(text, line)
    return gathered


@pytest.mark.parametrize(
    ("texts", "task", "classes"),
    [
        (("0", "1", "1", "0"), CLASSIFICATION, ["0", "1"]),  # integer-coded classes
        (("1.0", "0.0", "1.0"), CLASSIFICATION, ["0.0", "1.0"]),  # integral, as spelled
        (("1", "1.0", "2"), CLASSIFICATION, ["1", "2"]),  # one number, its shortest spelling
        (("cat", "dog", "10"), CLASSIFICATION, ["10", "cat", "dog"]),
        (("True", "False"), CLASSIFICATION, ["False", "True"]),
        (("1.5", "2", "3"), REGRESSION, None),  # not all integral
        (tuple(str(i) for i in range(MAX_INFERRED_CLASSES + 1)), REGRESSION, None),
        (tuple(str(i) for i in range(MAX_INFERRED_CLASSES)), CLASSIFICATION, None),
    ],
)
def test_inferred_task(texts: tuple[str, ...], task: str, classes: list[str] | None) -> None:
    decided = decide(values(*texts), None)
    assert (decided.task, decided.source) == (task, INFERRED)
    if classes is not None:
        assert decided.classes == classes
    if task == CLASSIFICATION:
        assert set(decided.classes or []) == {decided.label_of(t) for t in texts}


def test_classes_sort_numbers_by_value() -> None:
    assert decide(values("10", "2", "1"), None).classes == ["1", "2", "10"]


def test_no_labels_default_to_an_empty_label_set() -> None:
    decided = decide(values(), None)
    assert (decided.task, decided.source, decided.classes) == (CLASSIFICATION, DEFAULT, [])


def test_stated_task_wins_and_is_checked() -> None:
    stated = decide(values("0", "1"), REGRESSION)
    assert (stated.task, stated.source, stated.label_of("1")) == (REGRESSION, STATED, 1)
    many = decide(values(*(str(i) for i in range(200))), CLASSIFICATION)
    assert many.task == CLASSIFICATION and len(many.classes or []) == 200
    with pytest.raises(ValueError, match=r"line 3: the target 'abc' is not a number"):
        decide(values("1.5", "abc"), REGRESSION)
    with pytest.raises(ValueError, match="task must be one of"):
        decide(values("1"), "ranking")


def test_class_label_matches_spellings_and_refuses_outsiders() -> None:
    classes = ["0", "1"]
    assert class_label(1, classes, new_class=False) == ("1", False)
    assert class_label(1.0, classes, new_class=False) == ("1", False)
    assert class_label("1.0", classes, new_class=False) == ("1", False)
    assert class_label("0", classes, new_class=False) == ("0", False)
    allowed = r"'malignant' is not in the dataset's label set \('0', '1'\)"
    with pytest.raises(InvalidLabel, match=allowed):
        class_label("malignant", classes, new_class=False)
    with pytest.raises(InvalidLabel, match="label set"):
        class_label(2, classes, new_class=False)
    assert class_label(2, classes, new_class=True) == ("2", True)
    assert class_label(1, ["0.0", "1.0"], new_class=False) == ("1.0", False)
    with pytest.raises(InvalidLabel):
        class_label(2.0, ["0.0", "1.0"], new_class=False)


def test_regression_labels_are_numbers() -> None:
    assert numeric_label(3) == 3 and numeric_label(2.5) == 2.5
    assert numeric_label("12") == 12 and numeric_label(" 1.5 ") == 1.5
    for bad in ("abc", True, "inf", float("nan")):
        with pytest.raises(InvalidLabel):
            numeric_label(bad)
