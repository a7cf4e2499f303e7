"""Runtime fixtures: fresh resources per test on each backend's rig, a dataset that ships
with scikit-learn written to the BlobStore as CSV, and worker subprocesses that are always
stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from adapters import Adapters, build_adapters
from runtime.batch_predict import DatasetRef
from runtime.config import RuntimeSettings
from runtime.schema import COLLECTIONS
from runtime.worker import Worker
from tests.rigs.base import Rig

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]

# Short leases so that expiry-based tests take seconds; the heartbeat stays a third of it.
FAST: dict[str, Any] = {
    "lease_seconds": 3,
    "heartbeat_seconds": 1,
    "release_backoff_seconds": 0.05,
    "release_backoff_max_seconds": 0.2,
    "poll_seconds": 0.5,
    "shutdown_grace_seconds": 0,
    "dead_letter_sweep_seconds": 0,
}
IRIS = DatasetRef(key="datasets/iris.csv", name="iris", target="target", id_column="record_id")


@dataclass
class Env:
    """One test's fresh backend resources and the runtime settings pointing at them."""

    rig: Rig
    settings: RuntimeSettings
    adapters: Adapters
    tmp: Path

    def with_settings(self, **overrides: Any) -> RuntimeSettings:
        return self.settings.model_copy(update=overrides)

    def worker(self, **overrides: Any) -> Worker:
        settings = self.with_settings(**overrides)
        return Worker(build_adapters(COLLECTIONS, settings), settings)

    def process_env(self, **overrides: Any) -> dict[str, str]:
        env = {**os.environ, **self.rig.environment(), **self.with_settings(**overrides).to_env()}
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
                log = (self.tmp / f"worker-{len(list(self.tmp.glob('worker-*')))}-{i}.log").open(
                    "wb"
                )
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "runtime.worker"],
                        env=env,
                        cwd=REPO,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                log.close()
            yield procs
        finally:
            for proc in procs:
                stop_process(proc)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.tmp.glob("worker-*.log"))
        )


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def wait_for(
    check: Callable[[], T], *, timeout: float, interval: float = 0.1, what: str = "condition"
) -> T:
    """Poll `check` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def iris_csv() -> bytes:
    """Iris with a record id and two categorical columns (one informative, one noise) so the
    pipeline's categorical preprocessing is exercised, including a missing value."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    rng = np.random.default_rng(0)
    frame.insert(0, "record_id", [f"r{i:03d}" for i in range(len(frame))])
    frame["petal_size"] = np.select(
        [frame["petal length (cm)"] < 2.5, frame["petal length (cm)"] < 5.0],
        ["small", "medium"],
        "large",
    )
    frame["colour"] = rng.choice(["red", "green", "blue"], len(frame))
    frame.loc[7, "colour"] = None
    return frame.to_csv(index=False).encode()


def new_env(rig: Rig, tmp: Path) -> Env:
    """Fresh resources on `rig` (bucket, queues, tables) holding the iris CSV."""
    base = rig.settings(COLLECTIONS)
    settings = RuntimeSettings(**{**base.model_dump(), **FAST})
    adapters = build_adapters(COLLECTIONS, settings)
    adapters.blobs.put(IRIS.key, iris_csv())
    tmp.mkdir(parents=True, exist_ok=True)
    return Env(rig=rig, settings=settings, adapters=adapters, tmp=tmp)


@pytest.fixture
def env(rig: Rig, tmp_path: Path) -> Env:
    return new_env(rig, tmp_path / "env")


def train_params(model: str = "iris", **trainer_params: Any) -> dict[str, Any]:
    return {"model": model, "dataset": IRIS.to_json(), "params": trainer_params}
