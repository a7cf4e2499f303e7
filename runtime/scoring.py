"""How a model version answers: through the compiled path or through scikit-learn.

At training, `compile_version` compiles the fitted model, checks it against scikit-learn
(`inference.verify`) and returns the compiled artifact's bytes with the `serving` record
for the version document: `{"path": "compiled", "compiled": {key, sha256, size, format},
"agreement": {...}}`, or `{"path": "sklearn", "reason": ...}` when the model is not covered
or does not agree. At serving (the API and the worker's batch_predict alike), `load` builds
a `Scorer` for the path the version records; a compiled artifact that fails its checksum or
its checks is logged and the version falls back to scikit-learn, with the reason kept on
the scorer. Rows are checked against the version's input schema either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.errors import NotFound
from runtime import artifacts, inference
from runtime.inference import CompiledModel, RowSchema, verify
from runtime.trainers.base import FitResult, Predictions, Trainer, load_trainer

if TYPE_CHECKING:
    import pandas as pd

    from adapters.ports import BlobStore
    from runtime.registry import ModelVersion, Registry

log = logging.getLogger("mlpoc.scoring")
COMPILED = "compiled"
SKLEARN = "sklearn"
# Up to this many rows the compiled path answers in well under a millisecond (GTIL, ~0.06
# ms a row), little enough to run on the API's event loop instead of a worker thread.
QUICK_ROWS = 8


@dataclass(frozen=True)
class Scorer:
    """One loaded version: the compiled model, or the trainer and its fitted model."""

    version: ModelVersion
    trainer: Trainer
    model: Any  # the scikit-learn model; None when the compiled path serves
    compiled: CompiledModel | None = None
    rows: RowSchema | None = None
    fallback: str | None = None  # why a compiled version is served by scikit-learn

    @property
    def path(self) -> str:
        return COMPILED if self.compiled is not None else SKLEARN

    def quick(self, rows: int) -> bool:
        """Whether scoring `rows` rows costs so little that it need not leave the caller's
        thread (the API's event loop)."""
        return self.compiled is not None and rows <= QUICK_ROWS

    def predict_rows(self, rows: list[Any]) -> Predictions:
        """Score JSON rows; `inference.RowError` (a ValueError) names the first bad row."""
        import pandas as pd

        if self.rows is None:  # a plugin's schema: the plugin checks its own rows
            return self.trainer.predict(self.model, pd.DataFrame.from_records(rows))
        if self.compiled is not None:
            if len(rows) == 1:
                return self.compiled.predict_one(self.rows.validate_row(0, rows[0]))
            return self.compiled.predict_columns(self.rows.columns(rows), len(rows))
        clean = self.rows.validate(rows)
        # Only the schema's columns: a row's extra keys never become columns.
        frame = pd.DataFrame.from_records(clean, columns=list(self.rows.names))
        return self.trainer.predict(self.model, frame)

    def predict_frame(self, frame: pd.DataFrame) -> Predictions:
        """Score a table read from CSV (batch_predict)."""
        if self.compiled is not None:
            return self.compiled.predict_frame(frame)
        return self.trainer.predict(self.model, frame)


def compile_version(
    trainer: Trainer, fit: FitResult, frame: pd.DataFrame, input_schema: dict[str, Any]
) -> tuple[bytes | None, dict[str, Any]]:
    """The compiled artifact (None: serve with scikit-learn) and the `serving` record."""
    try:
        compiled = inference.compile_pipeline(fit.model)
    except inference.NotCompilable as exc:
        return None, {"path": SKLEARN, "reason": f"not compiled: {exc}"}
    agreement = verify.agreement(
        compiled,
        trainer,
        fit.model,
        schema=RowSchema.from_input_schema(input_schema),
        full=frame,
        holdout=fit.holdout,
    )
    record: dict[str, Any] = {"agreement": agreement.to_json()}
    if not agreement.ok:
        return None, {"path": SKLEARN, "reason": agreement.reason, **record}
    return inference.dumps(compiled), {"path": COMPILED, **record}


def store_compiled(blobs: BlobStore, data: bytes, serving: dict[str, Any]) -> dict[str, Any]:
    """Store the compiled artifact (content-addressed, create-only) and name it in `serving`."""
    ref = artifacts.store(blobs, data)
    compiled = {"key": ref.key, "sha256": ref.sha256, "size": ref.size, "format": inference.FORMAT}
    return {**serving, "compiled": compiled}


def load(registry: Registry, version: ModelVersion, trainer: Trainer | None = None) -> Scorer:
    """The scorer for `version`. A compiled artifact that cannot be loaded is logged and the
    version falls back to scikit-learn; if that fails too, the error names both."""
    rows = RowSchema.from_input_schema(version.data.get("input_schema"))
    serving = version.data.get("serving") or {}
    fallback = None
    if serving.get("path") == COMPILED:
        try:
            compiled = _load_compiled(registry, serving.get("compiled"))
            trainer = trainer or load_trainer(str(version.data["trainer"]), registry.trainers)
            return Scorer(version, trainer, None, compiled=compiled, rows=rows)
        except (artifacts.ArtifactRejected, inference.InvalidArtifact, NotFound, ValueError) as exc:
            fallback = f"compiled artifact refused ({exc}); serving with scikit-learn"
            log.error("%s version %d: %s", version.model, version.version, fallback)
    try:
        trainer, model = registry.load(version, trainer)
    except Exception as exc:
        if fallback is None:
            raise
        raise artifacts.ArtifactRejected(f"{fallback}, which failed too: {exc}") from exc
    return Scorer(version, trainer, model, rows=rows, fallback=fallback)


def _load_compiled(registry: Registry, ref: Any) -> CompiledModel:
    if not isinstance(ref, dict) or ref.get("format") != inference.FORMAT:
        raise inference.InvalidArtifact(f"the version names no {inference.FORMAT} artifact")
    data = artifacts.fetch(registry.adapters.blobs, str(ref.get("key")), str(ref.get("sha256")))
    compiled = inference.loads(data)
    compiled.warm()
    return compiled
