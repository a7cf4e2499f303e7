"""Done once under at-least-once delivery: a redelivered job does no work twice, and a
delivery that lost its job registers nothing."""

from __future__ import annotations

import threading

from runtime import artifacts, jobs
from runtime.registry import Registry
from tests.runtime.plugins import open_gate
from tests.support.data import train_params
from tests.support.env import Env
from tests.support.waiting import wait_for


def test_redelivered_job_with_registered_version_is_acked_without_training(env: Env) -> None:
    job = jobs.enqueue(env.adapters, "train", train_params())
    # A previous delivery registered the version, then died before finishing the job.
    registry = Registry(env.adapters)
    ref = artifacts.store(env.adapters.blobs, b"weights")
    registry.register(
        "iris",
        artifact=ref,
        metrics={"accuracy": 0.9},
        params={},
        trainer="runtime.trainers.tabular:TabularTrainer",
        artifact_format="skops",
        dataset={"key": "datasets/iris.csv"},
        job_id=job.id,
    )
    worker = env.worker(trainer="tests.runtime.plugins:FailingTrainer")  # must not be called
    outcome = wait_for(
        lambda: [worker.handle(m) for m in env.adapters.queue.receive(1, wait_seconds=0.5)],
        timeout=20,
        what="the message",
    )
    assert outcome == ["already-registered"]
    done = jobs.get(env.adapters.documents, job.id)
    assert done.state == "succeeded" and done.result is not None and done.result["version"] == 1
    assert [v.version for v in registry.versions("iris")] == [1]
    assert env.adapters.queue.receive(1, lease_seconds=1, wait_seconds=0.5) == []


def test_delivery_that_lost_its_job_registers_nothing(env: Env) -> None:
    gate = env.tmp / "gate"
    job = jobs.enqueue(env.adapters, "train", train_params(estimator="linear", gate=str(gate)))
    worker = env.worker(trainer="tests.runtime.plugins:SlowTrainer")
    messages = wait_for(
        lambda: env.adapters.queue.receive(
            1, lease_seconds=env.settings.lease_seconds, wait_seconds=0.5
        ),
        timeout=20,
        what="the message",
    )
    outcome: list[str] = []
    thread = threading.Thread(target=lambda: outcome.append(worker.handle(messages[0])))
    thread.start()
    running = wait_for(
        lambda: (j := jobs.get(env.adapters.documents, job.id)).state == "running" and j,
        timeout=60,
        what="the job to run",
    )
    # Another delivery claims the job while this one trains (what a redelivery after a
    # lost lease does).
    jobs.transition(env.adapters.documents, running, "running", attempt="someone-else")
    open_gate(gate)  # only now may the fit go on
    thread.join(timeout=60)
    assert outcome == ["lost"]
    assert Registry(env.adapters).versions_for_job(job.id) == []
    assert jobs.get(env.adapters.documents, job.id).data["attempt"] == "someone-else"
