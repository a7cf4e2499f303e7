"""The model card: computed at training on the held-out split, stored on the version, on
every backend; its numbers are scikit-learn's on the same split."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from runtime import jobs, model_card
from runtime.datasets.ref import DatasetRef, read_dataset
from runtime.registry import Registry
from runtime.trainers.base import FitResult, Predictions, Trainer
from runtime.trainers.tabular import TabularTrainer
from tests.rigs.base import Rig
from tests.support.data import FEATURES, IRIS, train_params
from tests.support.env import Env, new_env
from tests.support.waiting import wait_for


def _trained(env: Env, params: dict[str, Any]) -> None:
    """Enqueue a train job and run it with an in-process worker until it succeeds."""
    worker = env.worker()
    job = jobs.enqueue(env.adapters, "train", params)

    def done() -> jobs.Job | None:
        worker.run_once(wait_seconds=0.2)
        found = jobs.get(env.adapters.documents, job.id)
        return found if found.state in jobs.TERMINAL else None

    finished = wait_for(done, timeout=60, interval=0, what=f"job {job.id}")
    assert finished.state == "succeeded", finished.data


def _held_out(frame: pd.DataFrame, target: str, *, stratify: bool) -> pd.DataFrame:
    """The rows the default trainer holds out: the same call, seed and fraction."""
    from sklearn.model_selection import train_test_split

    labelled = frame[frame[target].notna()]
    _, held_out = train_test_split(
        labelled, test_size=0.2, random_state=0, stratify=labelled[target] if stratify else None
    )
    return held_out


def test_card_confusion_matrix_is_scikit_learns_on_the_same_split(env: Env) -> None:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    _trained(env, train_params())
    registry = Registry(env.adapters)
    version = registry.get_version("iris", 1)
    card = version.data["card"]

    frame, digest = read_dataset(env.adapters.blobs, IRIS)
    held_out = _held_out(frame.drop(columns=["record_id"]), "target", stratify=True)
    trainer, model = registry.load(version)
    predicted = [str(v) for v in trainer.predict(model, held_out).values]
    truth = [str(v) for v in held_out["target"]]
    classes = card["classification"]["classes"]
    assert classes == ["0", "1", "2"]
    expected = confusion_matrix(truth, predicted, labels=classes)
    assert card["classification"]["confusion_matrix"] == expected.tolist()
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=classes, zero_division=0
    )
    for i, row in enumerate(card["classification"]["per_class"]):
        assert row["class"] == classes[i]
        assert (row["precision"], row["recall"], row["f1"], row["support"]) == pytest.approx(
            (precision[i], recall[i], f1[i], support[i])
        )
    assert np.trace(expected) / expected.sum() == pytest.approx(version.metrics["accuracy"])

    assert card["task"] == "classification"
    assert card["rows"] == {"training": 120, "evaluation": 30}
    assert card["dataset"] == version.data["dataset"] and card["dataset"]["sha256"] == digest
    assert card["params"]["estimator"] == "hist_gradient_boosting"
    importance = card["importance"]
    names = [f["name"] for f in importance["features"]]
    assert sorted(names) == sorted([*FEATURES, "petal_size", "colour"])
    assert importance["features_total"] == 6 and importance["rows"] == 30
    assert importance["repeats"] == model_card.MAX_REPEATS
    means = [f["mean"] for f in importance["features"]]
    assert means == sorted(means, reverse=True)
    # Petals separate iris; the colour column is noise.
    assert names[0] in ("petal length (cm)", "petal width (cm)", "petal_size")
    assert means[0] > 0.05 and means[0] > means[names.index("colour")]
    assert importance["baseline"] == pytest.approx(version.metrics["accuracy"])


def test_regression_card_summarizes_the_residuals(local_env: Env) -> None:
    env = local_env
    frame, _ = read_dataset(env.adapters.blobs, IRIS)
    target = "petal width (cm)"
    numeric = frame.drop(columns=["target"])
    env.adapters.blobs.put("datasets/widths.csv", numeric.to_csv(index=False).encode())
    ref = DatasetRef(key="datasets/widths.csv", name="widths", target=target, id_column="record_id")
    _trained(env, {"model": "widths", "dataset": ref.to_json(), "params": {"estimator": "linear"}})
    registry = Registry(env.adapters)
    version = registry.get_version("widths", 1)
    card = version.data["card"]
    assert card["task"] == "regression" and "classification" not in card

    held_out = _held_out(numeric.drop(columns=["record_id"]), target, stratify=False)
    trainer, model = registry.load(version)
    residuals = held_out[target].to_numpy() - np.asarray(trainer.predict(model, held_out).values)
    summary = card["regression"]["residuals"]
    assert summary["count"] == len(held_out) == card["rows"]["evaluation"]
    assert summary["mean"] == pytest.approx(residuals.mean())
    assert summary["median"] == pytest.approx(np.median(residuals))
    assert summary["rmse"] == pytest.approx(version.metrics["rmse"])
    assert sum(card["regression"]["histogram"]["counts"]) == len(held_out)
    assert card["importance"]["metric"] == "r2"


@pytest.fixture
def local_env(local_rig: Rig, tmp_path: Path) -> Env:
    return new_env(local_rig, tmp_path / "env")


# ----------------------------------------------------------------------- pure logic


class ColumnTrainer(Trainer):
    """Predicts the value of column `a` (so only `a` matters), counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def fit(self, frame: pd.DataFrame, target: str, params: Any) -> FitResult:
        raise NotImplementedError

    def predict(self, model: Any, rows: pd.DataFrame) -> Predictions:
        self.calls += 1
        return Predictions(values=[str(v) for v in rows["a"]])

    def input_schema(self, model: Any) -> dict[str, Any]:
        return {}


def test_importance_is_bounded_and_measures_what_the_model_uses() -> None:
    rng = np.random.default_rng(0)
    n, width = 2000, 60
    x = pd.DataFrame({f"f{i}": rng.normal(size=n) for i in range(width)})
    x["a"] = rng.integers(0, 3, size=n)
    truth = x["a"].astype(str)
    trainer = ColumnTrainer()
    result = model_card.importance(trainer, None, x, truth, "classification")
    repeats = model_card.IMPORTANCE_PREDICTIONS // (width + 1)
    assert result["repeats"] == repeats
    stacked = result["rows"] * ((width + 1) * repeats + 1)
    assert model_card.MIN_IMPORTANCE_ROWS <= result["rows"] <= model_card.IMPORTANCE_ROWS
    assert stacked <= model_card.STACKED_ROWS
    assert trainer.calls == math.ceil(stacked / model_card.PREDICT_CHUNK_ROWS)
    # Only `a` decides the prediction: shuffling it costs about 2/3 of the accuracy (three
    # even classes), shuffling anything else costs exactly nothing.
    top, *rest = result["features"]
    assert top["name"] == "a" and 0.55 < top["mean"] < 0.78 and result["baseline"] == 1.0
    assert all(f["mean"] == 0.0 and f["std"] == 0.0 for f in rest)
    assert len(result["features"]) == model_card.TOP_FEATURES
    assert result["features_total"] == width + 1


def test_regression_importance_is_the_drop_in_r2() -> None:
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})

    class Identity(ColumnTrainer):
        def predict(self, model: Any, rows: pd.DataFrame) -> Predictions:
            return Predictions(values=[float(v) for v in rows["a"]])

    result = model_card.importance(Identity(), None, x, x["a"], "regression")
    assert result["metric"] == "r2" and result["baseline"] == pytest.approx(1.0)
    by_name = {f["name"]: f["mean"] for f in result["features"]}
    # Shuffled, `a` is independent of the truth: R² falls to about -1 (a drop of about 2).
    assert 1.6 < by_name["a"] < 2.4 and by_name["b"] == 0.0


def test_classes_in_numeric_order_and_the_most_frequent_kept() -> None:
    truth = pd.Series(["10", "2", "2", "1", "10"])
    card = model_card.classification(truth, ["10", "2", "1", "1", "2"])
    assert card["classes"] == ["1", "2", "10"]
    assert card["confusion_matrix"] == [[1, 0, 0], [1, 1, 0], [0, 1, 1]]

    many = pd.Series([f"c{i}" for i in range(80)] + ["c7"] * 5)
    truncated = model_card.classification(many, list(many))
    assert truncated["classes_total"] == 80
    assert len(truncated["classes"]) == model_card.MAX_CLASSES and "c7" in truncated["classes"]
    assert len(truncated["confusion_matrix"]) == model_card.MAX_CLASSES


def test_a_trainer_without_held_out_rows_gets_a_card_without_evaluation() -> None:
    fit = FitResult(model=None, metrics={"accuracy": 1.0}, params={"n_train": 10})
    card = model_card.build(TabularTrainer(), fit, task="classification", dataset={"name": "d"})
    assert card["evaluation"] is None and "held-out" in card["note"]
    assert card["rows"] == {"training": 10, "evaluation": None}
    assert "importance" not in card and math.isfinite(card["seconds"])
