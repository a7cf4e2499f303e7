"""`mlpoc jobs list|show|wait|batch-predict`: the job queue as the API reports it."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.console import Console

from runtime.cli.base import console, emit_json, err_console, fail, new_app, one_line, table
from runtime.cli.client import Api, JsonOption, KeyOption, UrlOption
from runtime.handlers import JOB_TYPES
from runtime.jobs import STATES

app = new_app("Jobs: " + "; ".join(f"{job.name} ({job.help})" for job in JOB_TYPES.values()) + ".")
FAILED_JOB = 1


def wait_for_job(
    api: Api, job_id: str, out: Console, what: str, timeout: float = 600
) -> dict[str, Any]:
    """Poll a job with a live status line until it ends; fail (exit 1) if it failed."""
    deadline = time.monotonic() + timeout
    with out.status(f"{what}: job {job_id} queued") as status:
        while time.monotonic() < deadline:
            job: dict[str, Any] = api.get(f"/jobs/{job_id}")
            status.update(f"{what}: job {job_id} {job['state']} (attempt {job['attempts']})")
            if job["state"] == "succeeded":
                return job
            if job["state"] == "failed":
                fail(f"{what} failed: {job['last_error']}", FAILED_JOB)
            time.sleep(0.2)
    fail(
        f"{what}: job {job_id} did not finish within {timeout:.0f} s: is a worker running "
        "(`mlpoc worker`)?",
        FAILED_JOB,
    )


def show_job(job: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(job)
        return
    rows = [
        (k, job.get(k))
        for k in ("id", "type", "state", "attempts", "worker_id", "created_at", "finished_at")
    ]
    if job.get("snapshot"):
        rows.append(("snapshot", job["snapshot"]["key"]))
    if job.get("last_error"):
        rows.append(("last_error", job["last_error"]))
    if job.get("result"):
        rows.extend((f"result.{k}", v) for k, v in job["result"].items())
    console.print(table(f"job {job['id']}", ["field", "value"], rows))


@app.command("list")
def list_jobs(
    state: Annotated[str | None, typer.Option(help=f"One of {', '.join(STATES)}.")] = None,
    job_type: Annotated[
        str | None, typer.Option("--type", help=f"One of {', '.join(JOB_TYPES)}.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """List jobs, newest first (--limit: the newest that many)."""
    with Api(url, api_key) as api:
        params = {"state": state, "type": job_type, "limit": limit}
        page = api.get("/jobs", params={k: v for k, v in params.items() if v is not None})
    items = page["items"]
    if as_json:
        emit_json(items)
        return
    listed = table(
        "jobs (newest first)",
        ["id", "type", "state", "attempts", "created", "error"],
        [
            (
                j["id"],
                j["type"],
                j["state"],
                j["attempts"],
                j["created_at"][:19].replace("T", " "),
                one_line(j["last_error"] or "")[:60],
            )
            for j in items
        ],
    )
    listed.columns[0].no_wrap = True  # whole ids, to copy into `jobs show`
    console.print(listed)


def resolve_job_id(api: Api, given: str) -> str:
    """A job id, given whole or as a prefix that starts exactly one job's id."""
    if api.status(f"/jobs/{given}") == 200:
        return given
    matches = [j["id"] for j in api.pages("/jobs", limit=1000) if j["id"].startswith(given)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        fail(f"no job {given!r} (nor one whose id starts so)", FAILED_JOB)
    shown = ", ".join(matches[:5]) + (" ..." if len(matches) > 5 else "")
    fail(f"{len(matches)} jobs start with {given!r}: {shown}; give more of the id")


@app.command()
def show(
    job_id: str,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """One job: state, attempts, last error, result (JOB_ID: whole, or a unique prefix)."""
    with Api(url, api_key) as api:
        show_job(api.get(f"/jobs/{resolve_job_id(api, job_id)}"), as_json)


@app.command()
def wait(
    job_id: str,
    timeout: Annotated[float, typer.Option(help="Seconds to wait at most.")] = 600,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Wait for a job to end (exit 1 if it failed; JOB_ID: whole, or a unique prefix)."""
    with Api(url, api_key) as api:
        job_id = resolve_job_id(api, job_id)
        job = wait_for_job(api, job_id, err_console if as_json else console, "job", timeout)
    show_job(job, as_json)


@app.command("batch-predict")
def batch_predict(
    dataset: str,
    model: Annotated[str, typer.Option(help="Model name.")],
    alias: Annotated[str | None, typer.Option(help="Alias to score with.")] = None,
    version: Annotated[int | None, typer.Option(help="Version to score with.")] = None,
    wait_: Annotated[bool, typer.Option("--wait", help="Wait until it ends.")] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score every record of a dataset ahead and store the predictions."""
    body: dict[str, Any] = {"type": "batch_predict", "dataset": dataset, "model": model}
    if version is not None:
        body["version"] = version
    else:
        body["alias"] = alias or "production"
    with Api(url, api_key) as api:
        job = api.post("/jobs", json=body)
        if wait_:
            job = wait_for_job(api, job["id"], err_console if as_json else console, "scoring")
    show_job(job, as_json)
