"""`mlpoc demo`: the whole loop on the embedded local backend, in one command.

In a temporary (or given) data directory: start the API (`python -m runtime.api`) and a
worker (`python -m runtime.worker`) as child processes, create an admin key, upload scikit-
learn's wine dataset with some labels removed, label those records through the API, train
through the queue, promote the new version, score the dataset ahead (a `batch_predict` job),
answer a few predictions, print the metrics, then stop everything. Ctrl-C or SIGTERM at any
point stops the children too; a lock on the data directory (a kernel lock, released even if
the demo is killed) keeps two demos off one directory.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from runtime.cli.base import (
    INTERRUPTED,
    console,
    emit_json,
    err_console,
    fail,
    format_metrics,
    table,
)
from runtime.cli.client import Api
from runtime.cli.jobs import wait_for_job
from runtime.cli.processes import (
    Child,
    check_port,
    free_port,
    python_module,
    sigterm_as_interrupt,
    spawn,
    stop_all,
    wait_until,
)

DATASET = "wine"
MODEL = "wine"
UNLABELLED_SHARE = 0.3
STARTUP_SECONDS = 60
JOB_SECONDS = 120
STOP_GRACE_SECONDS = 10
LOCK_NAME = ".mlpoc-demo.lock"
# The children's settings: everything else at its default. Short polls keep the demo brisk.
CHILD_SETTINGS = {
    "MLPOC_BACKEND": "local",
    "MLPOC_POLL_SECONDS": "0.5",
    "MLPOC_SERVING_CHECK_SECONDS": "1",
    "MLPOC_SHUTDOWN_GRACE_SECONDS": "5",
    "MLPOC_API_HOST": "127.0.0.1",
}


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Directory for the local backend (default: a temporary one, removed)."),
    ] = None,
    port: Annotated[int, typer.Option(help="Port of the API (0: any free port).")] = 8080,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave the API and worker up until Ctrl-C.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run the whole loop locally: API, worker, upload, label, train, promote, predict."""
    port = port or free_port()
    check_port(port, flag="--port")
    out = err_console if as_json else console
    started = time.monotonic()
    temporary = data_dir is None
    root = Path(tempfile.mkdtemp(prefix="mlpoc-demo-")) if data_dir is None else data_dir
    root = root.resolve()
    children: list[Child] = []
    interrupted = finished = False
    try:
        with _locked(root), sigterm_as_interrupt():
            try:
                result = _run(root, port, children, out)
                result["seconds"] = round(time.monotonic() - started, 1)
                if as_json:
                    emit_json(result)
                else:
                    _report(result, keep_running)
                if keep_running:
                    _serve_until_interrupted(children, out)
                finished = True
            except KeyboardInterrupt:
                interrupted = True
            finally:
                if children:
                    with out.status("stopping the API and the worker"):
                        stop_all(children, STOP_GRACE_SECONDS)
    finally:
        # A failed demo keeps its temporary directory: the error points at its logs.
        if temporary and (finished or interrupted):
            shutil.rmtree(root, ignore_errors=True)
    if interrupted:
        out.print("interrupted: the API and the worker are stopped")
        raise typer.Exit(INTERRUPTED)
    out.print("stopped the API and the worker")


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            fail(
                f"{root} is in use by another mlpoc demo (pid {lock.read().strip() or '?'}): "
                "stop it or pass another --data-dir"
            )
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)


def _child_env(root: Path, port: int) -> dict[str, str]:
    # The user's own MLPOC_* settings (a cloud backend, say) must not leak into the demo.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPOC_")}
    if "MLPOC_LOG_LEVEL" in os.environ:
        env["MLPOC_LOG_LEVEL"] = os.environ["MLPOC_LOG_LEVEL"]
    return {**env, **CHILD_SETTINGS, "MLPOC_DATA_DIR": str(root), "PORT": str(port)}


def _step(out: Console, text: str) -> Callable[[str], None]:
    start = time.monotonic()

    def done(detail: str = "") -> None:
        took = time.monotonic() - start
        out.print(
            f"[green]✓[/green] {text}"
            + (f": {escape(detail)}" if detail else "")
            + f" ({took:.1f} s)",
            soft_wrap=True,
        )

    return done


def _run(root: Path, port: int, children: list[Child], out: Console) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    env = _child_env(root, port)
    logs = root / "logs"

    done = _step(out, "started the API and a worker")
    with out.status("starting the API and a worker (local backend)"):
        token = _admin_key(root)  # also creates the databases before two processes race to
        children.append(spawn("api", python_module("runtime.api"), env, logs / "api.log"))
        children.append(spawn("worker", python_module("runtime.worker"), env, logs / "worker.log"))
        wait_until(
            lambda: _ready(url), timeout=STARTUP_SECONDS, child=children[0], what="API start"
        )
    done(f"{url}, data in {root}")

    with Api(url, token, timeout=60) as api:
        frame, truth = _wine()
        done = _step(out, "uploaded scikit-learn's wine dataset")
        if api.status(f"/datasets/{DATASET}") == 200:  # a --data-dir of an earlier demo
            dataset = api.get(f"/datasets/{DATASET}")
            done(f"already there, {dataset['rows']} rows")
        else:
            with out.status("uploading the wine dataset"):
                dataset = api.post(
                    "/datasets",
                    files={"file": ("wine.csv", _csv(frame), "text/csv")},
                    data={"name": DATASET, "target": "target", "id_column": "record_id"},
                )
            done(f"{dataset['rows']} rows, {dataset['labelled']} labelled")

        done = _step(out, "labelled the unlabelled records through the API")
        with out.status("labelling"):
            waiting = api.pages(f"/datasets/{DATASET}/records", unlabelled="true", limit=1000)
            labels = [
                {"record_id": r["record_id"], "label": truth[r["record_id"]]} for r in waiting
            ]
            if labels:
                api.post(f"/datasets/{DATASET}/labels", json={"labels": labels})
        done(f"{len(labels)} labels")

        done = _step(out, "trained through the job queue")
        train = api.post("/jobs", json={"type": "train", "dataset": DATASET, "model": MODEL})
        train = wait_for_job(api, train["id"], out, "training", JOB_SECONDS)
        version = int(train["result"]["version"])
        metrics = train["result"]["metrics"]
        done(f"{MODEL} v{version}: {format_metrics(metrics)}")

        done = _step(out, "promoted to production")
        current = None
        if api.status(f"/models/{MODEL}/aliases/production") == 200:
            current = api.get(f"/models/{MODEL}/aliases/production")["version"]
        api.put(
            f"/models/{MODEL}/aliases/production",
            json={"version": version, "expected_version": current, "reason": "mlpoc demo"},
        )
        done(f"production -> v{version}")

        done = _step(out, "pre-computed predictions for every record")
        job = api.post(
            "/jobs",
            json={
                "type": "batch_predict",
                "dataset": DATASET,
                "model": MODEL,
                "alias": "production",
            },
        )
        scored = wait_for_job(api, job["id"], out, "batch prediction", JOB_SECONDS)
        stored = api.pages(f"/datasets/{DATASET}/predictions", limit=1000)
        done(f"{len(stored)} stored")

        done = _step(out, "answered predictions")
        samples = [frame.index[frame["target_true"] == c][0] for c in sorted(set(truth.values()))]
        answers = []
        for index in samples:
            record_id = str(frame.at[index, "record_id"])
            features = {
                c: float(frame.at[index, c]) for c in frame.columns if c not in _NOT_FEATURES
            }
            online = api.post(f"/models/{MODEL}/predict", json={"row": features})
            ahead = api.post(
                f"/datasets/{DATASET}/predictions/lookup", json={"record_ids": [record_id]}
            )["found"]
            answers.append(
                {
                    "record_id": record_id,
                    "expected": truth[record_id],
                    "value": online["value"],
                    "version": online["version"],
                    "stored_value": ahead[0]["value"] if ahead else None,
                }
            )
        done(f"{sum(a['value'] == a['expected'] for a in answers)}/{len(answers)} right")
        api_metrics = _prometheus(api.get("/metrics"))

    return {
        "api_url": url,
        "docs_url": f"{url}/docs",
        "ui_url": f"{url}/ui/",
        "data_dir": str(root),
        "api_key": token,
        "model": MODEL,
        "version": version,
        "metrics": metrics,
        "dataset": {
            "name": DATASET,
            "rows": dataset["rows"],
            "labelled_at_upload": dataset["labelled"],
            "labelled_through_api": len(labels),
        },
        "jobs": {"train": train["id"], "batch_predict": scored["id"]},
        "batch_predict": scored["result"],
        "stored_predictions": len(stored),
        "predictions": answers,
        "api_metrics": api_metrics,
        "processes": {child.name: child.pid for child in children},
    }


_NOT_FEATURES = ("record_id", "target", "target_true")


def _wine() -> tuple[Any, dict[str, str]]:
    """Wine as a frame with record ids and class names; some targets blanked out (the
    truth for every record is kept to play the annotator)."""
    import numpy as np
    from sklearn.datasets import load_wine

    bunch = load_wine(as_frame=True)
    frame = bunch.frame
    names = [str(n) for n in bunch.target_names]
    frame.insert(0, "record_id", [f"wine-{i:03d}" for i in range(len(frame))])
    frame["target_true"] = [names[t] for t in frame.pop("target")]
    blank = np.random.default_rng(0).random(len(frame)) < UNLABELLED_SHARE
    frame["target"] = frame["target_true"].where(~blank, "")
    truth = dict(zip(frame["record_id"], frame["target_true"], strict=True))
    return frame, truth


def _csv(frame: Any) -> bytes:
    text = io.StringIO()
    frame.drop(columns=["target_true"]).to_csv(text, index=False, quoting=csv.QUOTE_MINIMAL)
    return text.getvalue().encode()


def _admin_key(root: Path) -> str:
    from adapters.factory import build_adapters
    from adapters.settings import Settings
    from runtime import api_keys
    from runtime.schema import COLLECTIONS

    adapters = build_adapters(COLLECTIONS, Settings(backend="local", data_dir=root))
    _, token = api_keys.create(adapters.documents, "mlpoc-demo", ["admin"])
    return token


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _prometheus(text: str) -> dict[str, float]:
    """The API's own counters worth showing: predictions and enqueued jobs."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(("mlpoc_predictions_total", "mlpoc_jobs_enqueued_total")):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def _report(result: dict[str, Any], keep_running: bool) -> None:
    console.print()
    console.print(
        table(
            f"{result['model']} v{result['version']} (production)",
            ["metric", "value"],
            [(k, f"{v:.4f}" if isinstance(v, float) else v) for k, v in result["metrics"].items()],
        )
    )
    console.print(
        table(
            "predictions",
            ["record", "expected", "online", "pre-computed", "version"],
            [
                (a["record_id"], a["expected"], a["value"], a["stored_value"], a["version"])
                for a in result["predictions"]
            ],
        )
    )
    console.print(table("API metrics", ["sample", "value"], list(result["api_metrics"].items())))
    console.print(f"API docs: [bold]{result['docs_url']}[/bold]")
    console.print(f"web UI:   [bold]{result['ui_url']}[/bold] (sign in with an admin key)")
    console.print(f"demo took {result['seconds']} s")
    if keep_running:
        console.print(
            f"admin key: {result['api_key']}\n"
            f"try: MLPOC_API_URL={result['api_url']} MLPOC_API_KEY=<key> mlpoc models list wine"
        )


def _serve_until_interrupted(children: list[Child], out: Console) -> None:
    out.print("the API and the worker keep running: Ctrl-C stops them")
    while all(child.alive() for child in children):
        time.sleep(0.5)
    dead = next(child for child in children if not child.alive())
    fail(f"the {dead.name} process exited (code {dead.process.returncode}); see {dead.log_path}", 1)
