"""Adding a job type is one module and one test. The module below is what a new job type
is, whole: dropped into runtime/handlers, the registry discovers it, the API accepts and
lists it, `jobs.enqueue` knows it, and the worker runs it; nothing else is edited."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import runtime.handlers
from runtime.handlers import JOB_TYPES
from tests.rigs.base import Rig
from tests.support.api import make_api

ECHO_MODULE = '''
"""`echo`: say the text back (a toy job type)."""

from typing import Literal

from runtime import jobs
from runtime.handlers.base import JobContext, JobRequest, JobType, Result, Submission


class EchoJobIn(JobRequest):
    type: Literal["echo"]
    text: str


def submit(submission: Submission, request: EchoJobIn) -> jobs.Job:
    return jobs.enqueue(
        submission.adapters,
        "echo",
        {"text": request.text},
        job_id=request.job_id,
        created_by=submission.created_by,
    )


def run(context: JobContext) -> Result:
    return {"echo": context.job.params["text"], "attempts": context.job.data["attempts"]}


JOB = JobType(name="echo", help="say the text back", request=EchoJobIn, submit=submit, run=run)
'''


@pytest.fixture
def echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """runtime/handlers/echo.py, as if added to the package (here: a directory on its path)."""
    (tmp_path / "echo.py").write_text(ECHO_MODULE)
    monkeypatch.setattr(runtime.handlers, "__path__", [*runtime.handlers.__path__, str(tmp_path)])
    try:
        discovered = runtime.handlers._discover()
        assert list(discovered) == sorted([*JOB_TYPES, "echo"])
        monkeypatch.setitem(JOB_TYPES, "echo", discovered["echo"])
        yield
    finally:
        sys.modules.pop("runtime.handlers.echo", None)


def test_a_new_job_type_is_one_module(echo: None, rig: Rig) -> None:
    api = make_api(rig)
    with api.client:
        schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
        assert {"EchoJobIn", "TrainJobIn", "BatchPredictJobIn"} <= set(schemas)

        refused = api.client.post("/jobs", json={"type": "echo"}, headers=api.headers())
        assert refused.status_code == 422 and "text" in refused.json()["error"]["message"]
        enqueued = api.client.post(
            "/jobs",
            json={"type": "echo", "text": "hello", "job_id": "echo-1"},
            headers=api.headers(),
        )
        assert enqueued.status_code == 202, enqueued.text
        assert enqueued.json()["state"] == "queued"

        done = api.run_job("echo-1")
        assert done["result"] == {"echo": "hello", "attempts": 1}
        listed = api.client.get("/jobs", params={"type": "echo"}, headers=api.headers("read"))
        assert [job["id"] for job in listed.json()["items"]] == ["echo-1"]


def test_the_api_and_the_cli_name_the_registered_types(rig: Rig) -> None:
    from runtime.cli.jobs import app as jobs_cli

    api = make_api(rig)
    with api.client:
        body = api.client.get("/openapi.json").json()["paths"]["/jobs"]["post"]["requestBody"]
        refs = body["content"]["application/json"]["schema"]["anyOf"]
        assert len(refs) == len(JOB_TYPES)
        for name in JOB_TYPES:
            listed = api.client.get("/jobs", params={"type": name}, headers=api.headers("read"))
            assert listed.status_code == 200
        unknown = api.client.get("/jobs", params={"type": "deploy"}, headers=api.headers("read"))
        assert unknown.status_code == 422
    for name, job in JOB_TYPES.items():
        assert f"{name} ({job.help})" in str(jobs_cli.info.help)
