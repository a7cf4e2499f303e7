"""The training worker: pulls jobs from the JobQueue and runs them, at least once, done once.

- A heartbeat thread extends the message's lease every `heartbeat_seconds` (at most a third
  of the lease), so a long training is never redelivered while its worker lives.
- A job's result is keyed by its id: a redelivered `train` whose model version is already
  registered is acked without training again; a terminal job is acked at once.
- Each delivery claims the job document by compare-and-swap with a fresh attempt token;
  before registering anything the worker checks the token is still its own, so a worker
  that lost its job to a redelivery does not register a second version.
- An exception records the error on the job and releases the message with an exponential
  backoff; on the last allowed delivery the job is marked `failed` and the backend moves
  the message to the dead-letter queue. A periodic sweep of the dead-letter queue marks
  failed the jobs whose last delivery never reached a worker's error path (a crash).
- SIGTERM: the current job may finish within `shutdown_grace_seconds`; otherwise it is
  released for another worker and the job goes back to `queued`. Then the process exits 0.

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
from collections.abc import Callable
from types import FrameType
from typing import Any

from adapters.errors import ConfigurationError, Conflict, NotFound
from adapters.factory import build_adapters
from adapters.limits import MAX_LEASE_SECONDS
from adapters.ports import Adapters, Message
from runtime import artifacts, jobs, scoring
from runtime.batch_predict import DatasetRef, batch_predict, read_dataset
from runtime.config import RuntimeSettings, load_runtime_settings
from runtime.health import serve_health
from runtime.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, TERMINAL, Job
from runtime.registry import ModelVersion, Registry
from runtime.schema import COLLECTIONS
from runtime.trainers.base import Trainer, load_trainer, trainer_spec

log = logging.getLogger("mlpoc.worker")
ERROR_PAUSE_SECONDS = 2.0


class LostJob(Exception):
    """This delivery no longer owns its job (lease lost, redelivered, or shutting down)."""


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


Handler = Callable[[Run], dict[str, Any]]


class Worker:
    def __init__(
        self,
        adapters: Adapters,
        settings: RuntimeSettings,
        *,
        trainer: Trainer | None = None,
    ) -> None:
        self.adapters = adapters
        self.settings = settings
        self.trainer = trainer or load_trainer(settings.trainer, settings.allowed_trainers)
        self.registry = Registry(adapters, settings.allowed_trainers)
        self.worker_id = settings.worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self.handlers: dict[str, Handler] = {
            "train": self._train,
            "batch_predict": self._batch_predict,
        }
        self._last_sweep = 0.0

    # ----------------------------------------------------------------- loop

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
            except Exception:
                # A backend hiccup must not end the worker: the message (if any) is still
                # leased and comes back when the lease ends.
                log.exception("worker loop error; retrying in %s s", ERROR_PAUSE_SECONDS)
                self.stopping.wait(ERROR_PAUSE_SECONDS)
                continue
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
        handler = self.handlers.get(job.type)
        if handler is None:
            self._finish(job.id, FAILED, last_error=f"no handler for job type {job.type!r}")
            queue.ack(message)
            return "failed"
        run = self._claim(message, job)
        if run is None:
            queue.ack(message)
            return "already-done"
        if job.type == "train":
            existing = self.registry.versions_for_job(job.id)
            if existing:
                # A previous delivery registered the version and died before finishing.
                result = self._after_train(job, existing[0], promoted=None, fit_seconds=None)
                self._finish(job.id, SUCCEEDED, result=result, attempt=run.attempt)
                self._settle(queue.ack, message)
                return "already-registered"
        return self._execute(run, handler)

    def _claim(self, message: Message, job: Job) -> Run | None:
        attempt = uuid.uuid4().hex

        def claim(current: Job) -> Job | None:
            if current.state in TERMINAL:
                return None
            return jobs.transition(
                self.adapters.documents,
                current,
                RUNNING,
                attempts=int(current.data.get("attempts") or 0) + 1,
                attempt=attempt,
                worker_id=self.worker_id,
                started_at=jobs.now(),
            )

        claimed = jobs.update_with_retry(self.adapters.documents, job.id, claim)
        return None if claimed is None else Run(message, claimed, attempt)

    def _execute(self, run: Run, handler: Handler) -> str:
        log.info("job %s (%s): delivery %d", run.job.id, run.job.type, run.message.delivery_count)
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(run,), name="heartbeat", daemon=True
        )
        work = threading.Thread(
            target=self._work, args=(run, handler), name=f"job-{run.job.id}", daemon=True
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
            return self._succeed(run)
        if isinstance(run.error, LostJob):
            log.warning("job %s: lost to another delivery; leaving it alone", run.job.id)
            return "lost"
        return self._fail_attempt(run)

    def _work(self, run: Run, handler: Handler) -> None:
        try:
            run.result = handler(run)
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

    def _succeed(self, run: Run) -> str:
        self._finish(run.job.id, SUCCEEDED, result=run.result, last_error=None)
        self._settle(self.adapters.queue.ack, run.message)
        log.info("job %s: succeeded", run.job.id)
        return "succeeded"

    def _fail_attempt(self, run: Run) -> str:
        final = run.message.delivery_count >= self.adapters.queue.max_deliveries
        error = run.error_text or repr(run.error)
        if final:
            # The backend dead-letters the message once it is given back; the job ends here.
            self._finish(run.job.id, FAILED, last_error=error, attempt=run.attempt)
        else:
            self._finish(run.job.id, QUEUED, last_error=error, attempt=run.attempt)
        self._settle(self.adapters.queue.release, run.message, self.backoff(run.message))
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

        def change(job: Job) -> Job | None:
            if job.state in TERMINAL:
                return None
            if attempt is not None and job.data.get("attempt") != attempt:
                return None
            return jobs.transition(self.adapters.documents, job, state, **fields)

        jobs.update_with_retry(self.adapters.documents, job_id, change)

    # ----------------------------------------------------------------- handlers

    def _train(self, run: Run) -> dict[str, Any]:
        params = run.job.params
        model = params.get("model")
        if not isinstance(model, str):
            raise ValueError("train job needs a 'model' name")
        dataset = DatasetRef.from_params(params.get("dataset"))
        if dataset.target is None:
            raise ValueError("train job's dataset needs a 'target' column")
        frame, digest = read_dataset(self.adapters.blobs, dataset)
        if dataset.id_column:
            frame = frame.drop(columns=[dataset.id_column])
        started = time.monotonic()
        fit = self.trainer.fit(frame, dataset.target, dict(params.get("params") or {}))
        fit_seconds = time.monotonic() - started
        metric = self.settings.auto_promote_metric
        if metric and metric not in fit.metrics:
            # Checked before registering: a version must not exist for a job that then fails.
            raise ValueError(
                f"auto-promotion metric {metric!r} is not among the trainer's {sorted(fit.metrics)}"
            )
        ref = artifacts.store(self.adapters.blobs, self.trainer.dumps(fit.model))
        input_schema = self.trainer.input_schema(fit.model)
        features = frame.drop(columns=[dataset.target])
        compiled, serving = scoring.compile_version(self.trainer, fit, features, input_schema)
        if compiled is not None:
            serving = scoring.store_compiled(self.adapters.blobs, compiled, serving)
        self.check_owned(run)
        version = self.registry.register(
            model,
            artifact=ref,
            metrics=fit.metrics,
            params=fit.params,
            trainer=trainer_spec(self.trainer),
            artifact_format=self.trainer.artifact_format,
            dataset={**dataset.to_json(), "sha256": digest},
            job_id=run.job.id,
            input_schema=input_schema,
            serving=serving,
        )
        promoted = None
        if self.settings.auto_promote_metric:
            promoted = self.registry.maybe_promote(
                version,
                alias=self.settings.auto_promote_alias,
                metric=self.settings.auto_promote_metric,
                direction=self.settings.auto_promote_direction,
            )
        return self._after_train(run.job, version, promoted=promoted, fit_seconds=fit_seconds)

    def _after_train(
        self,
        job: Job,
        version: ModelVersion,
        *,
        promoted: bool | None,
        fit_seconds: float | None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "model": version.model,
            "version": version.version,
            "metrics": version.metrics,
            "artifact_sha256": version.artifact.sha256,
            "serving": version.serving.get("path", scoring.SKLEARN),
            "fit_seconds": fit_seconds,
            "promoted": promoted,
        }
        if self.settings.batch_predict_after_train:
            # A fixed child id makes this idempotent when the train job is redelivered.
            child = jobs.enqueue(
                self.adapters,
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

    def _batch_predict(self, run: Run) -> dict[str, Any]:
        params = run.job.params
        model = params.get("model")
        if not isinstance(model, str):
            raise ValueError("batch_predict job needs a 'model' name")
        ref = params.get("version", params.get("alias"))
        return batch_predict(
            self.adapters,
            model,
            DatasetRef.from_params(params.get("dataset")),
            ref=ref,
            trainers=self.settings.allowed_trainers,
        )

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


def sweep_dead_letters(adapters: Adapters, *, max_batches: int = 10) -> list[str]:
    """Mark `failed` every job whose message is in the dead-letter queue, with its last
    error. The messages stay there (leased for the longest lease, so the next sweep moves
    on to others) for an operator to inspect or purge. Returns the job ids marked failed."""
    marked: list[str] = []
    for _ in range(max_batches):
        messages = adapters.queue.receive_dead_letters(10, lease_seconds=MAX_LEASE_SECONDS)
        if not messages:
            break
        for message in messages:
            try:
                job_id, _ = jobs.parse_message(message.body)
            except ValueError:
                continue

            def change(job: Job) -> Job | None:
                if job.state in TERMINAL:
                    return None
                last = job.data.get("last_error") or "no error was recorded (worker crashed?)"
                return jobs.transition(
                    adapters.documents,
                    job,
                    FAILED,
                    last_error=f"dead-lettered after {adapters.queue.max_deliveries} "
                    f"deliveries; last error: {last}",
                )

            try:
                if jobs.update_with_retry(adapters.documents, job_id, change) is not None:
                    marked.append(job_id)
            except (NotFound, Conflict) as exc:
                log.error("dead-lettered job %s: %s", job_id, exc)
    return marked


# --------------------------------------------------------------------------- entry point


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("MLPOC_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s[%(process)d] %(message)s",
    )
    try:
        settings = load_runtime_settings()
        worker = Worker(build_adapters(COLLECTIONS, settings), settings)
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
        health = serve_health(settings.health_port, lambda: not worker.stopping.is_set())
    log.info("worker %s started (%s backend)", worker.worker_id, settings.backend)
    handled = worker.run()
    if health is not None:
        health.shutdown()
    log.info("worker %s stopped after %d messages", worker.worker_id, handled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
