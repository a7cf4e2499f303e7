"""What a job type is (`JobType`), what its `submit` gets (`Submission`) and what its handler
gets for one delivery (`JobContext`).

A job type says, in one place: the request that asks for it (the body of `POST /jobs`), how
such a request becomes a queued job (`submit`: checked, in constant time, so a bad request is
refused at once and no request waits on the data's size), what the worker
does with the job (`run`), and, where its effects are keyed by the job's id, the result a
previous delivery already produced (`recover`), so a redelivery does not do the work twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from adapters.ports import Adapters
from runtime.config import RuntimeSettings
from runtime.jobs import Job
from runtime.names import JobId
from runtime.registry import Registry
from runtime.trainers.base import Trainer

Result = dict[str, Any]


class LostJob(Exception):
    """This delivery no longer owns its job (lease lost, redelivered, or shutting down)."""


class JobRequest(BaseModel):
    """The body of `POST /jobs` for one job type. A subclass adds `type: Literal[<name>]`
    (the discriminator) and the type's own fields."""

    model_config = ConfigDict(extra="forbid", strict=True)  # as runtime.api.schemas.Strict

    job_id: JobId | None = None


@dataclass(frozen=True)
class Submission:
    """Who asks for a job, and with what: the backend, the trainer the workers train with
    (its parameter declaration checks a job's params), the id of the API key that asked."""

    adapters: Adapters
    trainer: Trainer
    created_by: str | None = None


@dataclass
class JobContext:
    """One delivery of a job, as its handler sees it."""

    job: Job
    adapters: Adapters
    settings: RuntimeSettings
    trainer: Trainer
    registry: Registry
    # Raise LostJob unless this delivery still owns the job: call it right before any write
    # that must happen once.
    check_owned: Callable[[], None]
    # Write these fields on the job's document while this delivery owns it (else LostJob):
    # what a later delivery of the job must find there.
    record: Callable[..., None]


def _nothing_to_recover(context: JobContext) -> Result | None:
    return None


@dataclass(frozen=True)
class JobType:
    name: str
    help: str
    request: type[JobRequest]
    # (who asks, the request) -> the queued job
    submit: Callable[[Submission, Any], Job]
    run: Callable[[JobContext], Result]
    recover: Callable[[JobContext], Result | None] = _nothing_to_recover
