"""One cloud-neutral description of the system; every cloud's stack is built from it.

Each cloud package has one builder per component kind (`infra/<cloud>/stack.py`, `CLOUD`);
a builder declares which kinds it reads (`infra.build.builder`). The stack records which
Terraform blocks each component created, and the parity test checks that every component
exists on every cloud and that nothing exists outside a component.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from adapters.ports import Collection
from runtime.config import RuntimeSettings
from runtime.schema import COLLECTIONS


class Kind(StrEnum):
    ACCOUNT = "account"  # the AWS account / GCP project everything lives in (its APIs on)
    KEY = "key"
    BUCKET = "bucket"
    JOBS_QUEUE = "jobs_queue"
    DEAD_LETTER_QUEUE = "dead_letter_queue"
    DOCUMENTS = "documents"
    RUNTIME_IDENTITY = "runtime_identity"
    SERVICES = "services"
    ALERTS = "alerts"  # where alarms and budget notices go (the alert e-mail)
    DLQ_ALARM = "dlq_alarm"
    BUDGET = "budget"


@dataclass(frozen=True)
class Process:
    """One of the two processes run from the same image, chosen by `PROCESS_VARIABLE`
    (the image runs `python -m <module>`; App Engine custom runtimes cannot override the
    command, so an environment variable selects it on both clouds)."""

    name: str
    module: str
    serves_http: bool  # the API; on App Engine every service answers health checks

    @property
    def command(self) -> tuple[str, ...]:
        return ("python", "-m", self.module)

    @property
    def environment(self) -> dict[str, str]:
        """What selects and shapes this process, on top of the runtime's settings. A process
        without the API still answers health checks on PORT (`MLPOC_HEALTH_PORT`)."""
        env = {PROCESS_VARIABLE: self.name}
        if not self.serves_http:
            env[RuntimeSettings.env_name("health_port")] = str(PORT)
        return env


HEALTH_PATH = "/healthz"
PORT = 8080  # App Engine's $PORT; Elastic Beanstalk maps port 80 to it
PROCESS_VARIABLE = "MLPOC_PROCESS"
API = Process("api", "runtime.api", serves_http=True)
WORKER = Process("worker", "runtime.worker", serves_http=False)
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
    Component(Kind.BUCKET, "bucket"),
    Component(Kind.DEAD_LETTER_QUEUE, "dead_letter_queue"),
    Component(Kind.JOBS_QUEUE, "jobs_queue"),
    # One table (AWS) / indexed collection (GCP) per runtime collection, from runtime.schema.
    Component(Kind.DOCUMENTS, "documents", collections=COLLECTIONS),
    Component(Kind.RUNTIME_IDENTITY, "runtime_identity"),
    # The API and the worker (PROCESSES): one image, built by the platform from the release
    # bundle (infra.bundle), two processes. AWS runs them as two containers of one Elastic
    # Beanstalk environment, GCP as two App Engine services.
    Component(Kind.SERVICES, "app"),
    Component(Kind.ALERTS, "alerts"),
    Component(Kind.DLQ_ALARM, "dlq_alarm"),
    Component(Kind.BUDGET, "budget"),
)


def by_id(component_id: str) -> Component:
    for component in SYSTEM:
        if component.id == component_id:
            return component
    raise KeyError(component_id)
