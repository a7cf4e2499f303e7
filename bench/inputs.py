"""What the API answers to inputs it should refuse (issue #14, section 2), and what each
costs it: status, seconds, the API's peak RSS during the request, and the answer.

Run by hand (never as a timed test):

    python bench/inputs.py [--code DIR] [--wide-rows 10000]

The API and a worker run as deployed (`python -m runtime.api`, `python -m runtime.worker`,
local backend, a temporary data dir), each in its own process, from `--code` (default: this
checkout; give another checkout of the project, say an older commit's worktree, to measure
it: its processes run with that directory first on their path). Everything is set up over
HTTP, so the same script measures old and new code: a dataset with a numeric, a boolean and
a text feature is uploaded, trained on and put at `production`; then each probe is sent
once. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.preauth import memory, reset_peak
from tests.servers.process import free_port
from tests.support.data import flags_csv
from tests.support.processes import stop_process

REPO = Path(__file__).resolve().parents[1]
FULL = {"x": 1.5, "member": True, "colour": "red"}


@contextmanager
def processes(code: Path, data_dir: str) -> Iterator[tuple[str, str, int]]:
    """The API and a worker from `code` over `data_dir`: the API's URL, an admin token
    and the API's pid."""
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "MLPOC_BACKEND": "local",
        "MLPOC_DATA_DIR": data_dir,
        "MLPOC_LOG_LEVEL": "WARNING",
        "MLPOC_API_HOST": "127.0.0.1",
    }
    token = subprocess.run(
        [sys.executable, "-c",
         "from adapters import build_adapters, load_settings\n"
         "from runtime import api_keys\nfrom runtime.schema import COLLECTIONS\n"
         "docs = build_adapters(COLLECTIONS, load_settings()).documents\n"
         "print(api_keys.create(docs, 'probe', ['admin'])[1])"],
        env=env, cwd=code, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    started = []
    try:
        for module, extra in (("runtime.api", {"PORT": str(port)}), ("runtime.worker", {})):
            started.append(
                subprocess.Popen(
                    [sys.executable, "-m", module], env={**env, **extra}, cwd=code,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/healthz", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or started[0].poll() is not None:
                    raise RuntimeError("the API did not start") from None
                time.sleep(0.2)
        yield url, token, started[0].pid
    finally:
        for proc in started:
            stop_process(proc)


def set_up(client: httpx.Client) -> None:
    """Upload `flags`, train it (linear) and put version 1 at `production`."""
    uploaded = client.post(
        "/datasets",
        files={"file": ("flags.csv", flags_csv(), "text/csv")},
        data={"name": "flags", "target": "target", "id_column": "record_id"},
    )
    assert uploaded.status_code == 201, uploaded.text
    job = client.post("/datasets/flags/retrain", json={"params": {"estimator": "linear"}})
    assert job.status_code == 202, job.text
    job_id, deadline = job.json()["id"], time.monotonic() + 300
    while (state := client.get(f"/jobs/{job_id}").json()["state"]) not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, "training did not finish in 300 s"
        time.sleep(0.5)
    assert state == "succeeded", client.get(f"/jobs/{job_id}").text
    moved = client.put(
        "/models/flags/aliases/production", json={"version": 1, "expected_version": None}
    )
    assert moved.status_code == 200, moved.text


def probes(wide_rows: int) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(name, method, path, httpx arguments) of each probe."""
    full = FULL
    predict, batch = "/models/flags/predict", "/models/flags/predict/batch"
    nul = b"record_id,x,member,colour,target\nr0,1\x00,True,red,yes\n"
    return [
        ("string for a number", "POST", predict, {"json": {"row": {**full, "x": "abc"}}}),
        ("batch: a full row and a row lacking features", "POST", batch,
         {"json": {"rows": [full, {"x": 3}]}}),
        ("400-digit integer", "POST", predict, {"json": {"row": {**full, "x": int("9" * 400)}}}),
        (f"{wide_rows:,} rows, each with another key", "POST", batch,
         {"json": {"rows": [{f"c{i}": 0} for i in range(wide_rows)]}}),
        ("boolean: true", "POST", predict, {"json": {"row": full}}),
        ('boolean: "true"', "POST", predict, {"json": {"row": {**full, "member": "true"}}}),
        ("boolean: 1", "POST", predict, {"json": {"row": {**full, "member": 1}}}),
        ('boolean: "yes"', "POST", predict, {"json": {"row": {**full, "member": "yes"}}}),
        ("CSV with a NUL byte", "POST", "/datasets",
         {"files": {"file": ("nul.csv", nul, "text/csv")},
          "data": {"name": "nul", "target": "target", "id_column": "record_id"}}),
        ("OPTIONS /jobs (GET and POST exist)", "OPTIONS", "/jobs", {}),
        ("DELETE an alias (GET and PUT exist)", "DELETE", "/models/flags/aliases/production", {}),
    ]  # fmt: skip


def answer(response: httpx.Response) -> str:
    if "allow" in response.headers:
        return f"Allow: {response.headers['allow']}"
    try:
        body = response.json()
    except ValueError:
        return response.text[:80]
    if "error" in body:
        return str(body["error"]["message"])[:110]
    if "predictions" in body:
        return f"{len(body['predictions'])} predictions"
    one = body.get("prediction", body)  # the response's shape changed over time
    if "value" in one:
        shown = {k: round(v, 3) for k, v in (one.get("probabilities") or {}).items()}
        return f"{one['value']} {shown}"
    return json.dumps(body)[:80]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=REPO)
    parser.add_argument("--wide-rows", type=int, default=10_000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as data_dir,
        processes(args.code.resolve(), data_dir) as (url, token, pid),
        httpx.Client(base_url=url, headers={"X-API-Key": token}, timeout=600) as client,
    ):
        set_up(client)
        warm = client.post("/models/flags/predict", json={"row": FULL})
        assert warm.status_code == 200, warm.text  # the model is loaded before probes
        print("| probe | status | seconds | API peak RSS (RSS before) | answer |")
        print("| --- | --- | --- | --- | --- |")
        for name, method, path, kwargs in probes(args.wide_rows):
            reset_peak(pid)
            before = memory(pid)["VmRSS"]
            start = time.perf_counter()
            response = client.request(method, path, **kwargs)
            seconds = time.perf_counter() - start
            time.sleep(0.5)  # the server may still be freeing the request
            peak = memory(pid)["VmHWM"]
            text = answer(response).replace("|", "\\|")
            print(
                f"| {name} | {response.status_code} | {seconds:.2f} | "
                f"{peak} MiB ({before}) | {text} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
