"""The data commands against a real API and real workers, all started through the CLI
(`mlpoc serve`, `mlpoc worker -n 2`) on the local backend: upload, label (one and in bulk),
train, promote, rollback (and a stale compare-and-swap refused), predict, batch-predict,
stored predictions, jobs. Then Ctrl-C / SIGTERM stop the servers and nothing is left."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers.process import free_port
from tests.support.cli import (
    clean_env,
    ctrl_c_reaches_it,
    mlpoc_argv,
    processes_with_env,
    run_cli,
)

pytestmark = pytest.mark.slow


def _iris(path: Path, unlabelled: int) -> dict[str, int]:
    """Iris as a CSV with record ids, the first `unlabelled` targets blank; the truth."""
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.insert(0, "record_id", [f"iris-{i:03d}" for i in range(len(frame))])
    truth = dict(zip(frame["record_id"], frame["target"].astype(int), strict=True))
    frame["target"] = frame["target"].astype(str)
    frame.loc[frame.index[::10][:unlabelled], "target"] = ""
    frame.to_csv(path, index=False)
    return truth


class Cli:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, code: int = 0) -> Any:
        done = run_cli(*args, env=self.env, timeout=180)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        return json.loads(done.stdout) if "--json" in args and code == 0 else done


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Cli, dict[str, str]]]:
    data_dir = tmp_path / "data"
    port = free_port()
    env = clean_env(
        MLPOC_BACKEND="local",
        MLPOC_DATA_DIR=str(data_dir),
        MLPOC_POLL_SECONDS="0.5",
        MLPOC_SERVING_CHECK_SECONDS="0",
        MLPOC_API_KEY_CACHE_SECONDS="0",
        MLPOC_SHUTDOWN_GRACE_SECONDS="2",
    )
    key = Cli(env)("keys", "create", "--name", "tester", "--scope", "admin", "--json")
    serve = subprocess.Popen([*mlpoc_argv(), "serve", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    workers = subprocess.Popen(
        [*mlpoc_argv(), "worker", "-n", "2", "--log-dir", str(tmp_path / "logs")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        preexec_fn=ctrl_c_reaches_it,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and serve.poll() is None, "API did not start"
            time.sleep(0.2)
        yield Cli({**env, "MLPOC_API_URL": url, "MLPOC_API_KEY": key["token"]}), env
        workers.send_signal(signal.SIGINT)
        serve.send_signal(signal.SIGTERM)
        assert workers.wait(timeout=60) == 130
        assert serve.wait(timeout=60) == 0
        assert processes_with_env("MLPOC_DATA_DIR", str(data_dir)) == []
    finally:
        for process in (workers, serve):
            if process.poll() is None:
                process.kill()
                process.wait()


def test_the_loop_through_the_cli(running: tuple[Cli, dict[str, str]], tmp_path: Path) -> None:
    cli, _ = running
    csv_path = tmp_path / "iris.csv"
    truth = _iris(csv_path, unlabelled=8)
    dataset = cli("datasets", "upload", str(csv_path), "--target", "target",
                  "--id-column", "record_id", "--json")  # fmt: skip
    assert (dataset["name"], dataset["rows"], dataset["labelled"]) == ("iris", 150, 142)
    assert [d["name"] for d in cli("datasets", "list", "--json")] == ["iris"]

    waiting = [r["record_id"] for r in cli("label", "iris", "--unlabelled", "--json")]
    assert len(waiting) == 8
    first = cli("label", "iris", waiting[0], str(truth[waiting[0]]), "--json")
    assert first["records"][0]["label"] == str(truth[waiting[0]])  # the class, as spelled
    labels = tmp_path / "labels.csv"
    labels.write_text("record_id,label\n" + "".join(f"{r},{truth[r]}\n" for r in waiting[1:]))
    assert len(cli("label", "iris", "--from-csv", str(labels), "--json")["records"]) == 7
    assert cli("label", "iris", "--unlabelled", "--json") == []

    v1 = cli("train", "iris", "--param", "estimator=linear", "--wait", "--json")
    assert v1["state"] == "succeeded" and v1["result"]["version"] == 1
    assert cli("models", "promote", "iris", "1", "--json")["previous"] is None
    v2 = cli("train", "iris", "--wait", "--json")
    assert v2["result"]["version"] == 2
    moved = cli("models", "promote", "iris", "2", "--json")
    assert (moved["version"], moved["previous"]) == (2, 1)
    stale = cli("models", "promote", "iris", "1", "--expect", "1", code=1)
    assert "HTTP 409" in stale.stderr and len(stale.stderr.strip().splitlines()) == 1
    back = cli("models", "rollback", "iris", "--json")
    assert (back["version"], back["previous"]) == (1, 2)
    listed = cli("models", "list", "iris", "--json")
    assert [v["version"] for v in listed["versions"]] == [2, 1]
    assert listed["production"]["version"] == 1

    row = {"sepal length (cm)": 6.3, "sepal width (cm)": 3.3,
           "petal length (cm)": 6.0, "petal width (cm)": 2.5}  # fmt: skip
    answer = cli("predict", "iris", "--row", json.dumps(row), "--row", json.dumps(row), "--json")
    assert answer["version"] == 1 and len(answer["predictions"]) == 2
    assert str(answer["predictions"][0]["value"]) == "2"

    scored = cli("jobs", "batch-predict", "iris", "--model", "iris", "--wait", "--json")
    assert scored["state"] == "succeeded"
    stored = cli("datasets", "predictions", "iris", "iris-000", "--json")
    assert [p["record_id"] for p in stored["found"]] == ["iris-000"]
    assert stored["found"][0]["version"] == 1
    states = {j["id"]: j["state"] for j in cli("jobs", "list", "--json")}
    assert len(states) == 3 and set(states.values()) == {"succeeded"}
    shown = cli("jobs", "show", v1["id"], "--json")
    assert shown["result"]["version"] == 1
    assert shown["snapshot"]["key"].startswith("datasets/iris/labelled/")

    # A param the trainer refuses: at once, one line, nothing enqueued.
    refused = cli("train", "iris", "--param", "max_iter=abc", "--wait", code=1)
    assert "max_iter: Input should be a valid integer" in refused.stderr
    assert "HTTP 422" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    # A failure no retry can cure ends the job on its first delivery.
    failed = cli("train", "iris", "--param", 'categorical=["nope"]', "--wait", code=1)
    assert "categorical columns not in the data: ['nope']" in failed.stderr
    assert [j["attempts"] for j in cli("jobs", "list", "--state", "failed", "--json")] == [1]
    assert len(cli("jobs", "list", "--json")) == 4


def test_tasks_rows_ids_exports_and_history_through_the_cli(
    running: tuple[Cli, dict[str, str]], tmp_path: Path
) -> None:
    import zipfile

    cli, _ = running
    path, more = tmp_path / "flowers.csv", tmp_path / "more.csv"
    truth = _iris(path, unlabelled=5)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:121]) + "\n")
    more.write_text("\n".join([lines[0], *lines[121:]]) + "\n")
    ids = [line.split(",", 1)[0] for line in lines[1:]]

    uploaded = cli("datasets", "upload", str(path), "--target", "target", "--id-column",
                   "record_id", "--task", "classification")  # fmt: skip
    assert "task: classification (stated)" in uploaded.stdout
    assert "classes: 0, 1, 2" in uploaded.stdout
    bad_task = cli("datasets", "upload", str(path), "--task", "ranking", code=2)
    assert "--task must be classification or regression" in bad_task.stderr

    refused = cli("label", "flowers", ids[1], "setosa", code=1)
    assert "not in the dataset's label set ('0', '1', '2')" in refused.stderr
    assert "--new-class" in refused.stderr  # says how, in the CLI's words
    assert "HTTP 422" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    added = cli("label", "flowers", ids[1], "3", "--new-class", "--json")
    assert added["records"][0]["label"] == "3"
    cli("label", "flowers", ids[1], str(truth[ids[1]]))
    assert "0, 1, 2, 3" in cli("datasets", "describe", "flowers").stdout

    preview = cli("datasets", "preview", "flowers", "--rows", "2", "--json")
    assert [r["record_id"] for r in preview] == ids[:2]
    assert "sepal length (cm)" in cli("datasets", "stats", "flowers").stdout
    appended = cli("datasets", "append", "flowers", str(more), "--json")
    assert (appended["rows"], appended["revision"]) == (150, 2)

    trained = [
        cli("train", "flowers", "--param", "estimator=linear", "--wait", "--json") for _ in range(3)
    ]
    assert [t["result"]["version"] for t in trained] == [1, 2, 3]
    newest = cli("jobs", "list", "--limit", "1", "--json")
    assert [j["id"] for j in newest] == [trained[-1]["id"]]
    listing = cli("jobs", "list")
    assert all(t["id"] in listing.stdout for t in trained)  # whole ids, not cut
    shown = cli("jobs", "show", trained[0]["id"][:8], "--json")
    assert shown["id"] == trained[0]["id"]
    assert "no job 'zzzz'" in cli("jobs", "show", "zzzz", code=1).stderr
    accuracy = trained[-1]["result"]["metrics"]["accuracy"]
    models = cli("models", "list", "flowers")
    assert f"{accuracy:.4g}" in models.stdout and "…" not in models.stdout

    answer = cli("predict", "flowers", "--id", ids[0], "--id", "nope", "--version", "1",
                 "--json", code=1)  # fmt: skip
    assert "no record nope in flowers" in answer.stderr
    by_id = json.loads(answer.stdout)
    assert [p["record_id"] for p in by_id["predictions"]] == [ids[0]]
    assert by_id["missing"] == ["nope"]

    exported = cli("models", "export", "flowers", "1", "--out", str(tmp_path), "--json")
    assert exported["path"] == str(tmp_path / "flowers-v1.zip")
    with zipfile.ZipFile(exported["path"]) as archive:
        assert {"model.skops", "version.json", "SHA256SUMS"} <= set(archive.namelist())

    for version in ("1", "2", "3"):
        cli("models", "promote", "flowers", version)
    walked = [cli("models", "rollback", "flowers", "--json")["version"] for _ in range(2)]
    assert walked == [2, 1]  # back through the history, not back and forth
    assert "no earlier version" in cli("models", "rollback", "flowers", code=1).stderr
    cli("models", "promote", "flowers", "3")
    assert cli("models", "rollback", "flowers", "--to", "1", "--json")["version"] == 1

    assert "pass --yes" in cli("datasets", "delete", "flowers", code=2).stderr
    deleted = cli("datasets", "delete", "flowers", "--yes", "--json")
    # The three versions learned from the same labels: one snapshot, kept for them.
    assert (deleted["records"], deleted["snapshots_kept"]) == (150, 1)
    assert cli("datasets", "list", "--json") == []
