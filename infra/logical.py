"""One cloud-neutral description of the system; every cloud's stack is built from it.

Each cloud package has one builder per component kind (`infra/<cloud>/stack.py`, `CLOUD`);
a builder declares which kinds it reads (`infra.build.builder`). The stack records which
Terraform blocks each component created, and the parity test checks that every component
exists on every cloud and that nothing exists outside a component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from adapters.ports import Collection
from runtime.config import RuntimeSettings
from runtime.schema import (
    ALIAS_HISTORY,
    ALIASES,
    ANNOTATIONS,
    API_KEYS,
    COLLECTIONS,
    DATASETS,
    JOBS,
    MODEL_VERSIONS,
    PREDICTIONS,
    RECORDS,
)


class Kind(StrEnum):
    ACCOUNT = "account"  # the AWS account / GCP project everything lives in (its APIs on)
    KEY = "key"
    LOGS = "logs"  # where access logs and audit trails are kept
    BUCKET = "bucket"
    JOBS_QUEUE = "jobs_queue"
    DEAD_LETTER_QUEUE = "dead_letter_queue"
    DOCUMENTS = "documents"
    AUDIT = "audit"  # who read or wrote which object and document
    RUNTIME_IDENTITY = "runtime_identity"  # one identity per process (ACCESS)
    ROLLOUT = "rollout"  # how a new release replaces the running one (ROLLOUT_POLICY)
    SERVICES = "services"
    EDGE = "edge"  # the HTTPS front end users reach the API through
    ALERTS = "alerts"  # where alarms and budget notices go (the alert e-mail)
    DLQ_ALARM = "dlq_alarm"
    BUDGET = "budget"


class Verb(StrEnum):
    READ = "read"  # get an object or a document, query, scan
    WRITE = "write"  # create, overwrite or delete


READ = frozenset({Verb.READ})
WRITE = frozenset({Verb.WRITE})
READ_WRITE = READ | WRITE


@dataclass(frozen=True)
class Access:
    """What one process may do with the project's data, cloud-neutrally. Each cloud's identity
    builder grants exactly this, in its own terms, plus only what its platform needs to run
    the process (logs, health); the identity tests name every resulting permission.

    `objects`: a key prefix (ending in "/") or one exact key -> verbs. `lists`: the prefixes
    whose keys it lists (a prefix ending in "/" covers the listings under it, another one only
    itself). `collections`: runtime collection name -> verbs (where a cloud's IAM
    cannot tell collections apart, its grant is wider and its tests say so). Queues: send =
    publish jobs; receive = lease, extend, ack."""

    objects: Mapping[str, frozenset[Verb]]
    collections: Mapping[str, frozenset[Verb]]
    send_jobs: bool
    receive_jobs: bool
    receive_dead_letters: bool
    lists: tuple[str, ...] = ()

    def writes(self, collection: str) -> bool:
        return Verb.WRITE in self.collections.get(collection, frozenset())


# The prefix the API's /readyz lists (runtime.health.PROBE; a test keeps them equal): no key
# has it, and a listing proves the bucket answers.
READINESS_PROBE_KEY = "readyz-probe"

# The API: uploads and appends (datasets/, labelled snapshots and column statistics
# included), serves models (artifacts/), labels, moves aliases, enqueues jobs, deletes a
# dataset (its files, listed under datasets/, and its records, annotations and predictions).
# It reads API keys and never writes them: operators create and revoke keys with their own
# credentials (`mlpoc keys create --stack`).
API_ACCESS = Access(
    objects={"datasets/": READ_WRITE, "artifacts/": READ},
    lists=(READINESS_PROBE_KEY, "datasets/"),
    collections={
        **dict.fromkeys(
            (DATASETS.name, RECORDS.name, ANNOTATIONS.name, JOBS.name, ALIASES.name),
            READ_WRITE,
        ),
        ALIAS_HISTORY.name: READ_WRITE,
        MODEL_VERSIONS.name: READ,
        PREDICTIONS.name: READ_WRITE,
        API_KEYS.name: READ,
    },
    send_jobs=True,
    receive_jobs=False,
    receive_dead_letters=False,
)
# The worker: reads datasets, writes model artifacts, registers versions, moves aliases
# (auto-promotion), stores predictions, enqueues a batch_predict after training, marks
# dead-lettered jobs failed. Nothing of datasets' documents, labels or API keys.
WORKER_ACCESS = Access(
    objects={"datasets/": READ, "artifacts/": READ_WRITE},
    collections={
        **dict.fromkeys(
            (JOBS.name, MODEL_VERSIONS.name, ALIASES.name, ALIAS_HISTORY.name), READ_WRITE
        ),
        PREDICTIONS.name: WRITE,
    },
    send_jobs=True,
    receive_jobs=True,
    receive_dead_letters=True,
)


@dataclass(frozen=True)
class Rollout:
    """How a new release of a service replaces the running one, on every cloud: new instances
    get traffic only once they answer `ready_path`; the API's new version first takes
    `canary_percent` of requests for `evaluation_minutes`, and the release stops (the old
    version keeps serving) if its health degrades; a start may take `start_timeout_seconds`
    (the API preloads its production models before it is ready)."""

    ready_path: str
    live_path: str
    canary_percent: int
    evaluation_minutes: int
    start_timeout_seconds: int


ROLLOUT_POLICY = Rollout(
    ready_path="/readyz",
    live_path="/healthz",
    canary_percent=10,
    evaluation_minutes=5,
    start_timeout_seconds=600,
)


def ready_path(process: Process) -> str:
    """Where a new instance of `process` says it may take work: the API's readiness (its
    backends answer, its production models are loaded); the worker has only liveness."""
    return ROLLOUT_POLICY.ready_path if process.serves_http else ROLLOUT_POLICY.live_path


@dataclass(frozen=True)
class Process:
    """One of the two processes run from the same image, chosen by `PROCESS_VARIABLE`
    (the image runs `python -m <module>`; App Engine custom runtimes cannot override the
    command, so an environment variable selects it on both clouds)."""

    name: str
    module: str
    serves_http: bool  # the API; on App Engine every service answers health checks
    access: Access

    @property
    def command(self) -> tuple[str, ...]:
        return ("python", "-m", self.module)

    @property
    def environment(self) -> dict[str, str]:
        """What selects and shapes this process, on top of the runtime's settings. A process
        without the API still answers health checks on PORT (`MLPOC_HEALTH_PORT`). Deployed,
        the API always sits behind an HTTPS front end (the edge component), so it redirects
        plain HTTP and sends HSTS (runtime.api.front_end)."""
        env = {PROCESS_VARIABLE: self.name}
        if self.serves_http:
            env[api_setting("https_only")] = "true"
        else:
            env[RuntimeSettings.env_name("health_port")] = str(PORT)
        return env


def api_setting(field_name: str) -> str:
    """The environment variable of an API setting (runtime.api.settings.ApiSettings, which
    infra may not import; a test checks every name the stacks use is one of its fields)."""
    return f"MLPOC_{field_name.upper()}"


HEALTH_PATH = "/healthz"  # liveness, on every process (ROLLOUT_POLICY.live_path)
PORT = 8080  # App Engine's $PORT; Elastic Beanstalk maps port 80 to it
PROCESS_VARIABLE = "MLPOC_PROCESS"
API = Process("api", "runtime.api", serves_http=True, access=API_ACCESS)
WORKER = Process("worker", "runtime.worker", serves_http=False, access=WORKER_ACCESS)
PROCESSES: tuple[Process, ...] = (API, WORKER)


@dataclass(frozen=True)
class Component:
    """A piece of the system. `id` is the Terraform resource name of its main resource (its
    other resources usually start with `<id>_`)."""

    kind: Kind
    id: str
    collections: tuple[Collection, ...] = field(default=())


# In build order: a cloud's builders may read only components listed before their own
# (`infra.build.Cloud.check`).
SYSTEM: tuple[Component, ...] = (
    Component(Kind.ACCOUNT, "account"),
    Component(Kind.KEY, "key"),
    # A bucket of its own for access logs and audit trails, written by the cloud's delivery
    # services only, expiring after the configured retention.
    Component(Kind.LOGS, "logs"),
    Component(Kind.BUCKET, "bucket"),
    Component(Kind.DEAD_LETTER_QUEUE, "dead_letter_queue"),
    Component(Kind.JOBS_QUEUE, "jobs_queue"),
    # One table (AWS) / indexed collection (GCP) per runtime collection, from runtime.schema.
    Component(Kind.DOCUMENTS, "documents", collections=COLLECTIONS),
    # Object- and document-level audit: AWS a CloudTrail trail of this bucket's data events,
    # GCP Data Access audit logs of Cloud Storage and Firestore.
    Component(Kind.AUDIT, "audit"),
    # One identity per process, granted its ACCESS and nothing else.
    Component(Kind.RUNTIME_IDENTITY, "runtime_identity"),
    Component(Kind.ROLLOUT, "rollout"),
    # The API and the worker (PROCESSES): one image, built by the platform from the release
    # bundle (infra.bundle), two processes, each its own service with its own identity: AWS
    # two Elastic Beanstalk environments, GCP two App Engine services.
    Component(Kind.SERVICES, "app"),
    Component(Kind.EDGE, "edge"),
    Component(Kind.ALERTS, "alerts"),
    Component(Kind.DLQ_ALARM, "dlq_alarm"),
    Component(Kind.BUDGET, "budget"),
)


def by_id(component_id: str) -> Component:
    for component in SYSTEM:
        if component.id == component_id:
            return component
    raise KeyError(component_id)
