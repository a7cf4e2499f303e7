"""`train`: fit the trainer plugin on a dataset snapshot, store the artifact, register a
model version with its model card (runtime.model_card), keyed by the job's id (a
redelivered job registers nothing new), optionally promote it and enqueue scoring of the
dataset.

Submitting checks the trainer params against the trainer's declaration and reads the
dataset's description, nothing more: the first delivery makes the labelled snapshot and
records it on the job (`snapshot`), and every delivery trains on the recorded one.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import Field

from runtime import artifacts, jobs, model_card, scoring
from runtime.datasets.ref import DatasetRef, read_dataset
from runtime.datasets.training import enqueue_training, snapshot_of
from runtime.handlers.base import JobContext, JobRequest, JobType, Result, Submission
from runtime.jobs import Job
from runtime.names import Name
from runtime.registry import ModelVersion
from runtime.trainers.base import Trainer, trainer_spec


class TrainJobIn(JobRequest):
    type: Literal["train"]
    dataset: Name
    model: Name | None = None
    params: dict[str, Any] = Field(default_factory=dict)


def submit(submission: Submission, request: TrainJobIn) -> Job:
    """Check the trainer params, then enqueue training on the dataset's current labels."""
    return enqueue_training(
        submission.adapters,
        request.dataset,
        model=request.model,
        params=checked_params(submission.trainer, request.params),
        job_id=request.job_id,
        created_by=submission.created_by,
    )


def checked_params(trainer: Trainer, given: dict[str, Any]) -> dict[str, Any]:
    """The params given, as the trainer reads them ("100" -> 100); InvalidParams naming
    each one the trainer's declaration refuses. Defaults stay out: the job says what was
    asked, the model version what was used."""
    checked = trainer.check_params(given)
    return {name: checked[name] for name in given}


def run(context: JobContext) -> Result:
    params = context.job.params
    model = params.get("model")
    if not isinstance(model, str):
        raise ValueError("train job needs a 'model' name")
    trainer, settings = context.trainer, context.settings
    # Before any work: params the trainer refuses fail the job at once.
    checked = trainer.check_params(params.get("params") or {})
    dataset = training_data(context)
    if dataset.target is None:
        raise ValueError("train job's dataset needs a 'target' column")
    frame, digest = read_dataset(context.adapters.blobs, dataset)
    if dataset.id_column:
        frame = frame.drop(columns=[dataset.id_column])
    started = time.monotonic()
    fit = trainer.fit(frame, dataset.target, trainer_params(dataset, checked))
    fit_seconds = time.monotonic() - started
    metric = settings.auto_promote_metric
    if metric and metric not in fit.metrics:
        # Checked before registering: a version must not exist for a job that then fails.
        raise ValueError(
            f"auto-promotion metric {metric!r} is not among the trainer's {sorted(fit.metrics)}"
        )
    ref = artifacts.store(context.adapters.blobs, trainer.dumps(fit.model))
    input_schema = trainer.input_schema(fit.model)
    features = frame.drop(columns=[dataset.target])
    compiled, serving = scoring.compile_version(trainer, fit, features, input_schema)
    if compiled is not None:
        serving = scoring.store_compiled(context.adapters.blobs, compiled, serving)
    recorded = {**dataset.to_json(), "sha256": digest}
    card = model_card.build(
        trainer, fit, task=str(input_schema.get("task") or fit.params.get("task")), dataset=recorded
    )
    context.check_owned()
    version = context.registry.register(
        model,
        artifact=ref,
        metrics=fit.metrics,
        params=fit.params,
        trainer=trainer_spec(trainer),
        artifact_format=trainer.artifact_format,
        dataset=recorded,
        job_id=context.job.id,
        input_schema=input_schema,
        serving=serving,
        card=card,
    )
    promoted = None
    if metric:
        promoted = context.registry.maybe_promote(
            version,
            alias=settings.auto_promote_alias,
            metric=metric,
            direction=settings.auto_promote_direction,
        )
    return _result(context, version, promoted=promoted, fit_seconds=fit_seconds)


def trainer_params(dataset: DatasetRef, given: Any) -> dict[str, Any]:
    """The job's trainer params with the dataset's task: the task is a fact of the dataset
    (runtime.datasets.task), not something the trainer guesses from the labels."""
    params = dict(given or {})
    if dataset.task is not None:
        params["task"] = dataset.task
    return params


def training_data(context: JobContext) -> DatasetRef:
    """The CSV this job trains on, the same on every delivery: the snapshot its document
    records; else, on its first delivery, a labelled snapshot of the dataset it names
    (`snapshot_of`) made now, or the CSV it names as it is (`dataset`), recorded first."""
    recorded = context.job.data.get("snapshot")
    if recorded is not None:
        return DatasetRef.from_params(recorded)
    params = context.job.params
    name = params.get("snapshot_of")
    if name is not None:
        dataset = snapshot_of(context.adapters, str(name))
    else:
        dataset = DatasetRef.from_params(params.get("dataset"))
    context.record(snapshot=dataset.to_json())
    return dataset


def recover(context: JobContext) -> Result | None:
    """A previous delivery registered the version and died before finishing: its result."""
    existing = context.registry.versions_for_job(context.job.id)
    if not existing:
        return None
    return _result(context, existing[0], promoted=None, fit_seconds=None)


def _result(
    context: JobContext, version: ModelVersion, *, promoted: bool | None, fit_seconds: float | None
) -> Result:
    result: Result = {
        "model": version.model,
        "version": version.version,
        "metrics": version.metrics,
        "artifact_sha256": version.artifact.sha256,
        "serving": version.serving.get("path", scoring.SKLEARN),
        "fit_seconds": fit_seconds,
        "promoted": promoted,
    }
    if context.settings.batch_predict_after_train:
        job = context.job
        # A fixed child id makes this idempotent when the train job is redelivered.
        child = jobs.enqueue(
            context.adapters,
            "batch_predict",
            {
                "model": version.model,
                "version": version.version,
                "dataset": job.params.get("predict_dataset") or job.params["dataset"],
            },
            job_id=f"{job.id}-predict",
        )
        result["batch_predict_job"] = child.id
    return result


JOB = JobType(
    name="train",
    help="train a new model version on a dataset",
    request=TrainJobIn,
    submit=submit,
    run=run,
    recover=recover,
)
