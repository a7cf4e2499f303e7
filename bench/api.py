"""Predict latency and throughput on the wine data, in one run: the mlpoc API on its
compiled path, the mlpoc API on its scikit-learn path (the same model), a bare FastAPI app
calling the scikit-learn pipeline, and the direct calls underneath.

Run by hand (never as a timed test):

    python bench/api.py [--runs N] [--requests N] [--seconds S] [--clients C]

Everything runs on the local backend in a temporary directory: wine is trained once (the
default HistGradientBoosting pipeline, compiled and verified at training) and promoted as
`wine`; the same artifacts are registered again as `wine-sklearn` with the scikit-learn path
recorded. Each server runs in its own process, as deployed: the mlpoc API is
`python -m runtime.api` (API-key auth, JSON access logs to /dev/null, metrics, uvicorn as
configured by runtime.api.server), the bare app is this file with `--serve-bare` (uvicorn's
defaults). The clients are the standard library's `http.client` with keep-alive, in this
process: a light client, so that what is timed is the server. Latency rounds alternate the
apps so that drift cancels; throughput is `--clients` threads, each with its connection.

Each run starts a fresh API process and measures the time from start to /readyz, the first
prediction after it and its RSS; with `--runs` > 1 the figures are given per run and as
median [min-max]. The machine's load average is printed with each run: the 2 cores are
shared, so judge the ratios against the baselines of the same run, and the spread. Batch
scoring is also given per CPU-second of the scoring process, a figure the load hardly moves.

Targets (issue 16): fast single-row p50 <= 2 ms and >= 7x faster than bare FastAPI +
scikit-learn; >= 500 req/s with 4 clients; batch >= 200,000 rows/s in process; first
prediction <= 50 ms after /readyz; identical classes on every wine row.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from adapters import Settings, build_adapters
from runtime import api_keys, jobs, scoring
from runtime.cli.processes import free_port
from runtime.config import RuntimeSettings
from runtime.registry import Registry
from runtime.schema import COLLECTIONS
from runtime.worker import Worker

REPO = Path(__file__).resolve().parents[1]
FAST, SKLEARN, BARE = (
    "mlpoc API, compiled",
    "mlpoc API, scikit-learn",
    "bare FastAPI + scikit-learn",
)


def wine_csv() -> bytes:
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).frame.to_csv(index=False).encode()


def serve_bare(data_dir: Path) -> None:
    """The same model behind the least FastAPI can do: parse, predict, answer."""
    import uvicorn
    from fastapi import FastAPI

    adapters = build_adapters(COLLECTIONS, Settings(backend="local", data_dir=data_dir))
    registry = Registry(adapters)
    trainer, model = registry.load(registry.get_version("wine", 1))
    app = FastAPI()

    @app.post("/predict")
    def predict(body: dict[str, Any]) -> dict[str, Any]:
        out = trainer.predict(model, pd.DataFrame.from_records([body["row"]]))
        probs = out.probabilities[0] if out.probabilities else None
        return {"value": out.values[0], "probabilities": probs}

    port = int(os.environ["PORT"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


class Server:
    """A server process on a free port, and a keep-alive connection to it."""

    def __init__(self, args: list[str], env: dict[str, str], headers: dict[str, str]) -> None:
        self.port = free_port()
        self.headers = {"Content-Type": "application/json", **headers}
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            env={**os.environ, **env, "PORT": str(self.port), "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.conn = self.connect()

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def wait(self, path: str, deadline: float = 120) -> float:
        """Seconds from start until `path` answers 200."""
        while time.monotonic() - self.started < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}")
            try:
                if request(self.connect(), "GET", path, None, self.headers)[0] == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{path} did not answer 200 in {deadline} s")

    def post(self, path: str, body: bytes, conn: http.client.HTTPConnection | None = None) -> bytes:
        status, data = request(conn or self.conn, "POST", path, body, self.headers)
        if status != 200:
            raise RuntimeError(f"POST {path}: {status} {data[:200]!r}")
        return data

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS")) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None,
            headers: dict[str, str]) -> tuple[int, bytes]:  # fmt: skip
    for attempt in (1, 2):
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            return response.status, response.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conn.close()  # closed by the server's keep-alive timeout: reconnect once
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def timed(call: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def throughput(server: Server, path: str, body: bytes, clients: int, seconds: float) -> float:
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        conn = server.connect()
        while time.monotonic() < stop:
            server.post(path, body, conn)
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def rows_per_second(call: Callable[[], Any], rows: int, cpu: Callable[[], float],
                    repeats: int = 5) -> tuple[float, float]:  # fmt: skip
    """Rows/s (the best of `repeats` calls) and rows per CPU-second of the process that
    scores (`cpu`: its CPU seconds so far, all threads): the second figure hardly moves with
    the machine's load, so it tells a slower run from a busier machine."""
    call()
    before = cpu()
    best = min(timed(call, repeats))
    return rows / best, rows * repeats / max(cpu() - before, 1e-9)


def load() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def prepare(tmp: Path) -> tuple[Registry, str]:
    """Train wine (compiled), register the same artifacts as wine-sklearn, a predict key."""
    adapters = build_adapters(COLLECTIONS, Settings(backend="local", data_dir=tmp))
    adapters.blobs.put("datasets/wine.csv", wine_csv())
    dataset = {"key": "datasets/wine.csv", "name": "wine", "target": "target"}
    job = jobs.enqueue(adapters, "train", {"model": "wine", "dataset": dataset})
    worker = Worker(adapters, RuntimeSettings())
    while jobs.get(adapters.documents, job.id).state not in jobs.TERMINAL:
        worker.run_once(wait_seconds=0.1)
    registry = Registry(adapters)
    fast = registry.get_version("wine", 1)
    assert fast.serving["path"] == "compiled", fast.serving
    data = fast.data
    registry.register("wine-sklearn", artifact=fast.artifact, metrics=fast.metrics,
                      params=data["params"], trainer=data["trainer"],
                      artifact_format=data["format"], dataset=data["dataset"], job_id=None,
                      input_schema=data["input_schema"],
                      serving={"path": "sklearn", "reason": "bench baseline"})  # fmt: skip
    registry.move_alias("wine", "production", 1, expected=None)
    registry.move_alias("wine-sklearn", "production", 1, expected=None)
    _, token = api_keys.create(adapters.documents, "bench", ["predict"])
    return registry, token


def one_run(args: argparse.Namespace, tmp: Path, token: str, bare: Server,
            direct: dict[str, Callable[[], Any]], batch_in_process: dict[str, Callable[[], Any]],
            rows: list[dict[str, Any]], big_rows: int) -> dict[str, float]:  # fmt: skip
    out: dict[str, float] = {}
    load_before = load()
    env = {"MLPOC_BACKEND": "local", "MLPOC_DATA_DIR": str(tmp), "MLPOC_API_HOST": "127.0.0.1",
           "MLPOC_LOG_LEVEL": "INFO"}  # fmt: skip
    api = Server(["-m", "runtime.api"], env, {"X-API-Key": token})
    try:
        out["ready_s"] = api.wait("/readyz")
        one = json.dumps({"row": rows[0]}).encode()
        started = time.perf_counter()
        api.post("/models/wine/predict", one)
        out["first_ms"] = (time.perf_counter() - started) * 1000
        out["rss_mb"] = api.rss_mb()
        calls: dict[str, Callable[[], Any]] = {
            FAST: lambda: api.post("/models/wine/predict", one),
            SKLEARN: lambda: api.post("/models/wine-sklearn/predict", one),
            BARE: lambda: bare.post("/predict", one),
            **direct,
        }
        samples: dict[str, list[float]] = {name: [] for name in calls}
        for call in calls.values():
            timed(call, 20)  # warm-up: caches, connections
        cpu = 0.0
        for _ in range(10):
            for name, call in calls.items():
                before = api.cpu_seconds() if name == FAST else 0.0
                samples[name] += timed(call, args.requests // 10)
                cpu += api.cpu_seconds() - before if name == FAST else 0.0
        for name, s in samples.items():
            out[f"p50 {name}"] = pct(s, 0.5)
            out[f"p99 {name}"] = pct(s, 0.99)
        out["fast cpu_ms"] = cpu * 1000 / len(samples[FAST])
        targets = {
            FAST: (api, "/models/wine/predict"),
            SKLEARN: (api, "/models/wine-sklearn/predict"),
            BARE: (bare, "/predict"),
        }
        for name, (server, path) in targets.items():
            out[f"rps {name}"] = throughput(server, path, one, args.clients, args.seconds)
        thousand = json.dumps({"rows": (rows * 6)[:1000]}).encode()
        for name, model in ((FAST, "wine"), (SKLEARN, "wine-sklearn")):
            out[f"http batch {name}"], out[f"http batch cpu {name}"] = rows_per_second(
                lambda m=model: api.post(f"/models/{m}/predict/batch", thousand),
                1000,
                api.cpu_seconds,
            )
        for name, call in batch_in_process.items():
            out[f"in process {name}"], out[f"in process cpu {name}"] = rows_per_second(
                call, big_rows, time.process_time
            )
    finally:
        api.stop()
    print(f"run: load average {load_before} before, {load()} after", file=sys.stderr)
    out["load"] = float(load_before.split()[0])
    return out


def summary(runs: list[dict[str, float]], key: str, fmt: str) -> str:
    values = [run[key] for run in runs]
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{statistics.median(values):{fmt}} [{min(values):{fmt}}-{max(values):{fmt}}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--serve-bare", metavar="DATA_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(Path(args.serve_bare))  # the bare app's process, on $PORT
        return

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        registry, token = prepare(tmp)
        fast = registry.get_version("wine", 1)
        trainer, model = registry.load(fast)
        scorer = scoring.load(registry, fast)
        compiled, schema = scorer.compiled, scorer.rows
        assert compiled is not None and schema is not None

        frame = pd.read_csv(io.BytesIO(wine_csv())).drop(columns=["target"])
        rows = frame.to_dict("records")
        clean_one = schema.validate_row(0, rows[0])
        direct = {
            "direct scikit-learn (one-row DataFrame)": lambda: trainer.predict(
                model, pd.DataFrame.from_records([rows[0]])),
            "direct compiled (validated row)": lambda: compiled.predict_one(clean_one),
        }  # fmt: skip
        big = pd.concat([frame] * 100, ignore_index=True)  # 17,800 rows
        batch_in_process = {
            "compiled (table path)": lambda: compiled.predict_frame(big),
            "scikit-learn pipeline": lambda: trainer.predict(model, big),
        }
        bare = Server([__file__, "--serve-bare", str(tmp)], {}, {})
        try:
            bare.wait("/docs")
            runs = [
                one_run(args, tmp, token, bare, direct, batch_in_process, rows, len(big))
                for _ in range(args.runs)
            ]
        finally:
            bare.stop()
        reference, got = trainer.predict(model, frame), compiled.predict_frame(frame)
        same = sum(a == b for a, b in zip(reference.values, got.values, strict=True))

    report(args, runs, len(big), same, len(reference.values), fast.serving["agreement"])


def report(args: argparse.Namespace, runs: list[dict[str, float]], big: int, same: int,
           total: int, agreement: Any) -> None:  # fmt: skip
    spread = " (median [min-max])" if len(runs) > 1 else ""
    loads = ", ".join(f"{r['load']:.1f}" for r in runs)
    print(
        f"# mlpoc predict on wine: {len(runs)} run(s){spread}, {args.requests} single "
        f"calls each, {os.cpu_count()} cores, load average {loads} as each run began\n"
    )
    print(f"| single row | p50 ms | p99 ms | req/s, {args.clients} clients |")
    print("| --- | --- | --- | --- |")
    names = [k[4:] for k in runs[0] if k.startswith("p50 ")]
    for name in names:
        rps = summary(runs, f"rps {name}", ".0f") if f"rps {name}" in runs[0] else ""
        print(f"| {name} | {summary(runs, f'p50 {name}', '.3f')} | "
              f"{summary(runs, f'p99 {name}', '.3f')} | {rps} |")  # fmt: skip
    for run in runs:
        run["ratio"] = run[f"p50 {BARE}"] / run[f"p50 {FAST}"]
        run["rps ratio"] = run[f"rps {FAST}"] / run[f"rps {BARE}"]
        run["batch ratio"] = (run["in process compiled (table path)"]
                              / run["in process scikit-learn pipeline"])  # fmt: skip
    print(f"\nfast path p50 {summary(runs, 'ratio', '.1f')}x faster than bare FastAPI + "
          f"scikit-learn (target >= 7x, <= 2 ms); {summary(runs, 'rps ratio', '.1f')}x its "
          f"req/s; API process CPU per fast request "
          f"{summary(runs, 'fast cpu_ms', '.3f')} ms\n")  # fmt: skip
    print("| batch | rows/s | rows per CPU-second |")
    print("| --- | --- | --- |")
    for name in (FAST, SKLEARN):
        print(f"| {name}, HTTP batch of 1,000 rows | {summary(runs, f'http batch {name}', ',.0f')} "
              f"| {summary(runs, f'http batch cpu {name}', ',.0f')} (API process) |")  # fmt: skip
    for name in ("compiled (table path)", "scikit-learn pipeline"):
        print(f"| in process, {big:,} rows, {name} | "
              f"{summary(runs, f'in process {name}', ',.0f')} | "
              f"{summary(runs, f'in process cpu {name}', ',.0f')} |")  # fmt: skip
    print(f"\nin process, compiled {summary(runs, 'batch ratio', '.1f')}x the scikit-learn "
          "pipeline's rows/s (target >= 200,000 rows/s)\n")  # fmt: skip
    print(f"fresh `python -m runtime.api`: /readyz after {summary(runs, 'ready_s', '.2f')} s; "
          f"first prediction {summary(runs, 'first_ms', '.1f')} ms after it (target <= 50 ms); "
          f"RSS {summary(runs, 'rss_mb', '.0f')} MB with both wine models loaded")  # fmt: skip
    print(
        f"classes identical on {same} of {total} wine rows; agreement recorded at training: "
        f"{agreement}"
    )


if __name__ == "__main__":
    main()
