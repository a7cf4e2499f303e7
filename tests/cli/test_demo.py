"""`mlpoc demo` as a user runs it: a subprocess on a temporary directory. Its results are
checked from its JSON output and again by opening the data directory with the adapters
afterwards; no process it started may be left, whether it ends by itself or by Ctrl-C."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.factory import build_adapters
from adapters.settings import Settings
from runtime import api_keys
from runtime.registry import Registry
from runtime.schema import COLLECTIONS, PREDICTIONS
from tests.servers.process import free_port
from tests.support.cli import (
    clean_env,
    ctrl_c_reaches_it,
    mlpoc_argv,
    pid_alive,
    processes_with_env,
    run_cli,
)

# The command `make demo` runs (the Makefile's demo recipe is `$(BIN)/mlpoc` + these);
# tests/test_readme.py checks that the three agree.
DEMO_ARGS = ("demo",)
WINE_ROWS = 178

pytestmark = pytest.mark.slow


def _assert_nothing_left(result: dict[str, Any], data_dir: Path) -> None:
    for name, pid in result["processes"].items():
        assert not pid_alive(pid), f"the demo's {name} process {pid} is still running"
    assert processes_with_env("MLPOC_DATA_DIR", str(data_dir)) == []
    assert not (data_dir / ".mlpoc-demo.lock").exists(), "stale demo lock"


def test_demo_runs_the_whole_loop_and_leaves_nothing_running(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    started = time.monotonic()
    done = run_cli(
        *DEMO_ARGS, "--data-dir", str(data_dir), "--port", str(free_port()), "--json",
        timeout=240,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"mlpoc demo took {took:.1f} s (its own figure: {result['seconds']} s)")

    assert result["model"] == "wine" and result["version"] == 1
    assert result["metrics"]["accuracy"] > 0.85
    assert result["metrics"]["f1_macro"] > 0.85
    dataset = result["dataset"]
    assert dataset["rows"] == WINE_ROWS
    assert 0 < dataset["labelled_through_api"] < WINE_ROWS
    assert dataset["labelled_at_upload"] + dataset["labelled_through_api"] == WINE_ROWS
    assert result["stored_predictions"] == WINE_ROWS
    assert result["batch_predict"]["version"] == 1
    answers = result["predictions"]
    assert {a["expected"] for a in answers} == {"class_0", "class_1", "class_2"}
    assert all(a["version"] == 1 for a in answers)
    assert sum(a["value"] == a["expected"] for a in answers) >= 2
    assert result["api_metrics"]['mlpoc_predictions_total{model="wine",version="1"}'] == len(
        answers
    )
    # The closing lines say what is true: everything stopped (links would be dead).
    assert "stopped the API and the worker: nothing is left running" in done.stderr
    assert "mlpoc demo --keep-running" in done.stderr
    assert result["docs_url"] == f"{result['api_url']}/docs"
    assert result["ui_url"] == f"{result['api_url']}/ui/"
    _assert_nothing_left(result, data_dir)

    # What the demo reported is what the backend holds.
    adapters = build_adapters(COLLECTIONS, Settings(backend="local", data_dir=data_dir))
    registry = Registry(adapters)
    assert registry.get_alias("wine", "production").version == 1
    assert registry.get_version("wine", 1).metrics == result["metrics"]
    stored = [
        doc.data for doc in adapters.documents.iter_query(PREDICTIONS.name, "dataset", "wine")
    ]
    assert len(stored) == WINE_ROWS
    assert {p["version"] for p in stored} == {1}
    by_record = {p["record_id"]: p["value"] for p in stored}
    for answer in answers:
        assert by_record[answer["record_id"]] == answer["stored_value"]
    # No lock left behind: the databases take a write.
    key, _ = api_keys.create(adapters.documents, "after-demo", ["read"])
    assert key.id in {k.id for k in api_keys.list_keys(adapters.documents)}


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    # selectors (epoll), not select.select: late in a long session fd numbers pass 1024,
    # which select() refuses ("filedescriptor out of range").
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.5):
                return process.stdout.readline()
            assert process.poll() is None, (
                f"demo exited early: {process.stderr and process.stderr.read()}"
            )
    raise AssertionError(f"no output within {timeout} s")


def test_keep_running_serves_until_ctrl_c_then_stops_everything(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    process = subprocess.Popen(
        [*mlpoc_argv(), *DEMO_ARGS, "--data-dir", str(data_dir), "--port", str(free_port()),
         "--json", "--keep-running"],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_reaches_it,
    )  # fmt: skip
    try:
        result = json.loads(_first_line(process, timeout=240))
        time.sleep(1)
        assert process.poll() is None, "--keep-running returned"
        health = httpx.get(f"{result['api_url']}/healthz", timeout=5)
        assert health.status_code == 200
        jobs = httpx.get(
            f"{result['api_url']}/jobs", headers={"X-API-Key": result["api_key"]}, timeout=5
        )
        assert {j["state"] for j in jobs.json()["items"]} == {"succeeded"}
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert code == 130, process.stderr.read() if process.stderr else ""
    _assert_nothing_left(result, data_dir)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{result['api_url']}/healthz", timeout=2)
