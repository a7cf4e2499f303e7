"""The trainer plugin interface: fit on a table, predict on rows, describe the input.

The runtime only ever talks to a `Trainer`; a team plugs in its own with the setting
`MLPOC_TRAINER=package.module:Class` and no change to the runtime. Artifacts default to
skops (no code runs on load); a trainer for another library overrides `dumps`/`loads` with
a format that is just as safe.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runtime import artifacts

if TYPE_CHECKING:
    import pandas as pd

JSONValue = Any


@dataclass(frozen=True)
class FitResult:
    """A fitted model, its validation metrics, the parameters actually used, and the
    held-out feature rows the metrics came from (the compiled path is checked on them) with
    their targets (the model card is computed on them: runtime.model_card)."""

    model: Any
    metrics: dict[str, float]
    params: dict[str, JSONValue] = field(default_factory=dict)
    holdout: pd.DataFrame | None = None
    holdout_target: pd.Series | None = None


@dataclass(frozen=True)
class Predictions:
    """One value per input row; class probabilities per row where the model has them."""

    values: list[JSONValue]
    probabilities: list[dict[str, float]] | None = None


class Trainer(abc.ABC):
    """Fit a model on a DataFrame holding feature columns and a target column."""

    # The artifact format, recorded on each version.
    artifact_format: str = "skops"

    @abc.abstractmethod
    def fit(self, frame: pd.DataFrame, target: str, params: Mapping[str, JSONValue]) -> FitResult:
        """Train on `frame` (features plus `target`); metrics come from held-out rows.
        Bad input (missing target, too few rows, unknown params) is a ValueError."""

    @abc.abstractmethod
    def predict(self, model: Any, rows: pd.DataFrame) -> Predictions:
        """Score `rows` (feature columns; extra columns are ignored)."""

    @abc.abstractmethod
    def input_schema(self, model: Any) -> dict[str, JSONValue]:
        """The columns `predict` needs and their kinds, as JSON."""

    def dumps(self, model: Any) -> bytes:
        return artifacts.skops_dumps(model)

    def loads(self, data: bytes) -> Any:
        return artifacts.skops_loads(data)


def trainer_spec(trainer: Trainer) -> str:
    """The `module:Class` that rebuilds this trainer (recorded on each model version)."""
    cls = type(trainer)
    return f"{cls.__module__}:{cls.__qualname__}"


def load_trainer(spec: str, allowed: Collection[str]) -> Trainer:
    """Instantiate the trainer named `module:Class`; a clear ValueError if it is not one.
    Only names in `allowed` are imported at all: a model version document names its
    trainer, and importing whatever module a document names would run its code."""
    if spec not in allowed:
        raise ValueError(
            f"trainer {spec!r} is not allowed here: only MLPOC_TRAINER and the plugins in "
            "MLPOC_TRAINER_PLUGINS are loaded"
        )
    module_name, sep, class_name = spec.partition(":")
    if not sep or not module_name or not class_name:
        raise ValueError(f"trainer must be given as 'module:Class', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"trainer module {module_name!r} cannot be imported: {exc}") from exc
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Trainer)):
        raise ValueError(f"{spec!r} is not a subclass of runtime.trainers.Trainer")
    return cls()
