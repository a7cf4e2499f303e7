"""Node arrays that form trees every walk leaves: the one structural check shared by the
scikit-learn trees an artifact loads (`runtime.tree_check`) and the compiled path's tree
arrays (`runtime.inference.trees`), so both refuse the same shapes with the same words."""

from __future__ import annotations

import numpy as np


def check_links(
    offsets: np.ndarray,
    is_leaf: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    *,
    width: int,
) -> None:
    """ValueError unless the nodes [offsets[t], offsets[t+1]) of each tree t form one tree
    over `width` features: each split's children (indices local to their tree) inside the
    tree and after the split, so every walk ends; every node but the root reached exactly
    once; each split's feature index in [0, width). `offsets` must partition the arrays into
    non-empty trees (the caller checks it) and `is_leaf` hold 0 (a split) or not."""
    n_nodes = len(is_leaf)
    sizes = np.diff(offsets)
    tree_of = np.repeat(np.arange(len(sizes)), sizes)
    split = is_leaf == 0
    parent = (np.arange(n_nodes) - offsets[tree_of])[split]
    bound = sizes[tree_of][split]
    children = (left[split].astype(np.int64), right[split].astype(np.int64))
    if any((child >= bound).any() for child in children):
        raise ValueError("a child index is past the end of its tree")
    if any((child <= parent).any() for child in children):  # negative ones too
        raise ValueError("a child index does not come after its parent")
    features = feature[split]
    if ((features < 0) | (features >= width)).any():
        raise ValueError(f"a split's feature index is outside [0, {width})")
    base = offsets[:-1][tree_of[split]]
    parents = np.bincount(np.concatenate([base + c for c in children]), minlength=n_nodes)
    roots = offsets[:-1]
    if parents[roots].any() or (np.delete(parents, roots) != 1).any():
        raise ValueError("a node is not reached exactly once from its tree's root")
