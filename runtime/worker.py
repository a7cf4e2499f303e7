"""The training worker: pulls jobs from the JobQueue and runs them, at least once, done once.

- A heartbeat thread extends the message's lease every `heartbeat_seconds` (at most a third
  of the lease), so a long training is never redelivered while its worker lives.
- A job's result is keyed by its id: a redelivered `train` whose model version is already
  registered is acked without training again; a terminal job is acked at once.
- Each delivery claims the job document by compare-and-swap with a fresh attempt token;
  before registering anything the worker checks the token is still its own, so a worker
  that lost its job to a redelivery does not register a second version.
- An exception records the error on the job. A deterministic one (bad parameters, bad
  data, a trainer's own error: runtime.failures) fails the job at once and acks the
  message: another delivery would fail the same way. A transient one (the backend
  unavailable, a timeout) releases the message with an exponential backoff; on the last
  allowed delivery the job is marked `failed` and the backend moves the message to the
  dead-letter queue. A periodic sweep of the dead-letter queue marks failed the jobs whose
  last delivery never reached a worker's error path (a crash).
- SIGTERM: the current job may finish within `shutdown_grace_seconds`; otherwise it is
  released for another worker and the job goes back to `queued`. Then the process exits 0.

What a job does is its type's business (runtime.handlers, one module per type); the worker
keeps the loop, the leases and their heartbeat, the claim and the settling of each delivery.
Run one with `python -m runtime.worker` (settings from `MLPOC_*` variables).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from adapters.errors import ConfigurationError, NotFound
from adapters.factory import build_adapters
from adapters.ports import Adapters, Message
from adapters.settings import load_settings
from runtime import failures, jobs
from runtime.clock import now
from runtime.config import RuntimeSettings, load_runtime_settings
from runtime.dead_letters import sweep_dead_letters
from runtime.handlers import JOB_TYPES, JobContext, JobType, LostJob
from runtime.health import serve_health
from runtime.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, TERMINAL, Job
from runtime.registry import Registry
from runtime.schema import COLLECTIONS
from runtime.trainers.base import Trainer, load_trainer

log = logging.getLogger("mlpoc.worker")
ERROR_PAUSE_SECONDS = 2.0

__all__ = ["LostJob", "Run", "Worker", "main", "sweep_dead_letters"]


class Run:
    """One delivery being worked on: its message, its claimed job, and whether it is still
    ours. The heartbeat thread and the shutdown path set `lost`; the handler checks it
    before any write that must happen once. `done` ends the heartbeat."""

    def __init__(self, message: Message, job: Job, attempt: str) -> None:
        self.message = message
        self.job = job
        self.attempt = attempt
        self.lost = threading.Event()
        self.done = threading.Event()
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.error_text = ""


class Worker:
    def __init__(
        self,
        adapters: Adapters,
        settings: RuntimeSettings,
        *,
        trainer: Trainer | None = None,
        job_types: Mapping[str, JobType] | None = None,
    ) -> None:
        self.adapters = adapters
        self.settings = settings
        self.trainer = trainer or load_trainer(settings.trainer, settings.allowed_trainers)
        self.registry = Registry(adapters, settings.allowed_trainers)
        self.job_types = JOB_TYPES if job_types is None else job_types
        self.worker_id = settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self._last_sweep = 0.0
        # A ConfigurationError (access denied, a missing resource) met by the loop itself or
        # by the last job that ended: retrying cannot cure it, so /healthz reports it until
        # the loop, or a job, gets through again. Two slots, so that an idle poll that
        # succeeds does not hide a job the backend refused.
        self.loop_misconfigured: str | None = None
        self.job_misconfigured: str | None = None

    # ----------------------------------------------------------------- loop

    def health(self) -> str | None:
        """None while healthy, else why not (what /healthz answers with a 503)."""
        if self.stopping.is_set():
            return "stopping"
        if self.loop_misconfigured is None and self.job_misconfigured is None:
            return None
        return "misconfigured"

    def stop(self) -> None:
        """Ask the loop to exit after the current job (see `shutdown_grace_seconds`)."""
        self.stopping.set()

    def run(self, *, max_jobs: int | None = None, idle_exit_seconds: float | None = None) -> int:
        """Work until stopped (or `max_jobs` messages handled, or idle for
        `idle_exit_seconds`); returns how many messages were handled."""
        handled = 0
        idle_since = time.monotonic()
        while not self.stopping.is_set():
            if max_jobs is not None and handled >= max_jobs:
                break
            try:
                worked = self.run_once()
            except Exception as exc:
                # A backend hiccup must not end the worker: the message (if any) is still
                # leased and comes back when the lease ends.
                if isinstance(exc, ConfigurationError):
                    self.loop_misconfigured = str(exc)
                log.exception("worker loop error; retrying in %s s", ERROR_PAUSE_SECONDS)
                self.stopping.wait(ERROR_PAUSE_SECONDS)
                continue
            self.loop_misconfigured = None
            if worked:
                handled += 1
                idle_since = time.monotonic()
            elif (
                idle_exit_seconds is not None and time.monotonic() - idle_since >= idle_exit_seconds
            ):
                break
        return handled

    def run_once(self, wait_seconds: float | None = None) -> bool:
        """Receive one message and handle it; False if none came within the wait."""
        self._maybe_sweep()
        wait = self.settings.poll_seconds if wait_seconds is None else wait_seconds
        messages = self.adapters.queue.receive(
            1, lease_seconds=self.settings.lease_seconds, wait_seconds=wait
        )
        for message in messages:
            self.handle(message)
        return bool(messages)

    # ----------------------------------------------------------------- one message

    def handle(self, message: Message) -> str:
        """Handle one delivery; returns what happened (for logs and tests)."""
        queue = self.adapters.queue
        try:
            job_id, _ = jobs.parse_message(message.body)
            job = jobs.get(self.adapters.documents, job_id)
        except (ValueError, NotFound) as exc:
            # Nothing can ever run it: drop it rather than let it cycle to the DLQ.
            log.error("dropping message %s: %s", message.id, exc)
            queue.ack(message)
            return "dropped"
        if job.state in TERMINAL:
            queue.ack(message)
            return "already-" + job.state
        job_type = self.job_types.get(job.type)
        if job_type is None:
            self._finish(job.id, FAILED, last_error=f"no handler for job type {job.type!r}")
            queue.ack(message)
            return "failed"
        run = self._claim(message, job)
        if run is None:
            queue.ack(message)
            return "already-done"
        recovered = job_type.recover(self._context(run))
        if recovered is not None:
            self._finish(job.id, SUCCEEDED, result=recovered, attempt=run.attempt)
            self._settle(queue.ack, message)
            return "already-registered"
        return self._execute(run, job_type)

    def _context(self, run: Run) -> JobContext:
        return JobContext(
            job=run.job,
            adapters=self.adapters,
            settings=self.settings,
            trainer=self.trainer,
            registry=self.registry,
            check_owned=lambda: self.check_owned(run),
            record=lambda **fields: self.record(run, **fields),
        )

    def _claim(self, message: Message, job: Job) -> Run | None:
        attempt = uuid.uuid4().hex

        def claim(current: Job) -> dict[str, Any] | None:
            if current.state in TERMINAL:
                return None
            return jobs.moved(
                current,
                RUNNING,
                attempts=int(current.data.get("attempts") or 0) + 1,
                attempt=attempt,
                worker_id=self.worker_id,
                started_at=now(),
            )

        claimed = jobs.change(self.adapters.documents, job.id, claim)
        return None if claimed is None else Run(message, claimed, attempt)

    def _execute(self, run: Run, job_type: JobType) -> str:
        log.info("job %s (%s): delivery %d", run.job.id, run.job.type, run.message.delivery_count)
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(run,), name="heartbeat", daemon=True
        )
        work = threading.Thread(
            target=self._work, args=(run, job_type), name=f"job-{run.job.id}", daemon=True
        )
        heartbeat.start()
        work.start()
        grace_ends: float | None = None
        while not run.done.wait(0.05):
            if self.stopping.is_set() and grace_ends is None:
                grace_ends = time.monotonic() + self.settings.shutdown_grace_seconds
            if grace_ends is not None and time.monotonic() >= grace_ends:
                run.lost.set()
                return self._abandon(run)
        if run.error is None:
            assert run.result is not None
            self.job_misconfigured = None
            return self._succeed(run)
        if isinstance(run.error, ConfigurationError):
            self.job_misconfigured = run.error_text or repr(run.error)
        if isinstance(run.error, LostJob):
            log.warning("job %s: lost to another delivery; leaving it alone", run.job.id)
            return "lost"
        return self._fail_attempt(run)

    def _work(self, run: Run, job_type: JobType) -> None:
        try:
            run.result = job_type.run(self._context(run))
        except BaseException as exc:  # recorded on the job; the loop goes on
            run.error = exc
            run.error_text = "".join(traceback.format_exception_only(exc)).strip()
            log.error("job %s failed:\n%s", run.job.id, traceback.format_exc())
        finally:
            run.done.set()

    def _heartbeat(self, run: Run) -> None:
        while not (run.done.wait(self.settings.heartbeat_seconds) or run.lost.is_set()):
            try:
                self.adapters.queue.extend(run.message, self.settings.lease_seconds)
            except NotFound:
                log.warning("job %s: lease lost", run.job.id)
                run.lost.set()
            except Exception:
                log.exception("job %s: lease extension failed; trying again", run.job.id)

    def check_owned(self, run: Run) -> None:
        """Raise LostJob unless this delivery still owns the job: its lease is held and the
        job document still carries its attempt token."""
        if run.lost.is_set():
            raise LostJob(f"job {run.job.id}: lease lost or worker stopping")
        current = jobs.get(self.adapters.documents, run.job.id)
        if current.data.get("attempt") != run.attempt or current.state != RUNNING:
            raise LostJob(f"job {run.job.id}: taken over by another delivery")

    def record(self, run: Run, **fields: Any) -> None:
        """Write `fields` on the job while this delivery owns it; LostJob if it does not."""

        def change(job: Job) -> dict[str, Any]:
            if run.lost.is_set() or job.data.get("attempt") != run.attempt:
                raise LostJob(f"job {job.id}: taken over by another delivery")
            if job.state != RUNNING:
                raise LostJob(f"job {job.id}: no longer running ({job.state})")
            return {**job.data, **fields, "updated_at": now()}

        changed = jobs.change(self.adapters.documents, run.job.id, change)
        assert changed is not None
        run.job = changed

    def _succeed(self, run: Run) -> str:
        self._finish(run.job.id, SUCCEEDED, result=run.result, last_error=None)
        self._settle(self.adapters.queue.ack, run.message)
        log.info("job %s: succeeded", run.job.id)
        return "succeeded"

    def _fail_attempt(self, run: Run) -> str:
        assert run.error is not None
        queue = self.adapters.queue
        error = run.error_text or repr(run.error)
        if not failures.is_transient(run.error):
            # Every delivery would fail the same way: the job ends now, its document says
            # why, and the message is done with (no retry, no dead letter).
            log.info("job %s: deterministic failure; not retried", run.job.id)
            self._finish(run.job.id, FAILED, last_error=error, attempt=run.attempt)
            self._settle(queue.ack, run.message)
            return "failed"
        final = run.message.delivery_count >= queue.max_deliveries
        if final:
            # The backend dead-letters the message once it is given back; the job ends here.
            self._finish(run.job.id, FAILED, last_error=error, attempt=run.attempt)
        else:
            self._finish(run.job.id, QUEUED, last_error=error, attempt=run.attempt)
        self._settle(queue.release, run.message, self.backoff(run.message))
        return "failed" if final else "retry"

    def _abandon(self, run: Run) -> str:
        log.warning("job %s: worker stopping; releasing it for another worker", run.job.id)
        self._finish(
            run.job.id,
            QUEUED,
            last_error=f"released unfinished: worker {self.worker_id} was stopped",
            attempt=run.attempt,
        )
        self._settle(self.adapters.queue.release, run.message, 0)
        return "released"

    @staticmethod
    def _settle(action: Callable[..., None], message: Message, *delay: float) -> None:
        """Ack or release; a lease that lapsed meanwhile is not an error here (the message
        will be delivered again, and the job's state decides what that delivery does)."""
        try:
            if delay:
                action(message, delay_seconds=delay[0])
            else:
                action(message)
        except NotFound:
            log.warning("message %s: lease had lapsed before it was settled", message.id)

    def backoff(self, message: Message) -> float:
        """Exponential in the delivery count, capped."""
        delay = self.settings.release_backoff_seconds * 2 ** (message.delivery_count - 1)
        return float(min(delay, self.settings.release_backoff_max_seconds))

    def _finish(
        self, job_id: str, state: str, *, attempt: str | None = None, **fields: Any
    ) -> None:
        """Move the job to `state`, re-reading on races; a job already terminal, or (with
        `attempt`) claimed since by another delivery, is left as it is."""

        def change(job: Job) -> dict[str, Any] | None:
            if job.state in TERMINAL:
                return None
            if attempt is not None and job.data.get("attempt") != attempt:
                return None
            return jobs.moved(job, state, **fields)

        jobs.change(self.adapters.documents, job_id, change)

    # ----------------------------------------------------------------- dead letters

    def _maybe_sweep(self) -> None:
        interval = self.settings.dead_letter_sweep_seconds
        if interval <= 0 or time.monotonic() - self._last_sweep < interval:
            return
        self._last_sweep = time.monotonic()
        try:
            sweep_dead_letters(self.adapters)
        except Exception:
            log.exception("dead-letter sweep failed; next one in %s s", interval)


# --------------------------------------------------------------------------- entry point


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("MLPOC_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s",
    )
    try:
        backend = load_settings()
        settings = load_runtime_settings()
        worker = Worker(build_adapters(COLLECTIONS, backend), settings)
    except (ConfigurationError, ValueError) as exc:
        print(f"mlpoc worker: {exc}", file=sys.stderr)
        return 2

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping after the current job", signum)
        worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    health = None
    if settings.health_port is not None:
        health = serve_health(settings.health_port, worker.health)
    log.info("worker %s started (%s backend)", worker.worker_id, backend.backend)
    handled = worker.run()
    if health is not None:
        health.shutdown()
    log.info("worker %s stopped after %d messages", worker.worker_id, handled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
