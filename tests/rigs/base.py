"""The rig interface every backend's rig implements."""

from __future__ import annotations

import abc
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters import Adapters, Collection, Settings, build_adapters


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
