"""The compiled artifact: `MAGIC`, the header's length (8 bytes, little-endian), a JSON
header, then the raw little-endian arrays the header lists, back to back, and nothing else.

No pickle, no code, no format that a library interprets on our behalf: the header is parsed
by a strict pydantic model (unknown fields, wrong types, NaN refused), each array's dtype
comes from a short allow-list and its byte length must match its shape, the whole file must
be consumed exactly, and the arrays are checked for meaning (`trees.check_trees`, the
plan's column tiling, the link/class consistency) before anything scores with them.
Anything else is `InvalidArtifact`.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from runtime.inference.linear import LinearScorer
from runtime.inference.model import CompiledModel
from runtime.inference.plan import CategoricalInput, InputPlan, NumericInput
from runtime.inference.trees import ARRAY_DTYPES, TreeArrays, TreeScorer

FORMAT = "mlpoc.compiled/1"
MAGIC = b"MLPOC-COMPILED\x00\x01"
_LENGTH = struct.Struct("<Q")
MAX_HEADER_BYTES = 64 * 1024 * 1024
DTYPES = ("<f8", "<i8", "<i4", "|u1")
LINEAR_ARRAYS = {"coef": "<f8", "intercept": "<f8"}


class InvalidArtifact(Exception):
    """The bytes are not a compiled model this code recognises; nothing was loaded."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class _Numeric(_Strict):
    kind: Literal["numeric"]
    name: StrictStr
    column: Annotated[int, Field(ge=0)] | None
    fill: float
    mean: float
    scale: float


class _Categorical(_Strict):
    kind: Literal["categorical"]
    name: StrictStr
    column: Annotated[int, Field(ge=0)] | None
    fill: StrictStr
    categories: list[StrictStr]


class _Trees(_Strict):
    kind: Literal["trees"]
    base_scores: list[float]


class _Linear(_Strict):
    kind: Literal["linear"]


class _Array(_Strict):
    name: StrictStr
    dtype: Literal["<f8", "<i8", "<i4", "|u1"]
    shape: list[Annotated[int, Field(ge=0)]]


class _Header(_Strict):
    format: Literal["mlpoc.compiled"]
    version: Literal[1]
    task: Literal["classification", "regression"]
    link: Literal["identity", "logistic", "softmax"]
    classes: list[StrictStr | StrictInt] | None
    width: Annotated[int, Field(ge=1)]
    inputs: list[Annotated[_Numeric | _Categorical, Field(discriminator="kind")]]
    scorer: Annotated[_Trees | _Linear, Field(discriminator="kind")]
    arrays: list[_Array]


def dumps(model: CompiledModel) -> bytes:
    inputs: list[dict[str, object]] = []
    for spec in model.plan.inputs:
        if isinstance(spec, NumericInput):
            inputs.append({"kind": "numeric", "name": spec.name, "column": spec.column,
                           "fill": spec.fill, "mean": spec.mean, "scale": spec.scale})  # fmt: skip
        else:
            inputs.append({"kind": "categorical", "name": spec.name, "column": spec.column,
                           "fill": spec.fill, "categories": list(spec.categories)})  # fmt: skip
    scorer = model.scorer
    arrays: dict[str, np.ndarray]
    if isinstance(scorer, TreeScorer):
        scorer_doc: dict[str, object] = {"kind": "trees", "base_scores": scorer.base_scores}
        arrays = scorer.trees.as_dict()
    else:
        scorer_doc = {"kind": "linear"}
        arrays = {"coef": scorer.coef, "intercept": scorer.intercept}
    header = {
        "format": "mlpoc.compiled",
        "version": 1,
        "task": model.task,
        "link": model.link,
        "classes": model.classes,
        "width": model.plan.width,
        "inputs": inputs,
        "scorer": scorer_doc,
        "arrays": [
            {"name": name, "dtype": a.dtype.str, "shape": list(a.shape)}
            for name, a in arrays.items()
        ],
    }
    head = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
    body = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays.values())
    return MAGIC + _LENGTH.pack(len(head)) + head + body


def loads(data: bytes) -> CompiledModel:
    """The compiled model in `data`, or `InvalidArtifact` saying what is wrong."""
    try:
        return _loads(data)
    except InvalidArtifact:
        raise
    except (ValidationError, ValueError) as exc:
        raise InvalidArtifact(f"not a valid compiled model: {_first_line(exc)}") from None


def _loads(data: bytes) -> CompiledModel:
    start = len(MAGIC) + _LENGTH.size
    if len(data) < start or not data.startswith(MAGIC):
        raise InvalidArtifact(f"not a compiled model: it does not start with {MAGIC!r}")
    (length,) = _LENGTH.unpack_from(data, len(MAGIC))
    if length > min(MAX_HEADER_BYTES, len(data) - start):
        raise InvalidArtifact(f"header length {length} does not fit the {len(data)} bytes")
    header = _Header.model_validate_json(data[start : start + length])
    arrays = _arrays(header.arrays, memoryview(data)[start + length :])
    plan = InputPlan(inputs=tuple(_input(i) for i in header.inputs), width=header.width)
    if isinstance(header.scorer, _Trees):
        _expect(arrays, ARRAY_DTYPES)
        trees = TreeArrays(**arrays)
        scorer: TreeScorer | LinearScorer = TreeScorer(
            trees, width=header.width, base_scores=list(header.scorer.base_scores)
        )
    else:
        _expect(arrays, LINEAR_ARRAYS)
        scorer = LinearScorer(arrays["coef"], arrays["intercept"], width=header.width)
    classes = list(header.classes) if header.classes is not None else None
    return CompiledModel(plan, scorer, task=header.task, link=header.link, classes=classes)


def _arrays(specs: list[_Array], body: memoryview) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    offset = 0
    for spec in specs:
        if spec.name in arrays:
            raise InvalidArtifact(f"array {spec.name!r} is listed twice")
        count = math.prod(spec.shape)
        nbytes = count * np.dtype(spec.dtype).itemsize
        if offset + nbytes > len(body):
            raise InvalidArtifact(f"array {spec.name!r} runs past the end of the artifact")
        flat = np.frombuffer(body, dtype=spec.dtype, count=count, offset=offset)
        # A copy: aligned, writable, and independent of the artifact's buffer.
        arrays[spec.name] = flat.reshape(spec.shape).copy()
        offset += nbytes
    if offset != len(body):
        raise InvalidArtifact(f"{len(body) - offset} bytes follow the last array")
    return arrays


def _expect(arrays: dict[str, np.ndarray], dtypes: dict[str, str]) -> None:
    if set(arrays) != set(dtypes):
        raise InvalidArtifact(f"arrays {sorted(arrays)} are not the expected {sorted(dtypes)}")
    for name, dtype in dtypes.items():
        if arrays[name].dtype != np.dtype(dtype):
            raise InvalidArtifact(f"array {name!r} must be {dtype}")


def _input(spec: _Numeric | _Categorical) -> NumericInput | CategoricalInput:
    if isinstance(spec, _Numeric):
        if spec.scale == 0.0:
            raise InvalidArtifact(f"input {spec.name!r} has a zero scale")
        return NumericInput(spec.name, spec.column, spec.fill, spec.mean, spec.scale)
    if len(set(spec.categories)) != len(spec.categories):
        raise InvalidArtifact(f"input {spec.name!r} lists a category twice")
    return CategoricalInput(spec.name, spec.column, spec.fill, tuple(spec.categories))


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return "; ".join(lines[:3]) or type(exc).__name__
