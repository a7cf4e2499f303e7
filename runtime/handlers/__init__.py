"""Job types: one module per type in this package, each defining `JOB`, a `JobType`.

`JOB_TYPES` is the registry, built here once from this package's modules: the worker
dispatches on it, `jobs.enqueue` checks against it, the API builds the body and filters of
`/jobs` from it, and the CLI names the types from it. A new job type is one new module here
(and its test); nothing else lists the types.
"""

from __future__ import annotations

import importlib
import pkgutil

from runtime.handlers.base import JobContext, JobRequest, JobType, LostJob, Submission

__all__ = ["JOB_TYPES", "JobContext", "JobRequest", "JobType", "LostJob", "Submission"]


def _discover() -> dict[str, JobType]:
    found: dict[str, JobType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        job = getattr(module, "JOB", None)
        if not isinstance(job, JobType):
            continue
        if job.name in found:
            raise ValueError(f"job type {job.name!r} is defined twice (in {module.__name__})")
        found[job.name] = job
    return found


JOB_TYPES: dict[str, JobType] = _discover()
