"""Which failures of a job a retry can cure.

A job that failed because of what it was asked to do (bad parameters, bad data, a
trainer's own ValueError, a bug) fails the same way on every delivery: the worker ends it on
its first one, so the user hears in seconds instead of after every backoff. Only a failure
of something outside the job, which may be gone on the next delivery, is retried with
backoff until the queue's delivery limit:

- the backend could not be reached, throttled, failed in a way its adapter could not
  classify, or lost a race (`BackendUnavailable`, a bare `AdapterError`, `Conflict` once
  `DocumentStore.modify` gave up), or refused our identity
  (`ConfigurationError`: an operator can fix the grant while the job waits; the worker's
  /healthz reports it meanwhile);
- a timeout or a dropped connection (`TimeoutError`, `ConnectionError`);
- anything a trainer plugin raises as `Transient` (a service of its own was unavailable).

Anything else is deterministic. `NotFound` (the dataset or a blob is gone) and `TooLarge`
are too: the next delivery would find the same.
"""

from __future__ import annotations

from adapters.errors import AdapterError, NotFound, TooLarge


class Transient(Exception):
    """Raise (or subclass) this from a trainer plugin for a failure a later retry may not
    meet: the job is retried with backoff instead of failing at once."""


_DETERMINISTIC_ADAPTER_ERRORS = (NotFound, TooLarge)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, Transient | TimeoutError | ConnectionError):
        return True
    return isinstance(exc, AdapterError) and not isinstance(exc, _DETERMINISTIC_ADAPTER_ERRORS)
