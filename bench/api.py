"""Predict latency and throughput of the mlpoc API against a bare FastAPI app serving the
same loaded model, and against calling the trainer directly.

Run by hand (never as a timed test):

    python bench/api.py [--requests N] [--seconds S] [--clients C]

Everything runs on the local backend in a temporary directory: the iris dataset is trained
once (the default HistGradientBoosting pipeline) and promoted. Both apps are served by
uvicorn on 127.0.0.1 in this process and called over HTTP with keep-alive; the mlpoc app
runs as deployed (API-key auth with its cache, JSON access logs to /dev/null, metrics).
Latency rounds alternate the two apps so that drift cancels. Prints Markdown:
- single row: p50/p99 per call, and mlpoc/bare (target p50 <= 1.2x); the direct
  `trainer.predict` on a one-row DataFrame is the floor both stand on;
- throughput with C client threads (target mlpoc >= 0.8x bare);
- a batch of 100 rows (mlpoc / direct) and a batch of 1,000 rows against 1,000 single
  calls, in rows per second (target >= 20x).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import pandas as pd
import uvicorn
from fastapi import FastAPI

from adapters import build_adapters
from runtime import api_keys, jobs
from runtime.api import create_app, logs
from runtime.api.settings import ApiSettings
from runtime.registry import Registry
from runtime.schema import COLLECTIONS
from runtime.worker import Worker
from tests.runtime.conftest import IRIS, iris_csv, train_params


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(app: FastAPI) -> tuple[str, uvicorn.Server]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def bare_app(trainer: Any, model: Any) -> FastAPI:
    """The same model behind the least FastAPI can do: parse, predict, answer."""
    app = FastAPI()

    @app.post("/predict")
    def predict(body: dict[str, Any]) -> dict[str, Any]:
        out = trainer.predict(model, pd.DataFrame.from_records([body["row"]]))
        probs = out.probabilities[0] if out.probabilities else None
        return {"value": out.values[0], "probabilities": probs}

    @app.post("/predict/batch")
    def batch(body: dict[str, Any]) -> dict[str, Any]:
        out = trainer.predict(model, pd.DataFrame.from_records(body["rows"]))
        probs = out.probabilities or [None] * len(out.values)
        pairs = zip(out.values, probs, strict=True)
        return {"predictions": [{"value": v, "probabilities": p} for v, p in pairs]}

    return app


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


def throughput(url: str, headers: dict[str, str], body: dict[str, Any], clients: int,
               seconds: float) -> float:  # fmt: skip
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def run(i: int) -> None:
        with httpx.Client(headers=headers) as client:
            while time.monotonic() < stop:
                client.post(url, json=body).raise_for_status()
                counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()

    root = logging.getLogger()
    root.addHandler(logs.json_handler(open(os.devnull, "w")))  # noqa: SIM115
    root.setLevel(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        settings = ApiSettings(backend="local", data_dir=Path(tmp))
        adapters = build_adapters(COLLECTIONS, settings)
        adapters.blobs.put(IRIS.key, iris_csv())
        job = jobs.enqueue(adapters, "train", train_params())
        worker = Worker(adapters, settings)
        while jobs.get(adapters.documents, job.id).state not in jobs.TERMINAL:
            worker.run_once(wait_seconds=0.1)
        registry = Registry(adapters)
        registry.move_alias("iris", "production", 1, expected=None)
        trainer, model = registry.load(registry.get_version("iris", 1))
        _, token = api_keys.create(adapters.documents, "bench", ["predict"])

        frame = pd.read_csv(io.BytesIO(iris_csv()))
        rows = [
            {k: (None if pd.isna(v) else v) for k, v in r.items()}
            for r in frame.drop(columns=["target", "record_id"]).to_dict("records")
        ]
        one = rows[0]
        hundred = (rows * 7)[:100]
        thousand = (rows * 7)[:1000]

        mlpoc_url, mlpoc_server = serve(create_app(settings, adapters))
        bare_url, bare_server = serve(bare_app(trainer, model))
        key = {"X-API-Key": token}
        mlpoc = httpx.Client(base_url=mlpoc_url, headers=key)
        bare = httpx.Client(base_url=bare_url)
        m_single = lambda: mlpoc.post("/models/iris/predict", json={"row": one}).raise_for_status()  # noqa: E731
        b_single = lambda: bare.post("/predict", json={"row": one}).raise_for_status()  # noqa: E731
        d_single = lambda: trainer.predict(model, pd.DataFrame.from_records([one]))  # noqa: E731

        def batch(client: httpx.Client, path: str, body: list[dict[str, Any]]) -> Callable[[], Any]:
            return lambda: client.post(path, json={"rows": body}).raise_for_status()

        for call in (m_single, b_single, d_single):
            timed(call, 20)  # warm-up: model load, caches, connections
        direct, mlpoc_lat, bare_lat = [], [], []
        for _ in range(10):
            for samples, call in ((mlpoc_lat, m_single), (bare_lat, b_single), (direct, d_single)):
                samples += timed(call, args.requests // 10)
        m100 = timed(batch(mlpoc, "/models/iris/predict/batch", hundred), 30)
        b100 = timed(batch(bare, "/predict/batch", hundred), 30)
        d100 = timed(lambda: trainer.predict(model, pd.DataFrame.from_records(hundred)), 30)
        m1000 = timed(batch(mlpoc, "/models/iris/predict/batch", thousand), 10)

        body = {"row": one}
        m_tp = throughput(f"{mlpoc_url}/models/iris/predict", key, body, args.clients, args.seconds)
        b_tp = throughput(f"{bare_url}/predict", {}, body, args.clients, args.seconds)
        mlpoc_server.should_exit = bare_server.should_exit = True

    single_rps = 1 / statistics.median(mlpoc_lat)
    batch_rps = 1000 / statistics.median(m1000)
    print(f"# mlpoc API predict ({args.requests} single calls per app, {os.cpu_count()} cores)\n")
    print("| measure | direct predict | bare FastAPI | mlpoc API | mlpoc / bare | mlpoc / direct |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, q in (("single p50 ms", 0.5), ("single p99 ms", 0.99)):
        d, b, m = pct(direct, q), pct(bare_lat, q), pct(mlpoc_lat, q)
        print(f"| {name} | {d:.2f} | {b:.2f} | {m:.2f} | {m / b:.2f}x | {m / d:.2f}x |")
    d, b, m = pct(d100, 0.5), pct(b100, 0.5), pct(m100, 0.5)
    print(f"| batch of 100, p50 ms | {d:.2f} | {b:.2f} | {m:.2f} | {m / b:.2f}x | {m / d:.2f}x |")
    print(f"| single-row throughput, {args.clients} clients, req/s | | {b_tp:.0f} | {m_tp:.0f} "
          f"| {m_tp / b_tp:.2f}x | |")  # fmt: skip
    print(f"\nbatch of 1,000 rows: {batch_rps:.0f} rows/s; 1,000 single calls: "
          f"{single_rps:.0f} rows/s; {batch_rps / single_rps:.1f}x (target >= 20x)")  # fmt: skip
    print("targets: single p50 mlpoc/bare <= 1.2x; throughput mlpoc/bare >= 0.8x")


if __name__ == "__main__":
    main()
