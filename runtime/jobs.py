"""Job documents, their state machine, and enqueueing.

A job is a document in `jobs` (the truth about it) plus a queue message that only names it
(`{"job_id": ..., "type": ...}`). Enqueueing writes the document first, then the message: a
worker never receives a message whose job it cannot read. Every state change is a
compare-and-swap on the document's version, so two deliveries of one message cannot both
move it.

    queued ──▶ running ──▶ succeeded
      ▲  │        │ ╲
      │  │        │  ╲──▶ failed
      └──┼────────┘        ▲
         └─────────────────┘   (dead-lettered before a worker ran it)
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.errors import Conflict
from adapters.pagination import decode_token, encode_token
from adapters.ports import Adapters, Document, DocumentStore, Page
from runtime.clock import now
from runtime.names import check_job_id
from runtime.schema import JOBS

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED)
TERMINAL = frozenset({SUCCEEDED, FAILED})
# running -> running: a redelivery takes over a job whose worker died.
# running -> queued: the attempt failed and the message was released for a retry.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, FAILED}),
    RUNNING: frozenset({RUNNING, QUEUED, SUCCEEDED, FAILED}),
    SUCCEEDED: frozenset(),
    FAILED: frozenset(),
}
MAX_ERROR_CHARS = 4000


class InvalidTransition(ValueError):
    """The job's state machine does not allow this move."""


@dataclass(frozen=True)
class Job:
    id: str
    data: dict[str, Any]
    version: str

    @property
    def type(self) -> str:
        return str(self.data["type"])

    @property
    def state(self) -> str:
        return str(self.data["state"])

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.data.get("params") or {})

    @property
    def result(self) -> dict[str, Any] | None:
        result = self.data.get("result")
        return dict(result) if result is not None else None

    @classmethod
    def of(cls, doc: Document) -> Job:
        return cls(id=doc.id, data=doc.data, version=doc.version)

    def to_json(self) -> dict[str, Any]:
        """The job as the API and the CLI show it: its id and its document."""
        return {"id": self.id, **self.data}


def message_body(job_id: str, job_type: str) -> str:
    return json.dumps({"job_id": job_id, "type": job_type}, separators=(",", ":"))


def parse_message(body: str) -> tuple[str, str]:
    """(job_id, type) from a message body; ValueError if it is not one of ours."""
    try:
        decoded = json.loads(body)
        return str(decoded["job_id"]), str(decoded["type"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a job message: {body[:200]!r}") from exc


def enqueue(
    adapters: Adapters,
    job_type: str,
    params: Mapping[str, Any],
    *,
    job_id: str | None = None,
    created_by: str | None = None,
) -> Job:
    """Create the job document (state `queued`), then send its message. `created_by`: the
    id of the API key that asked (None for jobs the runtime enqueues itself).

    A given `job_id` makes enqueueing idempotent: if that job exists it is returned as is
    and nothing is sent. If sending fails, the job is marked failed (no worker would ever
    see it) and the error is raised. `job_type` must be registered (runtime.handlers).
    """
    # Imported here: the handlers' registry imports every handler, and handlers enqueue.
    from runtime.handlers import JOB_TYPES

    if job_type not in JOB_TYPES:
        raise ValueError(f"unknown job type {job_type!r}; known: {tuple(JOB_TYPES)}")
    job_id = job_id or uuid.uuid4().hex
    check_job_id(job_id)
    stamp = now()
    data: dict[str, Any] = {
        "type": job_type,
        "state": QUEUED,
        "params": dict(params),
        "attempts": 0,
        "last_error": None,
        "worker_id": None,
        "result": None,
        "created_at": stamp,
        "updated_at": stamp,
        "started_at": None,
        "finished_at": None,
        "created_by": created_by,
    }
    try:
        version = adapters.documents.create(JOBS.name, job_id, data)
    except Conflict:
        return get(adapters.documents, job_id)
    job = Job(job_id, data, version)
    try:
        adapters.queue.send(message_body(job_id, job_type), {"job_type": job_type})
    except Exception as exc:
        transition(adapters.documents, job, FAILED, last_error=f"enqueue failed: {exc!r}")
        raise
    return job


def get(documents: DocumentStore, job_id: str) -> Job:
    return Job.of(documents.get(JOBS.name, job_id))


def moved(job: Job, state: str, **fields: Any) -> dict[str, Any]:
    """The job's data once moved to `state` with `fields`; `InvalidTransition` if the state
    machine forbids the move."""
    if state not in TRANSITIONS[job.state]:
        raise InvalidTransition(f"job {job.id}: {job.state} -> {state} is not allowed")
    stamp = now()
    data = {**job.data, **fields, "state": state, "updated_at": stamp}
    if state in TERMINAL:
        data["finished_at"] = stamp
    if isinstance(data.get("last_error"), str):
        data["last_error"] = data["last_error"][-MAX_ERROR_CHARS:]
    return data


def transition(documents: DocumentStore, job: Job, state: str, **fields: Any) -> Job:
    """Move `job` to `state` by compare-and-swap on the version it was read at; `Conflict`
    if someone moved it since, `InvalidTransition` if the state machine forbids it."""
    data = moved(job, state, **fields)
    version = documents.update(JOBS.name, job.id, data, expected_version=job.version)
    return Job(job.id, data, version)


def change(
    documents: DocumentStore, job_id: str, decide: Callable[[Job], dict[str, Any] | None]
) -> Job | None:
    """Re-read and re-apply `decide` (which returns `moved(...)`, or None to leave the job as
    it is) until it wins a compare-and-swap race (`DocumentStore.modify`'s one retry
    policy; `Conflict` once it is exhausted). The job as written, or None."""
    doc = documents.modify(JOBS.name, job_id, lambda current: decide(Job.of(current)))
    return None if doc is None else Job.of(doc)


def list_jobs(
    documents: DocumentStore,
    *,
    state: str | None = None,
    job_type: str | None = None,
    limit: int = 100,
    page_token: str | None = None,
) -> Page[Job]:
    """Jobs newest first, in one state or across all of them. The type filter applies
    within each page, so a page may hold fewer than `limit`."""
    if state is not None:
        page = documents.query(
            JOBS.name, "state", state, descending=True, limit=limit, page_token=page_token
        )
    else:
        page = _newest_across_states(documents, limit, page_token)
    items = [
        Job.of(doc) for doc in page.items if job_type is None or doc.data.get("type") == job_type
    ]
    return Page(items, page.next_token)


class _StateCursor:
    """Where one state's newest-first listing stands: the page token of the page holding
    its next job, and that job's place on the page."""

    def __init__(
        self, documents: DocumentStore, state: str, token: str | None, offset: int, size: int
    ) -> None:
        self.documents, self.state, self.size = documents, state, size
        self.token, self.offset = token, offset
        self.page: Page[Document] | None = None

    def head(self) -> Document | None:
        while True:
            if self.page is None:
                self.page = self.documents.query(
                    JOBS.name, "state", self.state, descending=True, limit=self.size,
                    page_token=self.token,
                )  # fmt: skip
            if self.offset < len(self.page.items):
                return self.page.items[self.offset]
            if self.page.next_token is None:
                return None
            self.token, self.offset, self.page = self.page.next_token, 0, None

    def position(self) -> list[Any] | None:
        return None if self.head() is None else [self.token, self.offset]


def _newest_across_states(
    documents: DocumentStore, limit: int, page_token: str | None
) -> Page[Document]:
    """The states' newest-first listings merged by creation time. The page token holds each
    state's cursor (a state left out of it has nothing more)."""
    if page_token is None:
        positions: dict[str, Any] = {state: [None, 0] for state in STATES}
    else:
        positions = decode_token(page_token)
        if not isinstance(positions, dict) or not all(
            state in STATES
            and isinstance(at, list)
            and len(at) == 2
            and (at[0] is None or isinstance(at[0], str))
            and type(at[1]) is int
            and at[1] >= 0
            for state, at in positions.items()
        ):
            raise ValueError(f"invalid page token: {page_token!r}")
    cursors = [_StateCursor(documents, s, t, o, limit) for s, (t, o) in positions.items()]
    items: list[Document] = []
    while len(items) < limit:
        heads = [(c.head(), c) for c in cursors]
        ready = [(doc, c) for doc, c in heads if doc is not None]
        if not ready:
            break
        doc, cursor = max(ready, key=lambda pair: (str(pair[0].data.get("created_at")), pair[0].id))
        items.append(doc)
        cursor.offset += 1
    left = {c.state: at for c in cursors if (at := c.position()) is not None}
    return Page(items, encode_token(left) if left else None)


def count(documents: DocumentStore, state: str, *, cap: int) -> int:
    """How many jobs are in `state`, counting no further than `cap`."""
    return sum(1 for _ in itertools.islice(documents.iter_query(JOBS.name, "state", state), cap))
