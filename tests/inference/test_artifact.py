"""The compiled artifact's loader refuses whatever it does not recognise, before any tree
is built or walked: wrong magic, truncation, trailing bytes, unknown header fields or
dtypes, and node arrays that are not a forest (out-of-range or backward child indices, a
node with two parents, feature indices past the width, NaN thresholds, infinite leaves)."""

from __future__ import annotations

import json
import pickle
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from runtime.inference import InvalidArtifact, dumps, loads
from runtime.inference.format import MAGIC
from tests.support.inference import fitted

Arrays = dict[str, np.ndarray]


def artifact() -> bytes:
    return dumps(fitted("multiclass-trees").compiled)


def rewrite(
    data: bytes,
    header: Callable[[dict[str, Any]], None] | None = None,
    arrays: Callable[[Arrays], None] | None = None,
) -> bytes:
    """Decode the container by hand, let the test damage it, encode it again."""
    start = len(MAGIC) + 8
    (length,) = struct.unpack_from("<Q", data, len(MAGIC))
    head = json.loads(data[start : start + length])
    body = data[start + length :]
    decoded: Arrays = {}
    offset = 0
    for spec in head["arrays"]:
        count = int(np.prod(spec["shape"]))
        decoded[spec["name"]] = np.frombuffer(body, spec["dtype"], count, offset).copy()
        offset += count * np.dtype(spec["dtype"]).itemsize
    if arrays:
        arrays(decoded)
        head["arrays"] = [
            {"name": n, "dtype": a.dtype.str, "shape": list(a.shape)} for n, a in decoded.items()
        ]
    if header:
        header(head)
    new_head = json.dumps(head).encode()
    blob = b"".join(a.tobytes() for a in decoded.values())
    return MAGIC + struct.pack("<Q", len(new_head)) + new_head + blob


def first_split(a: Arrays) -> int:
    return int(np.flatnonzero(a["is_leaf"] == 0)[0])


def first_leaf(a: Arrays) -> int:
    return int(np.flatnonzero(a["is_leaf"])[0])


def set_node(
    field: str, value: Any, node: Callable[[Arrays], int] = first_split
) -> Callable[[Arrays], None]:
    def damage(a: Arrays) -> None:
        a[field][node(a)] = value

    return damage


def same_children(a: Arrays) -> None:
    node = first_split(a)
    a["right"][node] = a["left"][node]


def test_the_untouched_artifact_loads() -> None:
    data = artifact()
    assert loads(rewrite(data)).predict_frame(fitted("multiclass-trees").frame).values


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: pickle.dumps({"a": 1}), "does not start with"),
        (lambda d: b"", "does not start with"),
        (lambda d: d[:-1], "runs past the end"),
        (lambda d: d + b"\x00", "bytes follow the last array"),
        (lambda d: MAGIC + struct.pack("<Q", 2**63) + d[len(MAGIC) + 8 :], "header length"),
        (lambda d: rewrite(d, header=lambda h: h.update(extra=1)), "extra"),
        (lambda d: rewrite(d, header=lambda h: h.update(version=2)), "version"),
        (lambda d: rewrite(d, header=lambda h: h["arrays"][0].update(dtype="|O")), "dtype"),
        (lambda d: rewrite(d, header=lambda h: h.update(width=h["width"] + 1)), "columns"),
        (lambda d: rewrite(d, header=lambda h: h.update(classes=["a", "b"])), "classes"),
        (lambda d: rewrite(d, header=lambda h: h["inputs"][0].update(mean=float("nan"))), "inputs"),
        (lambda d: rewrite(d, header=lambda h: h["scorer"].update(kind="forest")), "scorer"),
        (lambda d: rewrite(d, arrays=lambda a: a.pop("value")), "arrays"),
        (lambda d: rewrite(d, arrays=set_node("left", 10**6)), "child index"),
        (lambda d: rewrite(d, arrays=set_node("right", 0)), "child index"),
        (lambda d: rewrite(d, arrays=set_node("right", -5)), "child index"),
        (lambda d: rewrite(d, arrays=same_children), "exactly once"),
        (lambda d: rewrite(d, arrays=set_node("feature", 10**5)), "feature index"),
        (lambda d: rewrite(d, arrays=set_node("feature", -1)), "feature index"),
        (lambda d: rewrite(d, arrays=set_node("threshold", np.nan)), "NaN"),
        (lambda d: rewrite(d, arrays=set_node("is_leaf", 7)), "0 or 1"),
        (lambda d: rewrite(d, arrays=set_node("value", np.inf, first_leaf)), "not finite"),
        (lambda d: rewrite(d, arrays=set_node("offsets", 10**6, lambda a: 1)), "partition"),
    ],
    ids=[
        "pickle", "empty", "truncated", "trailing-byte", "huge-header-length", "unknown-field",
        "unknown-version", "object-dtype", "wrong-width", "wrong-classes", "nan-in-header",
        "unknown-scorer", "missing-array", "child-out-of-range", "child-back-to-root",
        "negative-child", "two-parents", "feature-out-of-range", "negative-feature",
        "nan-threshold", "bad-leaf-flag", "infinite-leaf", "bad-offsets",
    ],
)  # fmt: skip
def test_damaged_artifacts_are_refused(damage: Callable[[bytes], bytes], message: str) -> None:
    with pytest.raises(InvalidArtifact, match=message):
        loads(damage(artifact()))
