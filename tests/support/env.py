"""One test's fresh backend resources on a rig, with the worker's settings, and worker
subprocesses that are always stopped."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters import Adapters, Settings, build_adapters
from runtime.config import RuntimeSettings
from runtime.schema import COLLECTIONS
from runtime.worker import Worker
from tests.rigs.base import Rig
from tests.support.data import IRIS, iris_csv
from tests.support.processes import REPO, start_module, stop_process

# Short leases so that expiry-based tests take seconds; a heartbeat every sixth of the lease
# leaves five heartbeats of slack for a thread held up on a busy machine.
FAST: dict[str, Any] = {
    "lease_seconds": 6,
    "heartbeat_seconds": 1,
    "release_backoff_seconds": 0.05,
    "release_backoff_max_seconds": 0.2,
    "poll_seconds": 0.5,
    "shutdown_grace_seconds": 0,
    "dead_letter_sweep_seconds": 0,
}


@dataclass
class Env:
    """One test's fresh backend resources, the backend settings pointing at them and the
    worker's settings."""

    rig: Rig
    backend: Settings
    settings: RuntimeSettings
    adapters: Adapters
    tmp: Path

    def with_settings(self, **overrides: Any) -> RuntimeSettings:
        return self.settings.model_copy(update=overrides)

    def worker(self, **overrides: Any) -> Worker:
        return Worker(build_adapters(COLLECTIONS, self.backend), self.with_settings(**overrides))

    def process_env(self, **overrides: Any) -> dict[str, str]:
        env = {
            **os.environ,
            **self.rig.environment(),
            **self.backend.to_env(),
            **self.with_settings(**overrides).to_env(),
        }
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        return env

    @contextmanager
    def worker_processes(
        self, count: int, *, extra_env: dict[str, str] | None = None, **overrides: Any
    ) -> Iterator[list[subprocess.Popen[bytes]]]:
        """`count` processes of `python -m runtime.worker`, stopped (terminate, wait, kill)
        however the test ends. Their logs go to files under the test's tmp dir."""
        env = {**self.process_env(**overrides), **(extra_env or {})}
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for i in range(count):
                log = self.tmp / f"worker-{len(list(self.tmp.glob('worker-*')))}-{i}.log"
                procs.append(start_module("runtime.worker", env, log))
            yield procs
        finally:
            for proc in procs:
                stop_process(proc)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.tmp.glob("worker-*.log"))
        )


def new_env(rig: Rig, tmp: Path) -> Env:
    """Fresh resources on `rig` (bucket, queues, tables) holding the iris CSV."""
    backend = rig.settings(COLLECTIONS)
    adapters = build_adapters(COLLECTIONS, backend)
    adapters.blobs.put(IRIS.key, iris_csv())
    tmp.mkdir(parents=True, exist_ok=True)
    return Env(
        rig=rig, backend=backend, settings=RuntimeSettings(**FAST), adapters=adapters, tmp=tmp
    )
