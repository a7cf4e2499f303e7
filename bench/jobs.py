"""Asking for a training job: enqueue time against the dataset's size, and how soon a job
that cannot succeed says so.

Run by hand (never as a timed test):

    python bench/jobs.py [--backends local] [--sizes 1000,200000] [--requests N]

Servers start through the test rigs (moto, Google's emulators, fake-gcs-server; a temporary
directory for local). The API runs in-process (FastAPI's TestClient, an admin key, the
backend's real adapters).

1. Enqueue. A labelled dataset of each size (generated, stored with `ingest`) gets
   --requests `POST /jobs {"type": "train"}` requests, after one warm-up round, in rounds
   of one request per size (the order alternating); median time of the request. Target:
   the largest size's median within 1.5x of the smallest's (constant time). For reference,
   the labelled snapshot that the request used to build (and that the job's first delivery
   builds now) is timed once per size.
2. Fail fast. A worker with the runtime's default settings (5 s long poll, 5 s backoff)
   runs its loop in a thread. Timed from the request to the job's `failed` state read back
   through the API: a train job whose trainer raises its own ValueError (a categorical
   column the data lacks), on the smallest dataset; median of --failures jobs. Target
   <= 2 s. And the time of the 422 that refuses `max_iter=abc` before anything is queued.

Prints Markdown.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script from anywhere: make the repository (and so `tests.rigs`) importable, and
# put it first so that `import adapters` finds the package, not bench/adapters.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from runtime.config import RuntimeSettings
from runtime.datasets.ingest import ingest
from runtime.datasets.training import snapshot_of
from runtime.worker import Worker
from tests.rigs.base import started_rig
from tests.support.api import Api, make_api

CONSTANT_TARGET = 1.5
FAIL_FAST_TARGET = 2.0
JOB_TIMEOUT_SECONDS = 120.0


def labelled_csv(rows: int) -> bytes:
    """`rows` rows: a record id, four numeric features, a class label from a rule on them."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 4)).round(4)
    label = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    out = io.StringIO()
    out.write("record_id,a,b,c,d,target\n")
    for n in range(rows):
        a, b, c, d = x[n]
        out.write(f"r{n:07d},{a},{b},{c},{d},{label[n]}\n")
    return out.getvalue().encode()


@dataclass
class Enqueue:
    rows: int
    request: float  # median seconds of POST /jobs
    snapshot: float  # seconds of the labelled snapshot the request used to build


@dataclass
class FailFast:
    refused: float  # median seconds of the 422 for max_iter=abc
    failed: float  # median seconds from the request to the job read back as failed
    attempts: list[int]


def timed_post(api: Api, body: dict[str, Any], status: int) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    response = api.client.post("/jobs", json=body, headers=api.headers())
    elapsed = time.perf_counter() - start
    if response.status_code != status:
        raise SystemExit(f"POST /jobs {body}: {response.status_code} {response.text}")
    return elapsed, response.json()


def measure_enqueue(api: Api, sizes: list[int], requests: int) -> list[Enqueue]:
    """Rounds of one request per size, the order alternating so that drift and warm-up
    cancel; then the snapshot of each size, once."""
    times: dict[int, list[float]] = {rows: [] for rows in sizes}
    for n in range(-1, requests):  # round -1 warms up
        for rows in sizes if n % 2 == 0 else sizes[::-1]:
            elapsed, _ = timed_post(api, {"type": "train", "dataset": f"rows{rows}"}, 202)
            if n >= 0:
                times[rows].append(elapsed)
    results = []
    for rows in sizes:
        start = time.perf_counter()
        snapshot_of(api.adapters, f"rows{rows}")
        snapshot = time.perf_counter() - start
        results.append(Enqueue(rows, statistics.median(times[rows]), snapshot))
    return results


@contextmanager
def running_worker(api: Api) -> Iterator[None]:
    """A worker with the runtime's default settings, its loop in a thread."""
    worker = Worker(api.adapters, RuntimeSettings())
    thread = threading.Thread(target=worker.run, name="bench-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        worker.stop()
        thread.join(timeout=60)


def measure_fail_fast(api: Api, name: str, count: int) -> FailFast:
    refused = [
        timed_post(api, {"type": "train", "dataset": name, "params": {"max_iter": "abc"}}, 422)[0]
        for _ in range(count)
    ]
    failed: list[float] = []
    attempts: list[int] = []
    with running_worker(api):
        for n in range(-1, count):  # job -1 warms up the worker's imports
            body = {"type": "train", "dataset": name, "params": {"categorical": ["nope"]}}
            start = time.perf_counter()
            _, job = timed_post(api, body, 202)
            while True:
                got = api.client.get(f"/jobs/{job['id']}", headers=api.headers()).json()
                if got["state"] == "failed":
                    break
                if got["state"] == "succeeded" or time.perf_counter() - start > JOB_TIMEOUT_SECONDS:
                    raise SystemExit(f"job {job['id']} did not fail: {got}")
                time.sleep(0.01)
            if n >= 0:
                failed.append(time.perf_counter() - start)
                attempts.append(int(got["attempts"]))
    return FailFast(statistics.median(refused), statistics.median(failed), attempts)


def run_backend(
    backend: str, tmp: Path, sizes: list[int], args: argparse.Namespace
) -> tuple[list[Enqueue], FailFast]:
    with started_rig(backend, tmp) as rig:
        api = make_api(rig)
        with api.client:
            for rows in sizes:
                print(f"{backend}: storing {rows} rows ...", file=sys.stderr, flush=True)
                ingest(api.adapters, io.BytesIO(labelled_csv(rows)), name=f"rows{rows}",
                       target="target", id_column="record_id")  # fmt: skip
            print(f"{backend}: fail fast ...", file=sys.stderr, flush=True)
            fail_fast = measure_fail_fast(api, f"rows{sizes[0]}", args.failures)
            print(f"{backend}: enqueue ...", file=sys.stderr, flush=True)
            enqueues = measure_enqueue(api, sizes, args.requests)
    return enqueues, fail_fast


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def markdown(results: dict[str, tuple[list[Enqueue], FailFast]], args: argparse.Namespace) -> str:
    lines = [
        f"Enqueue: `POST /jobs` of a train job, median of {args.requests} requests per "
        "dataset size; the snapshot column is the work the request used to do (now the "
        "job's first delivery), timed once.",
        "",
        "| backend | rows | POST /jobs ms | vs smallest | target | met | snapshot s |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for backend, (enqueues, _) in results.items():
        base = enqueues[0].request
        for e in enqueues:
            ratio = e.request / base
            lines.append(
                f"| {backend} | {e.rows:,} | {e.request * 1000:.1f} | {ratio:.2f}x "
                f"| <= {CONSTANT_TARGET}x | {met(ratio <= CONSTANT_TARGET)} | {e.snapshot:.2f} |"
            )
    lines += [
        "",
        f"Fail fast: medians of {args.failures} jobs; a worker with the default settings.",
        "",
        "| backend | 422 for max_iter=abc ms | request to `failed` s | attempts | target | met |",
        "| --- | ---: | ---: | --- | ---: | --- |",
    ]
    for backend, (_, f) in results.items():
        ok = f.failed <= FAIL_FAST_TARGET and set(f.attempts) == {1}
        lines.append(
            f"| {backend} | {f.refused * 1000:.1f} | {f.failed:.2f} | {sorted(set(f.attempts))} "
            f"| <= {FAIL_FAST_TARGET:.0f} s, 1 attempt | {met(ok)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="local")
    parser.add_argument("--sizes", default="1000,200000", help="dataset sizes, smallest first")
    parser.add_argument("--requests", type=int, default=20, help="timed enqueues per size")
    parser.add_argument("--failures", type=int, default=5, help="timed failing jobs")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    if not sizes or sizes[0] < 20 or args.requests < 1 or args.failures < 1:
        parser.error("--sizes must be >= 20 rows; --requests and --failures >= 1")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    results = {}
    with tempfile.TemporaryDirectory(prefix="mlpoc-bench-") as tmp:
        for backend in backends:
            results[backend] = run_backend(backend, Path(tmp) / backend, sizes, args)
    print(markdown(results, args))


if __name__ == "__main__":
    main()
