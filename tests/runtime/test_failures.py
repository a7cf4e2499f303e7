"""Jobs that fail: a deterministic failure ends the job on its first delivery; a transient
one is retried with backoff, then dead-lettered; the sweep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from adapters.ports import JobQueue
from runtime import jobs
from runtime.registry import Registry
from runtime.worker import Worker, sweep_dead_letters
from tests.runtime.plugins import TimingOutTrainer
from tests.support.data import IRIS, train_params
from tests.support.env import Env
from tests.support.waiting import wait_for


def dead_letter_ids(env: Env, worker: Worker | None = None) -> list[str]:
    """Job ids in the dead-letter queue (leased briefly, so they stay there). A receive on
    the main queue first lets SQS-style backends redrive exhausted messages."""
    if worker is not None:
        worker.run_once(wait_seconds=0)
    messages = env.adapters.queue.receive_dead_letters(10, lease_seconds=1)
    return [jobs.parse_message(m.body)[0] for m in messages]


def settlements(monkeypatch: pytest.MonkeyPatch, queue: JobQueue) -> list[str]:
    """The names of the queue's ack/release calls from now on, in order (the real calls
    still happen)."""
    calls: list[str] = []

    def spying(name: str) -> Callable[..., Any]:
        real = getattr(queue, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return spy

    for name in ("ack", "release"):
        monkeypatch.setattr(queue, name, spying(name))
    return calls


def run_until_failed(env: Env, worker: Worker, job_id: str, timeout: float) -> jobs.Job:
    def failed() -> jobs.Job | None:
        worker.run_once(wait_seconds=0.2)
        current = jobs.get(env.adapters.documents, job_id)
        return current if current.state == "failed" else None

    return wait_for(failed, timeout=timeout, interval=0, what=f"job {job_id} to fail")


def on_a_csv_without_the_target(env: Env) -> dict[str, Any]:
    env.adapters.blobs.put("datasets/bad.csv", b"a,b\n1,2\n3,4\n")
    return {**train_params(), "dataset": {**IRIS.to_json(), "key": "datasets/bad.csv"}}


# case: (trainer plugin or None for the default, the job's params, the error it ends with)
DETERMINISTIC: dict[str, tuple[str | None, Callable[[Env], dict[str, Any]], str]] = {
    # A trainer's own ValueError about the data it was given.
    "trainer-value-error": (
        None,
        lambda env: train_params(categorical=["nope"]),
        "categorical columns not in the data: ['nope']",
    ),
    # Params the trainer's declaration refuses, in a job enqueued without the API's check.
    "refused-params": (
        None,
        lambda env: train_params(max_iter="abc"),
        "invalid trainer params: max_iter: Input should be a valid integer",
    ),
    "bad-data": (None, on_a_csv_without_the_target, "has no column 'target'"),
    # A dataset deleted between the enqueue and the run.
    "dataset-gone": (
        None,
        lambda env: {"model": "iris", "snapshot_of": "gone", "params": {}},
        "dataset 'gone' not found",
    ),
    # A bug of the trainer's own.
    "trainer-bug": (
        "tests.runtime.plugins:FailingTrainer",
        lambda env: train_params(),
        "RuntimeError: boom: this trainer always fails",
    ),
}


@pytest.mark.parametrize("case", sorted(DETERMINISTIC))
def test_a_deterministic_failure_ends_the_job_on_its_first_delivery(
    env: Env, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trainer, params, error = DETERMINISTIC[case]
    worker = env.worker(**({"trainer": trainer} if trainer else {}))
    settled = settlements(monkeypatch, worker.adapters.queue)
    job = jobs.enqueue(env.adapters, "train", params(env))

    done = run_until_failed(env, worker, job.id, timeout=120)
    assert error in done.data["last_error"]
    # One delivery, acked: nothing was released for a retry and nothing was dead-lettered.
    assert done.data["attempts"] == 1
    assert settled == ["ack"]
    assert Registry(env.adapters).versions_for_job(job.id) == []
    assert env.adapters.queue.receive(1, lease_seconds=1, wait_seconds=0.5) == []
    assert dead_letter_ids(env) == []


def test_a_transient_failure_is_retried_and_the_retry_trains(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = env.worker(trainer="tests.runtime.plugins:FlakyTrainer")
    settled = settlements(monkeypatch, worker.adapters.queue)
    marker = str(env.tmp / "fail-first")
    job = jobs.enqueue(env.adapters, "train", train_params(estimator="linear", fail_first=marker))

    def succeeded() -> jobs.Job | None:
        worker.run_once(wait_seconds=0.2)
        current = jobs.get(env.adapters.documents, job.id)
        return current if current.state == "succeeded" else None

    done = wait_for(succeeded, timeout=120, interval=0, what="the retry to succeed")
    assert done.data["attempts"] == 2 and done.data["last_error"] is None
    assert settled == ["release", "ack"]
    assert [v.version for v in Registry(env.adapters).versions_for_job(job.id)] == [1]


def test_a_job_the_backend_refuses_turns_the_worker_unhealthy_until_a_job_gets_through(
    env: Env,
) -> None:
    """A ConfigurationError inside a job (the worker's identity lacks a grant its data
    needs) is retried like any transient failure, and the worker reports it: /healthz says
    "misconfigured" although the loop itself runs, until a job succeeds again."""
    worker = env.worker(trainer="tests.runtime.plugins:DeniedOnceTrainer")
    marker = str(env.tmp / "deny-first")
    job = jobs.enqueue(env.adapters, "train", train_params(estimator="linear", fail_first=marker))
    assert worker.health() is None

    def refused() -> jobs.Job | None:
        worker.run_once(wait_seconds=0.2)
        current = jobs.get(env.adapters.documents, job.id)
        return current if current.data.get("last_error") else None

    retried = wait_for(refused, timeout=120, interval=0, what="the refused delivery")
    assert "access denied to this trainer's data" in retried.data["last_error"]
    assert retried.state == "queued"
    assert worker.health() == "misconfigured"

    def succeeded() -> jobs.Job | None:
        worker.run_once(wait_seconds=0.2)
        current = jobs.get(env.adapters.documents, job.id)
        return current if current.state == "succeeded" else None

    done = wait_for(succeeded, timeout=120, interval=0, what="the retry to succeed")
    assert done.data["attempts"] == 2
    assert worker.health() is None


def test_a_transient_failure_is_retried_then_dead_lettered(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = env.worker(trainer="tests.runtime.plugins:TimingOutTrainer")
    assert isinstance(worker.trainer, TimingOutTrainer)
    settled = settlements(monkeypatch, worker.adapters.queue)
    job = jobs.enqueue(env.adapters, "train", train_params())

    done = run_until_failed(env, worker, job.id, timeout=120)
    assert "boom: this trainer's service timed out" in done.data["last_error"]
    assert done.data["attempts"] == env.backend.max_deliveries
    assert settled == ["release"] * env.backend.max_deliveries
    assert done.data["finished_at"] is not None
    assert Registry(env.adapters).versions_for_job(job.id) == []
    ids = wait_for(lambda: dead_letter_ids(env, worker), timeout=20, what="the dead letter")
    assert ids == [job.id]
    # Nothing is left to deliver on the main queue.
    assert env.adapters.queue.receive(1, lease_seconds=1, wait_seconds=0.5) == []


def test_sweep_marks_dead_lettered_jobs_failed(env: Env) -> None:
    """A job whose deliveries all ended in crashes (no worker ever recorded the end) is
    marked failed by the sweep, with the last error it had."""
    job = jobs.enqueue(env.adapters, "train", train_params())
    queue = env.adapters.queue
    for delivery in range(1, env.backend.max_deliveries + 1):
        messages = wait_for(
            lambda: queue.receive(1, lease_seconds=5, wait_seconds=0.5),
            timeout=20,
            what=f"delivery {delivery}",
        )
        assert messages[0].delivery_count == delivery
        queue.release(messages[0])
    current = jobs.get(env.adapters.documents, job.id)
    assert current.state == "queued"

    def swept() -> list[str]:
        queue.receive(1, lease_seconds=1, wait_seconds=0)  # lets SQS redrive it
        return sweep_dead_letters(env.adapters)

    assert wait_for(swept, timeout=20, what="the sweep to find the job") == [job.id]
    failed = jobs.get(env.adapters.documents, job.id)
    assert failed.state == "failed"
    assert "dead-lettered after 5 deliveries" in failed.data["last_error"]
    # The message stays in the dead-letter queue for an operator; sweeping again marks nothing.
    assert sweep_dead_letters(env.adapters) == []
