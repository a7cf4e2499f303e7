"""Jobs that fail: retries with backoff, the dead-letter queue, and the sweep."""

from __future__ import annotations

from runtime import jobs
from runtime.registry import Registry
from runtime.worker import Worker, sweep_dead_letters
from tests.runtime.plugins import FailingTrainer
from tests.support.data import train_params
from tests.support.env import Env
from tests.support.waiting import wait_for


def dead_letter_ids(env: Env, worker: Worker | None = None) -> list[str]:
    """Job ids in the dead-letter queue (leased briefly, so they stay there). A receive on
    the main queue first lets SQS-style backends redrive exhausted messages."""
    if worker is not None:
        worker.run_once(wait_seconds=0)
    messages = env.adapters.queue.receive_dead_letters(10, lease_seconds=1)
    return [jobs.parse_message(m.body)[0] for m in messages]


def test_failing_trainer_dead_letters_the_job(env: Env) -> None:
    worker = env.worker(trainer="tests.runtime.plugins:FailingTrainer")
    assert isinstance(worker.trainer, FailingTrainer)
    job = jobs.enqueue(env.adapters, "train", train_params())

    def failed() -> jobs.Job | None:
        worker.run_once(wait_seconds=0.2)
        current = jobs.get(env.adapters.documents, job.id)
        return current if current.state == "failed" else None

    done = wait_for(failed, timeout=120, interval=0, what="the job to fail")
    assert "boom: this trainer always fails" in done.data["last_error"]
    assert done.data["attempts"] == env.backend.max_deliveries
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
