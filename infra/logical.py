"""One cloud-neutral description of the system; both stacks are built from it.

Each cloud package maps every component kind to one builder (`infra.aws.stack.BUILDERS`,
`infra.gcp.stack.BUILDERS`). A builder names every Terraform resource it creates `<id>` or
`<id>_<suffix>` (`resources_of`), which is how the parity test finds each component in both
synthesized outputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from adapters.ports import Collection
from runtime.config import RuntimeSettings
from runtime.schema import COLLECTIONS


class Kind(StrEnum):
    KEY = "key"
    BUCKET = "bucket"
    JOBS_QUEUE = "jobs_queue"
    DEAD_LETTER_QUEUE = "dead_letter_queue"
    DOCUMENTS = "documents"
    REGISTRY = "registry"
    RUNTIME_IDENTITY = "runtime_identity"
    SERVICES = "services"
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
    """A piece of the system. `id` is the Terraform resource name of its main resource."""

    kind: Kind
    id: str
    needs: tuple[str, ...] = ()
    collections: tuple[Collection, ...] = field(default=())


# In build order: a component comes after the ones it `needs`.
SYSTEM: tuple[Component, ...] = (
    Component(Kind.KEY, "key"),
    Component(Kind.BUCKET, "bucket", needs=("key",)),
    Component(Kind.DEAD_LETTER_QUEUE, "dead_letter_queue", needs=("key",)),
    Component(Kind.JOBS_QUEUE, "jobs_queue", needs=("key", "dead_letter_queue")),
    # One table (AWS) / indexed collection (GCP) per runtime collection, from runtime.schema.
    Component(Kind.DOCUMENTS, "documents", needs=("key",), collections=COLLECTIONS),
    Component(Kind.REGISTRY, "registry", needs=("key",)),
    Component(
        Kind.RUNTIME_IDENTITY,
        "runtime_identity",
        needs=("key", "bucket", "jobs_queue", "dead_letter_queue", "documents", "registry"),
    ),
    # The API and the worker (PROCESSES): one image, two processes. AWS runs them as two
    # containers of one Elastic Beanstalk environment, GCP as two App Engine services.
    Component(Kind.SERVICES, "app", needs=("runtime_identity", "registry")),
    Component(Kind.DLQ_ALARM, "dlq_alarm", needs=("dead_letter_queue",)),
    Component(Kind.BUDGET, "budget"),
)


def by_id(component_id: str) -> Component:
    for component in SYSTEM:
        if component.id == component_id:
            return component
    raise KeyError(component_id)


def resources_of(component: Component, names: Iterable[str]) -> list[str]:
    """The Terraform resource names, among `names`, that belong to `component`."""
    return sorted(n for n in names if n == component.id or n.startswith(f"{component.id}_"))
