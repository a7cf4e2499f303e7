"""What makes trusting scikit-learn's `TreePredictor` safe: every loaded tree is checked.

skops refuses `TreePredictor` by default because its Cython predict walks the node array
with no bounds checks: a crafted artifact (a child index past the end, a feature index past
the row, a categorical split pointing outside its bitsets) loads fine and then reads
arbitrary memory, or loops for ever, at the first predict. This module checks, against
scikit-learn 1.9.1's `_predictor.pyx` and `PREDICTOR_RECORD_DTYPE`, everything that Cython
code indexes:

- the node array: one dimension, at least one node, the exact record dtype;
- internal nodes (`is_leaf == 0`): both children inside the array and after the node
  itself (scikit-learn numbers nodes depth first, so every walk ends), every node but the
  root the child of exactly one internal node (one tree), feature indices below the owning
  estimator's `n_features_in_`: `runtime.tree_links`, the check the compiled path's tree
  arrays pass too;
- categorical splits: `bitset_idx` inside the bitset arrays, which are (n, 8) uint32, and
  the split's feature known as categorical to the estimator's bin mapper (predict reads
  `known_cat_bitsets[f_idx_map[feature_idx]]`);
- the estimator: `_predictors` a list of iterations of `n_trees_per_iteration_` trees, and
  no `TreePredictor` anywhere outside an estimator's `_predictors`.

Metadata such as `n_features_in_` comes from the same artifact, so each checked tree is also
given a predict that refuses a row narrower than its largest feature index: whatever a
crafted preprocessor hands it, the Cython code never reads past a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import BaseHistGradientBoosting
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

from runtime.tree_links import check_links


class UnsafeTree(ValueError):
    """A tree whose arrays would let predict read out of bounds or never end."""


class GuardedTreePredictor(TreePredictor):
    """A TreePredictor whose arrays `_check_tree` accepted; its predict also refuses rows
    narrower than the tree's largest feature index."""

    _mlpoc_min_width = 0

    def predict(self, X: Any, known_cat_bitsets: Any, f_idx_map: Any, n_threads: int) -> Any:
        if getattr(X, "ndim", 0) != 2 or X.shape[1] < self._mlpoc_min_width:
            raise ValueError(
                f"the model's trees need rows of at least {self._mlpoc_min_width} features, "
                f"got shape {getattr(X, 'shape', None)}"
            )
        return super().predict(X, known_cat_bitsets, f_idx_map, n_threads)


def check_trees(model: Any) -> None:
    """Check every TreePredictor reachable from `model` (UnsafeTree if one is unsafe) and
    give each the row-width guard."""
    estimators, trees = [], []
    for obj in _reachable(model):
        if isinstance(obj, BaseHistGradientBoosting):
            estimators.append(obj)
        elif isinstance(obj, TreePredictor):
            trees.append(obj)
    owned: set[int] = set()
    for estimator in estimators:
        owned.update(id(tree) for tree in _check_estimator(estimator))
    stray = [tree for tree in trees if id(tree) not in owned]
    if stray:
        raise UnsafeTree(
            f"{len(stray)} TreePredictor(s) outside a HistGradientBoosting estimator's trees"
        )


def _check_estimator(estimator: Any) -> list[Any]:
    name = type(estimator).__name__
    predictors = getattr(estimator, "_predictors", None)
    if predictors is None:
        return []  # not fitted: it cannot predict, and holds no trees
    n_features = getattr(estimator, "n_features_in_", None)
    per_iteration = getattr(estimator, "n_trees_per_iteration_", None)
    if not isinstance(n_features, int) or n_features < 1:
        raise UnsafeTree(f"{name}: n_features_in_ is {n_features!r}")
    if not isinstance(per_iteration, int) or per_iteration < 1:
        raise UnsafeTree(f"{name}: n_trees_per_iteration_ is {per_iteration!r}")
    known, f_idx_map = _known_categories(estimator)
    if not isinstance(predictors, list):
        raise UnsafeTree(f"{name}: _predictors is a {type(predictors).__name__}, not a list")
    trees = []
    for iteration, of_iteration in enumerate(predictors):
        if not isinstance(of_iteration, list) or len(of_iteration) != per_iteration:
            raise UnsafeTree(f"{name}: iteration {iteration} does not hold {per_iteration} trees")
        for k, tree in enumerate(of_iteration):
            if type(tree) not in (TreePredictor, GuardedTreePredictor):
                raise UnsafeTree(f"{name}: tree {iteration}/{k} is a {type(tree).__name__}")
            where = f"{name} tree {iteration}/{k}"
            _check_tree(tree, where, n_features=n_features, known=known, f_idx_map=f_idx_map)
            trees.append(tree)
    return trees


def _known_categories(estimator: Any) -> tuple[np.ndarray, np.ndarray]:
    """What predict passes every tree for categorical splits, computed the same way
    (`_bin_mapper.make_known_categories_bitsets`, deterministic in the loaded state)."""
    try:
        known, f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
    except Exception as exc:
        raise UnsafeTree(f"the estimator's bin mapper is unusable: {exc}") from None
    known, f_idx_map = np.asarray(known), np.asarray(f_idx_map)
    if known.ndim != 2 or known.shape[1] != 8 or f_idx_map.ndim != 1:
        raise UnsafeTree("the estimator's known-category bitsets have the wrong shape")
    return known, f_idx_map


def _check_tree(
    tree: Any, where: str, *, n_features: int, known: np.ndarray, f_idx_map: np.ndarray
) -> None:
    nodes = tree.nodes
    if (
        not isinstance(nodes, np.ndarray)
        or nodes.dtype != PREDICTOR_RECORD_DTYPE
        or nodes.ndim != 1
    ):
        raise UnsafeTree(f"{where}: nodes are not a 1-d array of scikit-learn's node records")
    count = len(nodes)
    if count == 0:
        raise UnsafeTree(f"{where}: no nodes")
    try:
        check_links(
            np.array([0, count]), nodes["is_leaf"], nodes["left"], nodes["right"],
            nodes["feature_idx"], width=n_features,
        )  # fmt: skip
    except ValueError as exc:
        raise UnsafeTree(f"{where}: {exc}") from None
    internal = np.flatnonzero(nodes["is_leaf"] == 0)
    features = nodes["feature_idx"][internal].astype(np.int64)
    bitsets = {}
    for name in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
        array = getattr(tree, name, None)
        if (
            not isinstance(array, np.ndarray)
            or array.dtype != np.uint32
            or array.ndim != 2
            or array.shape[1] != 8
        ):
            raise UnsafeTree(f"{where}: {name} is not an (n, 8) uint32 array")
        bitsets[name] = array
    categorical = internal[nodes["is_categorical"][internal] != 0]
    if categorical.size:
        slots = nodes["bitset_idx"][categorical].astype(np.int64)
        if slots.max() >= min(len(array) for array in bitsets.values()):
            raise UnsafeTree(f"{where}: a categorical split's bitset index is out of range")
        cat_features = nodes["feature_idx"][categorical].astype(np.int64)
        if cat_features.max() >= len(f_idx_map) or np.any(f_idx_map[cat_features] >= len(known)):
            raise UnsafeTree(f"{where}: a categorical split is on a non-categorical feature")
    tree.__class__ = GuardedTreePredictor
    tree._mlpoc_min_width = int(features.max()) + 1 if features.size else 0


def _reachable(root: Any, limit: int = 1_000_000) -> Iterator[Any]:
    """Every object reachable from `root` through attributes, lists, tuples, dicts and
    object arrays (each once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None))):
            continue
        seen.add(id(obj))
        if len(seen) > limit:
            raise UnsafeTree(f"the model holds more than {limit} objects")
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel())
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
