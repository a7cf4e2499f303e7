"""Worker processes (`python -m runtime.worker`): crashes, sharing a queue, SIGTERM.

Each worker process pays about 2 s (more on a loaded machine) importing scikit-learn, so
the tests start their processes together and ask several things of each group.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from runtime import jobs
from runtime.registry import Registry
from runtime.schema import JOBS
from tests.rigs.base import Rig
from tests.runtime.plugins import open_gate
from tests.support.data import train_params
from tests.support.env import Env, new_env
from tests.support.waiting import wait_for

SLOW = "tests.runtime.plugins:SlowTrainer"


def job_state(env: Env, job_id: str) -> jobs.Job:
    return jobs.get(env.adapters.documents, job_id)


def pid_of(worker_id: str) -> int:
    return int(worker_id.rsplit(":", 1)[1])


def test_sigkill_mid_training_then_two_workers_twenty_jobs(env: Env) -> None:
    """A worker SIGKILLed mid-training: after its lease expires another worker completes the
    job, registering exactly one version. The two survivors then share twenty more jobs:
    twenty succeeded jobs, twenty distinct version numbers."""
    # The first delivery is held mid-fit until it is killed; the redelivery goes through.
    held = env.tmp / "slow-job"
    hold = train_params(estimator="linear", hold_first=str(held))
    slow = jobs.enqueue(env.adapters, "train", hold)
    with env.worker_processes(3, trainer=SLOW) as procs:
        # Killed once inside the held fit (the marker exists), not between the claim and the
        # fit: a redelivery would then claim the marker itself and wait for a gate nobody opens.
        running = wait_for(
            lambda: held.exists() and (j := job_state(env, slow.id)).state == "running" and j,
            timeout=120,
            what=lambda: "a worker to start training\n" + env.logs(),
        )
        victim = next(p for p in procs if p.pid == pid_of(running.data["worker_id"]))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        params = train_params(estimator="linear")
        ids = [jobs.enqueue(env.adapters, "train", params).id for _ in range(20)]

        states: list[str] = []

        def all_done() -> bool:
            states[:] = [job_state(env, i).state for i in [slow.id, *ids]]
            assert "failed" not in states, env.logs()
            return all(s == "succeeded" for s in states)

        # Two workers, twenty-one trainings, every step a call to the emulators: about 30 s
        # on a quiet machine, several times that on a busy one.
        wait_for(
            all_done,
            timeout=300,
            interval=0.3,
            what=lambda: f"21 jobs to succeed (now {states})\n" + env.logs(),
        )
        assert [p.poll() is None for p in procs if p is not victim] == [True, True]

    taken_over = job_state(env, slow.id)
    assert taken_over.data["attempts"] == 2
    assert pid_of(taken_over.data["worker_id"]) != victim.pid
    registry = Registry(env.adapters)
    assert len(registry.versions_for_job(slow.id)) == 1

    finished = [job_state(env, i) for i in ids]
    numbers = [j.result["version"] for j in finished if j.result]
    assert len(numbers) == 20 and len(set(numbers)) == 20
    registered = {v.data["job_id"]: v.version for v in registry.versions("iris")}
    assert sorted(registered.values()) == list(range(1, 22))
    assert registered == {
        j.id: j.result["version"] for j in [taken_over, *finished] if j.result is not None
    }
    workers = {j.data["worker_id"] for j in finished}
    print("jobs per worker:", [sum(j.data["worker_id"] == w for j in finished) for w in workers])


def test_sigterm_finishes_or_releases_the_job_and_exits_cleanly(
    env: Env, rig: Rig, tmp_path: Path
) -> None:
    """Two workers on separate queues (started together to share the start-up time): one
    with no grace releases its job at once, one with grace finishes its job, which is held
    past its lease without being redelivered (the heartbeat); both exit 0."""
    other = new_env(rig, tmp_path / "other")
    finisher_gate = other.tmp / "finisher-gate"
    released_job = jobs.enqueue(
        env.adapters, "train", train_params(estimator="linear", gate=str(env.tmp / "never"))
    )
    finished_job = jobs.enqueue(
        other.adapters, "train", train_params(estimator="linear", gate=str(finisher_gate))
    )
    with (
        env.worker_processes(1, trainer=SLOW, shutdown_grace_seconds=0) as (releaser,),
        other.worker_processes(1, trainer=SLOW, shutdown_grace_seconds=30) as (finisher,),
    ):
        for e, job in ((env, released_job), (other, finished_job)):
            wait_for(
                lambda e=e, job=job: job_state(e, job.id).state == "running",
                timeout=120,
                what=lambda: "the workers to start training\n" + env.logs() + other.logs(),
            )
        leased_by = time.monotonic()  # both deliveries were leased before this
        releaser.send_signal(signal.SIGTERM)
        finisher.send_signal(signal.SIGTERM)
        assert releaser.wait(timeout=60) == 0, env.logs()
        # The finisher's fit is held until one and a half leases have passed: only the
        # heartbeat can keep its delivery from coming back meanwhile.
        held_until = leased_by + 1.5 * other.settings.lease_seconds
        redelivered = []
        while finisher.poll() is None:
            if time.monotonic() > held_until and not finisher_gate.exists():
                open_gate(finisher_gate)
            redelivered += other.adapters.queue.receive(1, lease_seconds=1, wait_seconds=0.5)
        assert finisher_gate.exists(), "the finisher exited before its job was let through"
        assert redelivered == [], "a job was redelivered while its worker was alive"
        assert finisher.wait(timeout=60) == 0, other.logs()

    done = job_state(other, finished_job.id)
    assert done.state == "succeeded" and done.data["attempts"] == 1
    assert other.adapters.documents.get(JOBS.name, done.id).data["result"]["version"] == 1
    assert other.adapters.queue.receive(1, lease_seconds=1, wait_seconds=0.5) == []

    released = job_state(env, released_job.id)
    assert released.state == "queued"
    assert "was stopped" in released.data["last_error"]
    assert Registry(env.adapters).versions_for_job(released.id) == []
    # Released, not left to lapse: it is deliverable again at once, not after the lease.
    again = wait_for(
        lambda: env.adapters.queue.receive(1, lease_seconds=30, wait_seconds=1),
        timeout=30,
        what="the released job",
    )
    assert [jobs.parse_message(m.body)[0] for m in again] == [released.id]
    assert again[0].delivery_count == 2
