"""Runtime overhead per backend: the worker's cost around training, and pre-computed
inference with batched against one-by-one document writes.

Run by hand (never as a timed test):

    python bench/worker.py [--backends local,aws,gcp] [--rows N] [--jobs N] [--repeats N]

Servers start through the test rigs (moto, Google's emulators, fake-gcs-server; a temporary
directory for local), as in bench/adapters.py.

1. Worker overhead. A worker with the default runtime settings runs its normal loop (long
   polling) in a thread; `train` jobs on the iris CSV of the runtime tests are enqueued one
   at a time. Measured: from the `jobs.enqueue` call to the return of the registry's
   create-only write of the model version, minus the trainer's own fit time (the
   `fit_seconds` the worker records). Median over --jobs jobs after one warm-up job.
   Target <= 1 s local, <= 2 s on the emulators.
2. batch_predict. --rows rows (iris repeated, unique record ids) scored by the registered
   version through `runtime.batch_predict`, once with the DocumentStore's `put_many` and
   once with one `put` per prediction. Both runs are the same call (model load with its
   checksum, dataset read, predictions, documents); only the document store's `put_many`
   differs, and every run writes --rows new documents. The whole call and its write phase
   (time inside `put_many`) are timed separately; medians of --repeats runs, the order
   alternating. Target >= 5x rows per second.

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

# Run as a script from anywhere: make the repository (and so `tests.rigs`) importable, and
# put it first so that `import adapters` finds the package, not bench/adapters.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import Adapters, Settings, build_adapters
from adapters.ports import Collection, Document, DocumentStore, Index, JSONDict, Page
from runtime import jobs
from runtime.batch_predict import batch_predict, get_prediction
from runtime.config import RuntimeSettings
from runtime.datasets.ref import DatasetRef
from runtime.registry import Registry
from runtime.schema import COLLECTIONS
from runtime.worker import Worker
from tests.rigs.base import started_rig
from tests.support.data import IRIS, iris_csv, train_params

MODEL = "iris"
OVERHEAD_TARGETS = {"local": 1.0, "aws": 2.0, "gcp": 2.0}
SPEEDUP_TARGET = 5.0
JOB_TIMEOUT_SECONDS = 300.0


# --------------------------------------------------------------------------- worker overhead


@dataclass
class Overhead:
    backend: str
    to_registered: float
    fit: float
    overhead: float


class RegistrationClock:
    """Wraps a worker's `registry.register` to note when each job's version is registered."""

    def __init__(self, worker: Worker) -> None:
        self._register = worker.registry.register
        self._at: dict[str, float] = {}
        self._changed = threading.Condition()
        worker.registry.register = self._timed  # type: ignore[method-assign]

    def _timed(self, *args: Any, **kwargs: Any) -> Any:
        version = self._register(*args, **kwargs)
        with self._changed:
            self._at[kwargs["job_id"]] = time.monotonic()
            self._changed.notify_all()
        return version

    def wait(self, job_id: str, timeout: float) -> float | None:
        """When `job_id`'s version was registered; None if not within `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: job_id in self._at, timeout)
            return self._at.get(job_id)


@contextmanager
def running_worker(backend: Settings, settings: RuntimeSettings) -> Iterator[RegistrationClock]:
    """A worker on its own adapters, running its loop in a thread until the block ends."""
    worker = Worker(build_adapters(COLLECTIONS, backend), settings)
    clock = RegistrationClock(worker)
    thread = threading.Thread(target=worker.run, name="bench-worker", daemon=True)
    thread.start()
    try:
        yield clock
    finally:
        worker.stop()
        thread.join(timeout=settings.poll_seconds + 60)


def wait_registered(clock: RegistrationClock, adapters: Adapters, job_id: str) -> float:
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while (registered := clock.wait(job_id, 0.5)) is None:
        # Only a job that is slow to register costs the extra reads: give up on a failed one.
        job = jobs.get(adapters.documents, job_id)
        if job.state == jobs.FAILED or time.monotonic() > deadline:
            raise SystemExit(f"job {job_id} is {job.state}: {job.data.get('last_error')}")
    return registered


def wait_succeeded(adapters: Adapters, job_id: str) -> jobs.Job:
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while True:
        job = jobs.get(adapters.documents, job_id)
        if job.state == jobs.SUCCEEDED:
            return job
        if job.state == jobs.FAILED or time.monotonic() > deadline:
            raise SystemExit(f"job {job_id} is {job.state}: {job.data.get('last_error')}")
        time.sleep(0.02)


def measure_overhead(
    backend: str, adapters: Adapters, base: Settings, settings: RuntimeSettings, count: int
) -> Overhead:
    totals: list[float] = []
    fits: list[float] = []
    with running_worker(base, settings) as clock:
        for n in range(-1, count):  # job -1 warms up imports, clients and caches
            start = time.monotonic()
            job = jobs.enqueue(adapters, "train", train_params(MODEL))
            registered = wait_registered(clock, adapters, job.id)
            # The next job starts only once this one is settled (result written, acked).
            result = wait_succeeded(adapters, job.id).result or {}
            if n >= 0:
                totals.append(registered - start)
                fits.append(float(result["fit_seconds"]))
    overheads = [total - fit for total, fit in zip(totals, fits, strict=True)]
    return Overhead(
        backend,
        statistics.median(totals),
        statistics.median(fits),
        statistics.median(overheads),
    )


# --------------------------------------------------------------------------- batch predict


class WriteStrategy(DocumentStore):
    """The backend's DocumentStore, with `put_many` either passed through (batched) or done
    as one `put` per document, and the time spent in it added up. Everything else is
    delegated, so both strategies run exactly the same code around the writes."""

    def __init__(self, inner: DocumentStore, *, one_by_one: bool) -> None:
        self.inner = inner
        self.collections = inner.collections
        self.one_by_one = one_by_one
        self.write_seconds = 0.0

    def put_many(self, collection: str, docs: Iterable[tuple[str, JSONDict]]) -> int:
        start = time.perf_counter()
        try:
            if not self.one_by_one:
                return self.inner.put_many(collection, docs)
            written = 0
            for doc_id, data in docs:
                self.inner.put(collection, doc_id, data)
                written += 1
            return written
        finally:
            self.write_seconds += time.perf_counter() - start

    def put(self, collection: str, doc_id: str, data: JSONDict) -> str:
        return self.inner.put(collection, doc_id, data)

    def create(self, collection: str, doc_id: str, data: JSONDict) -> str:
        return self.inner.create(collection, doc_id, data)

    def update(self, collection: str, doc_id: str, data: JSONDict, *, expected_version: str) -> str:
        return self.inner.update(collection, doc_id, data, expected_version=expected_version)

    # The port's hooks: the arguments were checked by this port already, the inner one's
    # public methods check them again (cheap), then reach the backend.

    def _get(self, collection: Collection, doc_id: str) -> Document:
        return self.inner.get(collection.name, doc_id)

    def _get_many(self, collection: Collection, doc_ids: list[str]) -> dict[str, Document]:
        return self.inner.get_many(collection.name, doc_ids)

    def _delete(self, collection: Collection, doc_id: str, expected_version: str | None) -> None:
        self.inner.delete(collection.name, doc_id, expected_version=expected_version)

    def _query(
        self,
        collection: Collection,
        index: Index,
        value: str,
        descending: bool,
        limit: int,
        page_token: str | None,
    ) -> Page[Document]:
        return self.inner.query(
            collection.name,
            index.field,
            value,
            descending=descending,
            limit=limit,
            page_token=page_token,
        )

    def _scan(self, collection: Collection, limit: int, page_token: str | None) -> Page[Document]:
        return self.inner.scan(collection.name, limit=limit, page_token=page_token)


@dataclass
class Throughput:
    backend: str
    rows: int
    whole: dict[str, float]  # strategy -> median seconds of the whole batch_predict
    write: dict[str, float]  # strategy -> median seconds inside put_many


BATCHED, ONE_BY_ONE = "put_many", "one put per document"


def scoring_csv(rows: int) -> bytes:
    import pandas as pd

    iris = pd.read_csv(io.BytesIO(iris_csv()))
    frame = pd.concat([iris] * (rows // len(iris) + 1), ignore_index=True).iloc[:rows].copy()
    frame["record_id"] = [f"r{n:07d}" for n in range(rows)]
    return bytes(frame.to_csv(index=False).encode())


def measure_throughput(
    backend: str, adapters: Adapters, version: int, rows: int, repeats: int
) -> Throughput:
    key = "datasets/bench-scoring.csv"
    adapters.blobs.put(key, scoring_csv(rows))
    whole: dict[str, list[float]] = {BATCHED: [], ONE_BY_ONE: []}
    write: dict[str, list[float]] = {BATCHED: [], ONE_BY_ONE: []}
    first: dict[str, Any] = {}
    strategies = [BATCHED, ONE_BY_ONE]
    for repeat in range(-1, repeats):  # repeat -1 warms up (model load, predict, clients)
        for strategy in strategies if repeat % 2 == 0 else strategies[::-1]:
            # A new dataset name per run: every run writes `rows` new documents.
            name = f"bench-{'b' if strategy == BATCHED else 's'}{repeat + 1}"
            dataset = DatasetRef(key=key, name=name, target=IRIS.target, id_column="record_id")
            documents = WriteStrategy(adapters.documents, one_by_one=strategy == ONE_BY_ONE)
            start = time.perf_counter()
            summary = batch_predict(
                replace(adapters, documents=documents), MODEL, dataset, ref=version
            )
            elapsed = time.perf_counter() - start
            if summary["predictions"] != rows:
                raise SystemExit(f"{strategy}: wrote {summary['predictions']} of {rows} rows")
            # Both strategies must have stored the same predictions.
            for record_id in ("r0000000", f"r{rows - 1:07d}"):
                stored = get_prediction(adapters, name, record_id)
                got = {k: stored.get(k) for k in ("value", "probabilities", "version")}
                if first.setdefault(record_id, got) != got:
                    raise SystemExit(
                        f"{strategy}: {record_id} differs: {got} != {first[record_id]}"
                    )
            if repeat >= 0:
                whole[strategy].append(elapsed)
                write[strategy].append(documents.write_seconds)
    return Throughput(
        backend,
        rows,
        {s: statistics.median(v) for s, v in whole.items()},
        {s: statistics.median(v) for s, v in write.items()},
    )


# --------------------------------------------------------------------------- rigs


def run_backend(backend: str, tmp: Path, args: argparse.Namespace) -> tuple[Overhead, Throughput]:
    with started_rig(backend, tmp) as rig:
        base = rig.settings(COLLECTIONS)
        settings = RuntimeSettings()  # the runtime's defaults
        adapters = build_adapters(COLLECTIONS, base)
        adapters.blobs.put(IRIS.key, iris_csv())
        print(f"{backend}: worker overhead ...", file=sys.stderr, flush=True)
        overhead = measure_overhead(backend, adapters, base, settings, args.jobs)
        version = Registry(adapters).latest_version_number(MODEL)
        print(f"{backend}: batch_predict ...", file=sys.stderr, flush=True)
        throughput = measure_throughput(backend, adapters, version, args.rows, args.repeats)
    return overhead, throughput


# --------------------------------------------------------------------------- report


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def markdown(overheads: list[Overhead], throughputs: list[Throughput], args: Any) -> str:
    lines = [
        f"Worker overhead: enqueue to model version registered, minus the trainer's fit time; "
        f"medians of {args.jobs} train jobs (iris, default trainer and settings).",
        "",
        "| backend | enqueue → registered s | fit s | overhead s | target | met |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for o in overheads:
        target = OVERHEAD_TARGETS[o.backend]
        lines.append(
            f"| {o.backend} | {o.to_registered:.3f} | {o.fit:.3f} | {o.overhead:.3f} "
            f"| <= {target:.0f} s | {met(o.overhead <= target)} |"
        )
    lines += [
        "",
        f"batch_predict: rows per second with {BATCHED} against {ONE_BY_ONE}; the same call "
        f"(model load, read, predictions) otherwise; medians of {args.repeats} runs each.",
        "",
        f"| backend | rows | timed | {BATCHED} rows/s | one by one rows/s | speedup "
        "| target | met |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for t in throughputs:
        for timed, seconds in (("whole batch_predict", t.whole), ("write phase", t.write)):
            batched, single = t.rows / seconds[BATCHED], t.rows / seconds[ONE_BY_ONE]
            speedup = batched / single
            lines.append(
                f"| {t.backend} | {t.rows} | {timed} | {batched:,.0f} | {single:,.0f} "
                f"| {speedup:.1f}x | >= {SPEEDUP_TARGET:.0f}x | {met(speedup >= SPEEDUP_TARGET)} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="local,aws,gcp")
    parser.add_argument("--rows", type=int, default=1500, help="rows scored by batch_predict")
    parser.add_argument("--jobs", type=int, default=5, help="timed train jobs per backend")
    parser.add_argument("--repeats", type=int, default=3, help="batch_predict runs per strategy")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.jobs < 1 or args.repeats < 1:
        parser.error("--rows, --jobs and --repeats must be >= 1")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(OVERHEAD_TARGETS))
    if unknown or not backends:
        parser.error(f"unknown backends {unknown}; choose from local, aws, gcp")

    overheads: list[Overhead] = []
    throughputs: list[Throughput] = []
    with tempfile.TemporaryDirectory(prefix="mlpoc-bench-") as tmp:
        for backend in backends:
            overhead, throughput = run_backend(backend, Path(tmp) / backend, args)
            overheads.append(overhead)
            throughputs.append(throughput)
    print(markdown(overheads, throughputs, args))


if __name__ == "__main__":
    main()
