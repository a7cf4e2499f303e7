"""`batch_predict`: score every record of a dataset with one model version and store the
predictions (runtime.batch_predict), so serving a known record is a key-value read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict

from runtime import batch_predict, jobs
from runtime.datasets.ref import DatasetRef
from runtime.datasets.store import get_dataset, source_ref
from runtime.handlers.base import JobContext, JobRequest, JobType, Result, Submission
from runtime.jobs import Job
from runtime.names import Name, VersionNumber
from runtime.registry import Registry


class BatchPredictJobIn(JobRequest):
    # The schema says what `submit` refuses: a version and an alias together (null is none).
    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "required": ["version", "alias"],
                "properties": {"version": {"type": "integer"}, "alias": {"type": "string"}},
            }
        }
    )

    type: Literal["batch_predict"]
    dataset: Name
    model: Name
    version: VersionNumber | None = None
    alias: Name | None = None


def submit(submission: Submission, request: BatchPredictJobIn) -> Job:
    """Enqueue scoring of an uploaded dataset by a model reference that resolves now."""
    adapters = submission.adapters
    if request.version is not None and request.alias is not None:
        raise ValueError("give a version or an alias, not both")
    dataset = get_dataset(adapters.documents, request.dataset)
    ref: int | str | None = request.version if request.version is not None else request.alias
    # Refuse a model reference that cannot resolve now, rather than fail in the worker.
    Registry(adapters).resolve(request.model, ref)
    params: dict[str, Any] = {"model": request.model, "dataset": source_ref(dataset).to_json()}
    if request.version is not None:
        params["version"] = request.version
    elif request.alias is not None:
        params["alias"] = request.alias
    return jobs.enqueue(
        adapters,
        "batch_predict",
        params,
        job_id=request.job_id,
        created_by=submission.created_by,
    )


def run(context: JobContext) -> Result:
    params = context.job.params
    model = params.get("model")
    if not isinstance(model, str):
        raise ValueError("batch_predict job needs a 'model' name")
    ref = params.get("version", params.get("alias"))
    dataset = DatasetRef.from_params(params.get("dataset"))
    return batch_predict.batch_predict(
        context.adapters, model, dataset, ref=ref, trainers=context.settings.allowed_trainers
    )


JOB = JobType(
    name="batch_predict",
    help="score a dataset ahead and store the predictions",
    request=BatchPredictJobIn,
    submit=submit,
    run=run,
)
