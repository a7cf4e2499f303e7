"""The trainer plugin interface: fit on a table, predict on rows, describe the input.

The runtime only ever talks to a `Trainer`; a team plugs in its own with the setting
`MLPOC_TRAINER=package.module:Class` and no change to the runtime. Artifacts default to
skops (no code runs on load); a trainer for another library overrides `dumps`/`loads` with
a format that is just as safe.

A trainer declares the parameters its `fit` accepts as a pydantic model (`Params`, a
`TrainerParams`): a job's params are checked against it when the job is enqueued, so a bad
one is refused at once (the API's 422 names it and what it accepts) instead of failing in
the worker.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from runtime import artifacts
from runtime.trainers.storable import unstorable

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


class TrainerParams(BaseModel):
    """Base of a trainer's declared parameters: each field is one parameter, with its type,
    default and bounds; a name the model does not declare is refused. Whatever a subclass
    declares, `Trainer.check_params` also refuses values a job document could not hold on
    every backend (runtime.trainers.storable): give numbers bounds that say what is sensible."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class InvalidParams(ValueError):
    """A job's trainer params do not fit the trainer's declaration; `problems` holds
    (parameter, what is wrong and what it accepts) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(
            "invalid trainer params: " + "; ".join(f"{name}: {what}" for name, what in problems)
        )


class Trainer(abc.ABC):
    """Fit a model on a DataFrame holding feature columns and a target column."""

    # The artifact format, recorded on each version.
    artifact_format: str = "skops"
    # The parameters `fit` accepts. None declares nothing: any params reach `fit`, and only
    # `fit` can refuse them (its ValueError fails the job on its first delivery).
    Params: ClassVar[type[TrainerParams] | None] = None

    def check_params(self, given: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
        """The params `fit` gets: `given` checked against `Params`, defaults filled in.
        InvalidParams names every parameter that is unknown or not what it accepts, or
        that a job document cannot hold on every backend (the job stores its params)."""
        if self.Params is None:
            checked = dict(given)
        else:
            try:
                checked = self.Params.model_validate(dict(given)).model_dump()
            except ValidationError as exc:
                raise InvalidParams(_problems(self.Params, exc)) from None
        problems = [
            (where, f"cannot be stored on every backend: {what}")
            for where, what in unstorable(checked)
        ]
        if problems:
            raise InvalidParams(problems)
        return checked

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


def _problems(params: type[TrainerParams], exc: ValidationError) -> list[tuple[str, str]]:
    known = ", ".join(sorted(params.model_fields))
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "params"
        if error["type"] == "extra_forbidden":
            problems.append((where, f"unknown parameter; this trainer accepts {known}"))
        else:
            problems.append((where, f"{error['msg']} (got {_shown(error['input'])})"))
    return problems


def _shown(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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
