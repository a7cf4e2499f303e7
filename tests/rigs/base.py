"""The rig interface every backend's rig implements."""

from __future__ import annotations

import abc
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from adapters import Adapters, Collection, Settings, build_adapters


@dataclass(frozen=True)
class Identities:
    """Fresh resources behind the backend's own access control, and two identities on them,
    each as the environment a process needs to act as it (over the rig's `environment()`):
    `owner` may do everything, `reader` may read blobs and documents and look at the queue,
    but write nothing and take no message."""

    settings: Settings
    owner: dict[str, str]
    reader: dict[str, str]


class Rig(abc.ABC):
    """A started backend (servers running, environment set) that can make fresh resources."""

    name: str
    # What export_environment replaced; assigned afresh on export, never mutated here.
    _saved_env: dict[str, str | None] = {}  # noqa: RUF012

    @abc.abstractmethod
    def settings(self, collections: Iterable[Collection], *, max_deliveries: int = 5) -> Settings:
        """Create fresh, uniquely named resources (bucket, queues, tables...) for these
        collections on the rig's server, and return the Settings that point at them."""

    def environment(self) -> dict[str, str]:
        """Extra environment a subprocess needs to reach the rig's servers (endpoints,
        dummy credentials). Combine with `Settings.to_env()`."""
        return {}

    def adapters(self, collections: Iterable[Collection], *, max_deliveries: int = 5) -> Adapters:
        """Fresh adapters built through the real factory from fresh settings."""
        collections = tuple(collections)
        return build_adapters(
            collections, self.settings(collections, max_deliveries=max_deliveries)
        )

    def identities(self, collections: Iterable[Collection]) -> Identities:
        """Resources guarded by the backend's access control (see `Identities`). A backend
        whose servers cannot enforce access has none: the tests that need it name that
        backend's gap in tests/contract/gaps.py."""
        raise NotImplementedError(f"the {self.name} rig cannot enforce access control")

    def stop(self) -> None:  # noqa: B027 - optional hook: the local rig has no server
        """Stop the rig's servers (the session fixture calls this once)."""

    def export_environment(self) -> None:
        """Put `environment()` into this process's environment (the SDKs read their
        endpoints from it, so the adapters under test carry no test switch)."""
        self._saved_env = {name: os.environ.get(name) for name in self.environment()}
        os.environ.update(self.environment())

    def restore_environment(self) -> None:
        """Undo `export_environment`."""
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    @staticmethod
    def unique(prefix: str = "t") -> str:
        """A short unique lowercase name, valid as a bucket, queue, table or topic name part."""
        return f"{prefix}{uuid.uuid4().hex[:12]}"


@contextmanager
def acting_as(environment: dict[str, str]) -> Iterator[None]:
    """This process's environment with `environment` over it (an empty value unsets), for
    building adapters as another identity: the SDKs read credentials and endpoints when a
    client is made, so adapters built inside keep acting as it after the block."""
    saved = {name: os.environ.get(name) for name in environment}
    try:
        for name, value in environment.items():
            if value:
                os.environ[name] = value
            else:
                os.environ.pop(name, None)
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def build_as(
    environment: dict[str, str], collections: Iterable[Collection], settings: Settings
) -> Adapters:
    """Adapters acting as the identity `environment` describes (see `acting_as`)."""
    with acting_as(environment):
        return build_adapters(tuple(collections), settings)


@contextmanager
def started_rig(backend: str, tmp: Path) -> Iterator[Rig]:
    """A running rig for `backend` (local, aws, gcp) outside pytest (the benches), stopped
    on exit. Only the chosen backend's rig, and so its SDK, is imported."""
    rig: Rig
    if backend == "local":
        from tests.rigs.local import LocalRig

        rig = LocalRig(tmp)
    elif backend == "aws":
        from tests.rigs.aws import AwsRig

        rig = AwsRig.start(tmp)
    elif backend == "gcp":
        from tests.rigs.gcp import GcpRig

        rig = GcpRig.start(tmp)
    else:
        raise SystemExit(f"unknown backend {backend!r}; choose from local, aws, gcp")
    try:
        yield rig
    finally:
        rig.stop()
