"""`GET /jobs` without a state: every job newest first, across states, page by page."""

from __future__ import annotations

from runtime import jobs
from tests.support.api import Api


def test_jobs_are_listed_newest_first_across_states(api: Api) -> None:
    made = []
    for n in range(7):
        job = jobs.enqueue(api.adapters, "batch_predict", {"n": n}, job_id=f"job-{n}")
        if n % 3 == 1:
            job = jobs.transition(api.adapters.documents, job, jobs.RUNNING)
        if n % 3 == 2:
            job = jobs.transition(api.adapters.documents, job, jobs.FAILED, last_error="boom")
        made.append(job.id)
    newest_first = list(reversed(made))

    read = api.headers("read")
    first = api.client.get("/jobs?limit=3", headers=read).json()
    assert [j["id"] for j in first["items"]] == newest_first[:3]
    seen, token = [j["id"] for j in first["items"]], first["next_token"]
    while token:
        page = api.client.get("/jobs", params={"limit": 3, "page_token": token}, headers=read)
        assert page.status_code == 200, page.text
        seen += [j["id"] for j in page.json()["items"]]
        token = page.json()["next_token"]
    assert seen == newest_first
    assert [j["id"] for j in api.client.get("/jobs", headers=read).json()["items"]] == seen

    failed = api.client.get("/jobs?state=failed", headers=read).json()["items"]
    assert [j["id"] for j in failed] == ["job-5", "job-2"]
    bad = api.client.get("/jobs", params={"page_token": "bm90IGEgdG9rZW4"}, headers=read)
    assert bad.status_code == 400
