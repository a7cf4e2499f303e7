"""The compiled path answers what scikit-learn answers: classification (binary and
multiclass) and regression, trees and linear models, with categorical and missing values,
through every entry point (one row, JSON rows, a table) and both tree engines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runtime.inference import NotCompilable, compile_pipeline, dumps, loads, verify
from runtime.inference.trees import TreeScorer
from runtime.trainers.base import Predictions
from tests.inference.data import unseen
from tests.support.inference import Fitted, fitted


def assert_same(reference: Predictions, got: Predictions) -> None:
    assert len(got.values) == len(reference.values) > 0
    if reference.probabilities is None:
        assert got.probabilities is None
        np.testing.assert_allclose(got.values, reference.values, rtol=1e-9, atol=1e-9)
        return
    assert got.values == reference.values
    assert got.probabilities is not None
    for ref, new in zip(reference.probabilities, got.probabilities, strict=True):
        assert ref.keys() == new.keys()
        assert max(abs(ref[k] - new[k]) for k in ref) < 1e-9


def test_table_path_equals_scikit_learn(case: Fitted) -> None:
    rows = pd.concat([case.frame, unseen(case.frame)], ignore_index=True)
    assert_same(case.trainer.predict(case.model, rows), case.compiled.predict_frame(rows))


def test_json_rows_and_single_rows_equal_scikit_learn(case: Fitted) -> None:
    frame = pd.concat([case.frame.iloc[:60], unseen(case.frame)], ignore_index=True)
    rows = case.schema.validate(verify.json_rows(frame, case.schema.names))
    reference = case.trainer.predict(case.model, frame)
    assert_same(reference, case.compiled.predict_rows(rows))
    singles = [case.compiled.predict_one(row) for row in rows]
    assert_same(reference, verify._concat(singles))


def test_both_tree_engines_agree_with_scikit_learn() -> None:
    case = fitted("multiclass-trees")
    scorer = case.compiled.scorer
    assert isinstance(scorer, TreeScorer)
    x = case.compiled.plan.encode_frame(case.frame)
    steps = case.model.named_steps
    raw = steps["model"]._raw_predict(steps["preprocess"].transform(_prepared(case.frame, case)))
    for engine in ("gtil", "table"):
        np.testing.assert_allclose(scorer.margins(x, engine=engine), raw, rtol=0, atol=1e-12)


def test_agreement_is_recorded_and_passes(case: Fitted) -> None:
    # As at training: the rows the trainer held out, one at a time, and the whole dataset;
    # here with rows no fit saw (a new category, missing values everywhere) in both.
    holdout = pd.concat([case.holdout, unseen(case.frame)], ignore_index=True)
    full = pd.concat([case.frame, unseen(case.frame)], ignore_index=True)
    agreement = verify.agreement(
        case.compiled, case.trainer, case.model, schema=case.schema, full=full, holdout=holdout
    )
    assert agreement.ok, agreement.reason
    assert agreement.classes_identical
    assert agreement.rows == agreement.json_rows == len(full)
    assert agreement.holdout_rows == len(holdout) == len(case.holdout) + 3
    assert 0 <= agreement.max_difference < 1e-9


def test_agreement_catches_a_model_that_answers_differently() -> None:
    a, b = fitted("multiclass-trees"), fitted("multiclass-linear")
    agreement = verify.agreement(
        b.compiled, a.trainer, a.model, schema=a.schema, full=a.frame, holdout=a.frame.iloc[:20]
    )
    assert not agreement.ok
    assert "different class" in (agreement.reason or "")


def test_round_trip_through_the_artifact(case: Fitted) -> None:
    loaded = loads(dumps(case.compiled))
    assert_same(case.compiled.predict_frame(case.frame), loaded.predict_frame(case.frame))
    assert dumps(loaded) == dumps(case.compiled)


def test_dropped_all_missing_column_is_still_a_validated_input() -> None:
    case = fitted("regression-trees")
    assert "empty" in case.schema.names
    (empty,) = [i for i in case.compiled.plan.inputs if i.name == "empty"]
    assert empty.column is None


@pytest.mark.parametrize(
    "build",
    [
        lambda: __import__("sklearn.neighbors").neighbors.KNeighborsClassifier(),
        lambda: __import__("sklearn.pipeline").pipeline.make_pipeline(
            __import__("sklearn.preprocessing").preprocessing.MinMaxScaler(),
            __import__("sklearn.tree").tree.DecisionTreeClassifier(),
        ),
    ],
    ids=["bare-estimator", "unsupported-steps"],
)
def test_models_outside_the_path_are_not_compilable(build) -> None:  # type: ignore[no-untyped-def]
    frame = fitted("multiclass-trees").frame
    x, y = frame[["x1", "x2"]].fillna(0).to_numpy(), frame["target"]
    model = build().fit(x, y)
    with pytest.raises(NotCompilable):
        compile_pipeline(model)


def test_an_unsupported_estimator_in_the_tabular_pipeline_is_named() -> None:
    from sklearn.ensemble import RandomForestClassifier

    case = fitted("multiclass-trees")
    pipeline = case.model.__class__(
        [("preprocess", case.model.named_steps["preprocess"]),
         ("model", RandomForestClassifier(n_estimators=3, random_state=0))]
    )  # fmt: skip
    pipeline.fit(case.frame.drop(columns=["target"]).pipe(_prepared, case), case.frame["target"])
    with pytest.raises(NotCompilable, match="RandomForestClassifier"):
        compile_pipeline(pipeline)


def _prepared(frame: pd.DataFrame, case: Fitted) -> pd.DataFrame:
    from runtime.trainers.tabular import _columns_of, _prepare

    numeric, categorical = _columns_of(case.model)
    return _prepare(frame, numeric, categorical)
