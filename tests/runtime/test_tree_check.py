"""runtime.tree_check: every way a crafted HistGradientBoosting artifact could make predict
read out of bounds (or never end) is refused at load with a message naming it, and a
genuine model loads and predicts exactly as before."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from runtime import artifacts
from runtime.tree_check import GuardedTreePredictor
from tests.runtime.crafted import (
    child_past_the_end,
    crafted,
    first_tree,
    good_artifact,
    internal_nodes,
    iris_frame,
)


def _hgb(model: Any) -> Any:
    return model.named_steps["model"]


def child_before_parent(model: Any) -> None:
    tree = first_tree(model)
    tree.nodes["right"][internal_nodes(tree)[-1]] = 0  # back to the root: a cycle


def shared_child(model: Any) -> None:
    tree = first_tree(model)
    node = internal_nodes(tree)[0]
    tree.nodes["right"][node] = tree.nodes["left"][node]


def feature_past_the_row(model: Any) -> None:
    tree = first_tree(model)
    tree.nodes["feature_idx"][internal_nodes(tree)[0]] = 10_000


def negative_feature(model: Any) -> None:
    tree = first_tree(model)
    tree.nodes["feature_idx"][internal_nodes(tree)[0]] = -1


def fewer_features_declared(model: Any) -> None:
    _hgb(model).n_features_in_ = 1
    tree = first_tree(model)
    tree.nodes["feature_idx"][internal_nodes(tree)[0]] = 3


def categorical_bitset_out_of_range(model: Any) -> None:
    tree = first_tree(model)
    node = internal_nodes(tree)[0]
    tree.nodes["is_categorical"][node] = 1
    tree.nodes["bitset_idx"][node] = 1000


def categorical_split_on_numeric_feature(model: Any) -> None:
    tree = first_tree(model)
    node = internal_nodes(tree)[0]
    tree.nodes["is_categorical"][node] = 1
    tree.nodes["bitset_idx"][node] = 0
    tree.raw_left_cat_bitsets = np.zeros((1, 8), dtype=np.uint32)
    tree.binned_left_cat_bitsets = np.zeros((1, 8), dtype=np.uint32)


def narrow_bitsets(model: Any) -> None:
    first_tree(model).raw_left_cat_bitsets = np.zeros((1, 2), dtype=np.uint32)


def no_nodes(model: Any) -> None:
    tree = first_tree(model)
    tree.nodes = tree.nodes[:0]


def missing_trees(model: Any) -> None:
    _hgb(model)._predictors[0] = _hgb(model)._predictors[0][:1]


def stray_tree(model: Any) -> None:
    model.named_steps["preprocess"].spare = copy.deepcopy(first_tree(model))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (child_past_the_end, "a child index is past the end of its tree"),
        (child_before_parent, "a child index does not come after its parent"),
        (shared_child, "a node is not reached exactly once from its tree's root"),
        (feature_past_the_row, "a split's feature index is outside [0, "),
        (negative_feature, "a split's feature index is outside [0, "),
        (fewer_features_declared, "a split's feature index is outside [0, 1)"),
        (categorical_bitset_out_of_range, "bitset index is out of range"),
        (categorical_split_on_numeric_feature, "a categorical split is on a non-categorical"),
        (narrow_bitsets, "raw_left_cat_bitsets is not an (n, 8) uint32 array"),
        (no_nodes, "no nodes"),
        (missing_trees, "iteration 0 does not hold 3 trees"),
        (stray_tree, "1 TreePredictor(s) outside a HistGradientBoosting estimator"),
    ],
)
def test_a_crafted_tree_is_refused_at_load(mutate: Any, message: str) -> None:
    data = crafted(mutate)
    with pytest.raises(artifacts.ArtifactRejected, match="artifact refused") as refused:
        artifacts.skops_loads(data)
    assert message in str(refused.value)


def test_a_genuine_model_loads_guarded_and_predicts_as_before() -> None:
    import skops.io

    plain = skops.io.loads(good_artifact(), trusted=list(artifacts.TRUSTED_TYPES))
    checked = artifacts.skops_loads(good_artifact())
    trees = [tree for iteration in _hgb(checked)._predictors for tree in iteration]
    assert trees and all(type(tree) is GuardedTreePredictor for tree in trees)
    rows = iris_frame().drop(columns=["target"])
    assert np.array_equal(plain.predict_proba(rows), checked.predict_proba(rows))
    # The guard: a row narrower than the tree's features never reaches the Cython walk.
    tree = first_tree(checked)
    known, f_idx_map = _hgb(checked)._bin_mapper.make_known_categories_bitsets()
    with pytest.raises(ValueError, match="rows of at least"):
        tree.predict(np.zeros((1, 0)), known, f_idx_map, 1)
