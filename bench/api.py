"""Predict latency and throughput on the wine data, in one run: the mlpoc API on its
compiled path, the mlpoc API on its scikit-learn path (the same model), a bare FastAPI app
calling the scikit-learn pipeline, and the direct calls underneath.

Run by hand (never as a timed test):

    python bench/api.py [--requests N] [--seconds S] [--clients C]

Everything runs on the local backend in a temporary directory: wine is trained once (the
default HistGradientBoosting pipeline, compiled and verified at training) and promoted as
`wine`; the same artifacts are registered again as `wine-sklearn` with the scikit-learn path
recorded. The three apps are served by uvicorn on 127.0.0.1 in this process and called over
HTTP with keep-alive; the mlpoc app runs as deployed (API-key auth, JSON access logs to
/dev/null, metrics). Latency rounds alternate the apps so that drift cancels. Then a fresh
`python -m runtime.api` process is started to measure the time from start to /readyz, the
first prediction after it, and its RSS with the one model loaded.

Targets (issue 16): fast single-row p50 <= 2 ms and >= 7x faster than bare FastAPI +
scikit-learn; >= 500 req/s with 4 clients; batch >= 200,000 rows/s in process; first
prediction <= 50 ms after /readyz; identical classes on every wine row.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import subprocess
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

from adapters import Settings, build_adapters
from runtime import api_keys, jobs, scoring
from runtime.api import create_app, logs
from runtime.api.settings import ApiSettings
from runtime.cli.processes import free_port
from runtime.config import RuntimeSettings
from runtime.registry import Registry
from runtime.schema import COLLECTIONS
from runtime.worker import Worker

REPO = Path(__file__).resolve().parents[1]


def wine_csv() -> bytes:
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    return frame.to_csv(index=False).encode()


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


def rows_per_second(call: Callable[[], Any], rows: int, repeats: int = 5) -> float:
    call()
    return rows / min(timed(call, repeats))


def cold_start(data_dir: Path, token: str, one: dict[str, Any]) -> dict[str, float]:
    """Start `python -m runtime.api`; seconds to /readyz, ms of the first prediction, RSS."""
    port = free_port()
    env = {**os.environ, "MLPOC_BACKEND": "local", "MLPOC_DATA_DIR": str(data_dir),
           "PORT": str(port), "MLPOC_API_HOST": "127.0.0.1", "MLPOC_LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(REPO)}  # fmt: skip
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "runtime.api"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, headers={"X-API-Key": token}) as client:
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() - started > 120:
                    raise RuntimeError("the API did not become ready in 120 s")
                time.sleep(0.02)
            ready = time.monotonic() - started
            t = time.perf_counter()
            client.post("/models/wine/predict", json={"row": one}).raise_for_status()
            first = (time.perf_counter() - t) * 1000
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        return {"ready_s": ready, "first_ms": first, "rss_mb": rss / 1024}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


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
        settings = ApiSettings()
        adapters = build_adapters(COLLECTIONS, Settings(backend="local", data_dir=Path(tmp)))
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
        trainer, model = registry.load(fast)
        compiled = scoring.load(registry, fast).compiled
        assert compiled is not None
        _, token = api_keys.create(adapters.documents, "bench", ["predict"])

        frame = pd.read_csv(io.BytesIO(wine_csv())).drop(columns=["target"])
        rows = frame.to_dict("records")
        one = rows[0]
        thousand = (rows * 6)[:1000]
        schema = scoring.load(registry, fast).rows
        assert schema is not None
        clean_one = schema.validate_row(0, one)

        mlpoc_url, mlpoc_server = serve(create_app(settings, adapters))
        bare_url, bare_server = serve(bare_app(trainer, model))
        key = {"X-API-Key": token}
        mlpoc = httpx.Client(base_url=mlpoc_url, headers=key)
        bare = httpx.Client(base_url=bare_url)
        calls = {
            "mlpoc API, compiled": lambda: mlpoc.post(
                "/models/wine/predict", json={"row": one}).raise_for_status(),
            "mlpoc API, scikit-learn": lambda: mlpoc.post(
                "/models/wine-sklearn/predict", json={"row": one}).raise_for_status(),
            "bare FastAPI + scikit-learn": lambda: bare.post(
                "/predict", json={"row": one}).raise_for_status(),
            "direct scikit-learn (one-row DataFrame)": lambda: trainer.predict(
                model, pd.DataFrame.from_records([one])),
            "direct compiled (validated row)": lambda: compiled.predict_one(clean_one),
        }  # fmt: skip
        samples: dict[str, list[float]] = {name: [] for name in calls}
        for call in calls.values():
            timed(call, 20)  # warm-up: caches, connections
        for _ in range(10):
            for name, call in calls.items():
                samples[name] += timed(call, args.requests // 10)

        body = {"row": one}
        rps = {
            "mlpoc API, compiled": throughput(
                f"{mlpoc_url}/models/wine/predict", key, body, args.clients, args.seconds),
            "mlpoc API, scikit-learn": throughput(
                f"{mlpoc_url}/models/wine-sklearn/predict", key, body, args.clients, args.seconds),
            "bare FastAPI + scikit-learn": throughput(
                f"{bare_url}/predict", {}, body, args.clients, args.seconds),
        }  # fmt: skip
        http_batch = {
            name: rows_per_second(lambda m=m: mlpoc.post(
                f"/models/{m}/predict/batch", json={"rows": thousand}).raise_for_status(), 1000)
            for name, m in (("mlpoc API, compiled", "wine"),
                            ("mlpoc API, scikit-learn", "wine-sklearn"))
        }  # fmt: skip
        big = pd.concat([frame] * 100, ignore_index=True)  # 17,800 rows
        in_process = {
            "compiled (table path)": rows_per_second(lambda: compiled.predict_frame(big), len(big)),
            "scikit-learn pipeline": rows_per_second(
                lambda: trainer.predict(model, big), len(big)),
        }  # fmt: skip
        reference, got = trainer.predict(model, frame), compiled.predict_frame(frame)
        same = sum(a == b for a, b in zip(reference.values, got.values, strict=True))
        mlpoc_server.should_exit = bare_server.should_exit = True
        time.sleep(0.5)
        cold = cold_start(Path(tmp), token, one)

    fast_p50 = pct(samples["mlpoc API, compiled"], 0.5)
    bare_p50 = pct(samples["bare FastAPI + scikit-learn"], 0.5)
    print(f"# mlpoc predict on wine ({args.requests} single calls each, {os.cpu_count()} cores)\n")
    print(f"| single row | p50 ms | p99 ms | req/s, {args.clients} clients |")
    print("| --- | --- | --- | --- |")
    for name, s in samples.items():
        r = f"{rps[name]:.0f}" if name in rps else ""
        print(f"| {name} | {pct(s, 0.5):.3f} | {pct(s, 0.99):.3f} | {r} |")
    print(f"\nfast path p50 is {bare_p50 / fast_p50:.1f}x faster than bare FastAPI + scikit-learn "
          "(target >= 7x, <= 2 ms)\n")  # fmt: skip
    print("| batch | rows/s |")
    print("| --- | --- |")
    for name, value in http_batch.items():
        print(f"| {name}, HTTP batch of 1,000 rows | {value:,.0f} |")
    for name, value in in_process.items():
        print(f"| in process, {len(big):,} rows, {name} | {value:,.0f} |")
    print(f"\nfresh `python -m runtime.api`: /readyz after {cold['ready_s']:.2f} s; first "
          f"prediction {cold['first_ms']:.1f} ms after it (target <= 50 ms); "
          f"RSS {cold['rss_mb']:.0f} MB with one model loaded")  # fmt: skip
    print(f"classes identical on {same} of {len(reference.values)} wine rows; agreement "
          f"recorded at training: {fast.serving['agreement']}")  # fmt: skip


if __name__ == "__main__":
    main()
