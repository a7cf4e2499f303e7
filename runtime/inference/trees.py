"""Tree ensembles: node arrays checked in numpy, then scored by treelite's GTIL.

The artifact holds each tree's nodes as plain arrays (children as indices local to their
tree). `check_trees` proves them a forest before treelite sees them (`runtime.tree_links`,
the check the loaded scikit-learn trees pass too): every child index lies after its parent
and inside its tree (so no cycle and no out-of-range read), every node but a root has
exactly one parent, every feature index is below the model's width; and leaf values are
finite. Only then is the treelite model built, node by node, with its public
ModelBuilder (which checks the structure again).

Two engines walk the same checked arrays. Small inputs (a single request) go to treelite's
GTIL: one C call for the whole forest, ~0.06 ms a row. Large inputs go to scikit-learn's
own Cython tree walker (`_predict_from_raw_data`, what HistGradientBoosting.predict runs),
fed one tree at a time with node records rebuilt from the checked arrays: it costs ~2 us
per tree per call but walks a row through a tree ~3x faster than GTIL (measured on wine:
184,000 against 55,000 rows/s on one thread), and sums in scikit-learn's order. It is a
private function of the pinned scikit-learn; `verify` compares both engines at training.

GTIL is asked for raw margins; the link (softmax, logistic) is applied in float64 by the
caller, because GTIL's own post-processing runs in float32 (probabilities ~6e-8 off
scikit-learn's, against ~1e-15 for the margins).

A large table is cut into one block of rows per CPU, each walked through every tree by its
own thread (the walker releases the GIL): the threads meet once, at the end, where
scikit-learn's OpenMP walker would meet once per tree (300 times for wine), and a barrier
per tree is what made its thread pool slower than one thread on a busy 2-core machine.
"""

from __future__ import annotations

import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from runtime.tree_links import check_links

# From this many rows on, the per-tree walker beats GTIL (per-call cost against per-row).
TABLE_ROWS = 64
# From this many rows per block on, a second thread pays for itself (~2 us per tree call).
BLOCK_ROWS = 2048


@dataclass(frozen=True)
class TreeArrays:
    offsets: np.ndarray  # int64, n_trees + 1: tree t owns nodes [offsets[t], offsets[t+1])
    left: np.ndarray  # int32, local index of the left child (leaves: 0)
    right: np.ndarray  # int32
    feature: np.ndarray  # int32
    threshold: np.ndarray  # float64: x <= threshold goes left
    default_left: np.ndarray  # uint8: where a missing value goes
    is_leaf: np.ndarray  # uint8
    value: np.ndarray  # float64, the leaf's output

    @property
    def n_trees(self) -> int:
        return len(self.offsets) - 1

    def as_dict(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in ARRAY_DTYPES}


ARRAY_DTYPES: dict[str, str] = {
    "offsets": "<i8",
    "left": "<i4",
    "right": "<i4",
    "feature": "<i4",
    "threshold": "<f8",
    "default_left": "|u1",
    "is_leaf": "|u1",
    "value": "<f8",
}


def check_trees(trees: TreeArrays, *, width: int, outputs: int) -> None:
    """ValueError unless `trees` is a well-formed forest over `width` features whose trees
    cycle over `outputs` outputs (one tree per output per iteration)."""
    offsets = trees.offsets
    n_nodes = len(trees.left)
    for name, dtype in ARRAY_DTYPES.items():
        array = getattr(trees, name)
        if array.dtype != np.dtype(dtype) or array.ndim != 1:
            raise ValueError(f"tree array {name!r} must be 1-d {dtype}")
        if name != "offsets" and len(array) != n_nodes:
            raise ValueError(f"tree array {name!r} has {len(array)} entries, not {n_nodes}")
    n_trees = len(offsets) - 1
    if n_trees < 1 or n_trees % outputs:
        raise ValueError(f"{n_trees} trees do not cycle over {outputs} outputs")
    sizes = np.diff(offsets)
    if offsets[0] != 0 or offsets[-1] != n_nodes or (sizes < 1).any():
        raise ValueError("tree offsets do not partition the node arrays")
    if ((trees.is_leaf > 1) | (trees.default_left > 1)).any():
        raise ValueError("leaf and default-left flags must be 0 or 1")
    check_links(offsets, trees.is_leaf, trees.left, trees.right, trees.feature, width=width)
    split = trees.is_leaf == 0
    if np.isnan(trees.threshold[split]).any():
        raise ValueError("a split's threshold is NaN")
    if not np.isfinite(trees.value[~split]).all():
        raise ValueError("a leaf value is not finite")


class TreeScorer:
    """Raw margins of a checked forest, one column per output."""

    def __init__(self, trees: TreeArrays, *, width: int, base_scores: list[float]) -> None:
        outputs = len(base_scores)
        check_trees(trees, width=width, outputs=outputs)
        self.trees = trees
        self.width = width
        self.base_scores = base_scores
        self.outputs = outputs
        self._model = _build(trees, width, base_scores)
        self._records = _records(trees)
        self._no_bitsets = np.zeros((0, 8), dtype=np.uint32)
        self._feature_map = np.zeros(width, dtype=np.uint32)

    def margins(self, x: np.ndarray, *, engine: str | None = None) -> np.ndarray:
        """Margins (rows, outputs); `engine` ("gtil" or "table") overrides the choice by
        size, for the checks that compare the two."""
        engine = engine or ("table" if len(x) >= TABLE_ROWS else "gtil")
        if engine == "gtil":
            import treelite.gtil

            out = treelite.gtil.predict(self._model, x, nthread=1, pred_margin=True)
            return np.asarray(out, dtype=np.float64).reshape(len(x), self.outputs)
        if engine != "table":
            raise ValueError(f"unknown engine {engine!r}")
        x = np.ascontiguousarray(x, dtype=np.float64)
        # (outputs, rows): each output's running sum is contiguous. Summed tree by tree from
        # the base score, in scikit-learn's order, so the margins are the same floats.
        sums = np.empty((self.outputs, len(x)))
        sums[:] = np.asarray(self.base_scores)[:, None]
        blocks = _blocks(len(x))
        if len(blocks) == 1:
            self._walk(x, sums)
        else:
            done = _pool().map(lambda b: self._walk(x[b], sums[:, b]), blocks)
            list(done)  # re-raises a block's exception here
        return sums.T

    def _walk(self, x: np.ndarray, sums: np.ndarray) -> None:
        from sklearn.ensemble._hist_gradient_boosting._predictor import _predict_from_raw_data

        tree_out = np.empty(len(x))
        outputs = self.outputs
        for t, nodes in enumerate(self._records):
            # One OpenMP thread per call: the blocks are the parallelism (see above).
            _predict_from_raw_data(nodes, x, self._no_bitsets, self._no_bitsets,
                                   self._feature_map, 1, tree_out)  # fmt: skip
            sums[t % outputs] += tree_out


def cpus() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _blocks(rows: int) -> list[slice]:
    """Row blocks, one per CPU, none smaller than BLOCK_ROWS."""
    n = max(1, min(cpus(), rows // BLOCK_ROWS))
    edges = [rows * i // n for i in range(n + 1)]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


_pool_lock = threading.Lock()
_pool_instance: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """One process-wide pool for the table blocks (created on first use)."""
    global _pool_instance
    with _pool_lock:
        if _pool_instance is None:
            _pool_instance = ThreadPoolExecutor(cpus(), thread_name_prefix="trees")
        return _pool_instance


def from_hist_gradient_boosting(estimator: Any) -> tuple[TreeArrays, list[float]]:
    """The node arrays and base scores of a fitted HistGradientBoosting model; ValueError
    for what the compiled path does not cover (native categorical splits)."""
    if getattr(estimator, "is_categorical_", None) is not None and estimator.is_categorical_.any():
        raise ValueError("native categorical splits are not compiled")
    columns: dict[str, list[np.ndarray]] = {name: [] for name in ARRAY_DTYPES if name != "offsets"}
    sizes = []
    for iteration in estimator._predictors:
        for predictor in iteration:
            nodes = predictor.nodes
            if nodes["is_categorical"].any():
                raise ValueError("native categorical splits are not compiled")
            sizes.append(len(nodes))
            columns["left"].append(nodes["left"])
            columns["right"].append(nodes["right"])
            columns["feature"].append(nodes["feature_idx"])
            columns["threshold"].append(nodes["num_threshold"])
            columns["default_left"].append(nodes["missing_go_to_left"])
            columns["is_leaf"].append(nodes["is_leaf"])
            columns["value"].append(nodes["value"])
    arrays = {
        name: np.concatenate(parts).astype(ARRAY_DTYPES[name]) for name, parts in columns.items()
    }
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype("<i8")
    # Leaves carry no split: zero their split fields so the stored arrays say only what counts.
    leaf = arrays["is_leaf"] == 1
    for name in ("left", "right", "feature", "default_left"):
        arrays[name][leaf] = 0
    arrays["threshold"][leaf] = 0.0
    trees = TreeArrays(offsets=offsets, **arrays)
    base = [float(b) for b in np.asarray(estimator._baseline_prediction).ravel()]
    return trees, base


def _records(trees: TreeArrays) -> list[np.ndarray]:
    """Each tree as scikit-learn's node records (numeric splits only, no bitsets)."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    records = []
    offsets = trees.offsets
    for t in range(trees.n_trees):
        part = slice(int(offsets[t]), int(offsets[t + 1]))
        nodes = np.zeros(part.stop - part.start, dtype=PREDICTOR_RECORD_DTYPE)
        nodes["value"] = trees.value[part]
        nodes["feature_idx"] = trees.feature[part]
        nodes["num_threshold"] = trees.threshold[part]
        nodes["missing_go_to_left"] = trees.default_left[part]
        nodes["left"] = trees.left[part]
        nodes["right"] = trees.right[part]
        nodes["is_leaf"] = trees.is_leaf[part]
        records.append(nodes)
    return records


def _build(trees: TreeArrays, width: int, base_scores: list[float]) -> Any:
    from treelite.model_builder import (
        Metadata,
        ModelBuilder,
        PostProcessorFunc,
        TreeAnnotation,
    )

    outputs = len(base_scores)
    n_trees = trees.n_trees
    task = "kMultiClf" if outputs > 1 else "kRegressor"
    builder = ModelBuilder(
        threshold_type="float64",
        leaf_output_type="float64",
        metadata=Metadata(
            num_feature=width,
            task_type=task,
            average_tree_output=False,
            num_target=1,
            num_class=[outputs],
            leaf_vector_shape=(1, 1),
        ),
        tree_annotation=TreeAnnotation(
            num_tree=n_trees,
            target_id=[0] * n_trees,
            class_id=[t % outputs for t in range(n_trees)] if outputs > 1 else [0] * n_trees,
        ),
        # Margins only are asked for: the link is applied in float64 by the caller.
        postprocessor=PostProcessorFunc(name="identity_multiclass" if outputs > 1 else "identity"),
        base_scores=base_scores,
    )
    offsets = trees.offsets.tolist()
    left, right = trees.left.tolist(), trees.right.tolist()
    feature, threshold = trees.feature.tolist(), trees.threshold.tolist()
    default_left, is_leaf = trees.default_left.tolist(), trees.is_leaf.tolist()
    value = trees.value.tolist()
    for t in range(n_trees):
        start, end = offsets[t], offsets[t + 1]
        builder.start_tree()
        for g in range(start, end):
            builder.start_node(g - start)
            if is_leaf[g]:
                builder.leaf(value[g])
            else:
                builder.numerical_test(
                    feature[g],
                    threshold[g],
                    default_left=bool(default_left[g]),
                    opname="<=",
                    left_child_key=left[g],
                    right_child_key=right[g],
                )
            builder.end_node()
        builder.end_tree()
    return builder.commit()
