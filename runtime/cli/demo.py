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
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from runtime.cli.base import (
    INTERRUPTED,
    console,
    emit_json,
    err_console,
    fail,
    table,
)
from runtime.cli.client import Api
from runtime.cli.loop import Steps, api_ready, run_loop
from runtime.cli.processes import (
    Child,
    check_port,
    free_port,
    port_in_use,
    python_module,
    sigterm_as_interrupt,
    spawn,
    stop_all,
    wait_until,
)

DEFAULT_PORT = 8080
STARTUP_SECONDS = 60
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
    port: Annotated[
        int | None,
        typer.Option(
            help=f"Port of the API (0: any free port; default: {DEFAULT_PORT}, or a free "
            "one if that is taken, said at start).",
        ),
    ] = None,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave the API and worker up until Ctrl-C.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run the whole loop locally: API, worker, upload, label, train, promote, predict."""
    out = err_console if as_json else console
    port = _pick_port(port, out)
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
    kept = "" if temporary else f"; the data stays in {root} (run again on it to train on)"
    if interrupted:
        out.print(f"interrupted: the API and the worker are stopped, nothing is left running{kept}")
        raise typer.Exit(INTERRUPTED)
    out.print(f"stopped the API and the worker: nothing is left running{kept}")
    if not keep_running:
        out.print(
            "to explore the API docs (/docs) and the web UI (/ui/) with the model it trained, "
            "run `mlpoc demo --keep-running`"
        )


def _pick_port(port: int | None, out: Console) -> int:
    """The port asked for (it must be free), any free one for 0, else the default, or a
    free one when the default is taken (and the user is told)."""
    if port is None:
        if not port_in_use(DEFAULT_PORT):
            return DEFAULT_PORT
        chosen = free_port()
        out.print(f"port {DEFAULT_PORT} is in use: the API will listen on port {chosen}")
        return chosen
    port = port or free_port()
    check_port(port, flag="--port")
    return port


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


def _run(root: Path, port: int, children: list[Child], out: Console) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    env = _child_env(root, port)
    logs = root / "logs"
    steps = Steps(out)

    done = steps.start("started the API and a worker")
    with out.status("starting the API and a worker (local backend)"):
        token = _admin_key(root)  # also creates the databases before two processes race to
        children.append(spawn("api", python_module("runtime.api"), env, logs / "api.log"))
        children.append(spawn("worker", python_module("runtime.worker"), env, logs / "worker.log"))
        wait_until(
            lambda: api_ready(url), timeout=STARTUP_SECONDS, child=children[0], what="API start"
        )
    done(f"{url}, data in {root}")

    with Api(url, token, timeout=60) as api:
        loop = run_loop(api, steps)

    return {
        "api_url": url,
        "docs_url": f"{url}/docs",
        "ui_url": f"{url}/ui/",
        "data_dir": str(root),
        "api_key": token,
        **loop,
        "processes": {child.name: child.pid for child in children},
    }


def _admin_key(root: Path) -> str:
    from adapters.factory import build_adapters
    from adapters.settings import Settings
    from runtime import api_keys
    from runtime.schema import COLLECTIONS

    adapters = build_adapters(COLLECTIONS, Settings(backend="local", data_dir=root))
    _, token = api_keys.create(adapters.documents, "mlpoc-demo", ["admin"])
    return token


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
    console.print(f"demo took {result['seconds']} s")
    if keep_running:  # only then are these links alive after the demo's last line
        console.print(f"API docs: [bold]{result['docs_url']}[/bold]")
        console.print(f"web UI:   [bold]{result['ui_url']}[/bold] (sign in with the admin key)")
        console.print(
            f"admin key: {result['api_key']}\n"
            f"try: MLPOC_API_URL={result['api_url']} MLPOC_API_KEY=<key> mlpoc models list wine"
        )


def _serve_until_interrupted(children: list[Child], out: Console) -> None:
    out.print("the API and the worker keep running until Ctrl-C")
    while all(child.alive() for child in children):
        time.sleep(0.5)
    dead = next(child for child in children if not child.alive())
    fail(f"the {dead.name} process exited (code {dead.process.returncode}); see {dead.log_path}", 1)
