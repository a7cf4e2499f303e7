"""Jobs whose message was dead-lettered: marked `failed` with their last error.

A job whose last delivery failed in a worker is marked failed there; one whose worker
crashed on its last delivery is not, and only the dead-letter queue knows. Workers sweep it
now and then (`dead_letter_sweep_seconds`).
"""

from __future__ import annotations

import logging

from adapters.errors import Conflict, NotFound
from adapters.limits import MAX_LEASE_SECONDS
from adapters.ports import Adapters
from runtime import jobs
from runtime.jobs import FAILED, TERMINAL, Job

log = logging.getLogger("mlpoc.worker")


def sweep_dead_letters(adapters: Adapters, *, max_batches: int = 10) -> list[str]:
    """Mark `failed` every job whose message is in the dead-letter queue, with its last
    error. The messages stay there (leased for the longest lease, so the next sweep moves
    on to others) for an operator to inspect or purge. Returns the job ids marked failed."""
    marked: list[str] = []
    reason = f"dead-lettered after {adapters.queue.max_deliveries} deliveries"

    def fail(job: Job) -> dict[str, object] | None:
        if job.state in TERMINAL:
            return None
        last = job.data.get("last_error") or "no error was recorded (worker crashed?)"
        return jobs.moved(job, FAILED, last_error=f"{reason}; last error: {last}")

    for _ in range(max_batches):
        messages = adapters.queue.receive_dead_letters(10, lease_seconds=MAX_LEASE_SECONDS)
        if not messages:
            break
        for message in messages:
            try:
                job_id, _ = jobs.parse_message(message.body)
            except ValueError:
                continue
            try:
                if jobs.change(adapters.documents, job_id, fail) is not None:
                    marked.append(job_id)
            except (NotFound, Conflict) as exc:
                log.error("dead-lettered job %s: %s", job_id, exc)
    return marked
