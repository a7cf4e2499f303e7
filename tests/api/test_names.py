"""Names are matched whole: a trailing newline (`$` matches before one) is refused
everywhere a name is taken, rather than creating "xss\\n" beside "xss". A name in a path is
checked against the pattern the OpenAPI document gives it (422, as any invalid request)."""

from __future__ import annotations

import pytest

from runtime import api_keys, jobs
from runtime.registry import check_name
from tests.api.test_refusals import refused
from tests.support.api import Api, train_through_api


def test_names_with_a_trailing_newline_are_refused(api: Api) -> None:
    admin, read = api.headers(), api.headers("read")
    refused(api, lambda: api.upload(name="xss\n"), 400, "dataset name must match")
    refused(api, lambda: api.upload(name="xss", model="m\n"), 400, "model name must match")
    assert api.upload().status_code == 201
    train_through_api(api)
    refused(
        api,
        lambda: api.client.put(
            "/models/iris/aliases/production%0A",
            json={"version": 1, "expected_version": None},
            headers=admin,
        ),
        422,
        "path.alias: String should match pattern",
    )
    refused(
        api,
        lambda: api.client.put(
            "/models/iris%0A/aliases/production",
            json={"version": 1, "expected_version": None},
            headers=admin,
        ),
        422,
        "path.model: String should match pattern",
    )
    refused(api, lambda: api.client.get("/datasets/iris%0A", headers=read), 422, "path.name")
    refused(
        api,
        lambda: api.client.post(
            "/jobs", json={"type": "train", "dataset": "iris", "job_id": "j1\n"}, headers=admin
        ),
        422,
        "job_id",
    )
    refused(
        api,
        lambda: api.client.post("/datasets/iris/retrain", json={"model": "iris\n"}, headers=admin),
        422,
        "model",
    )
    assert api.client.get("/models/iris/aliases", headers=read).json()["items"] == []


@pytest.mark.parametrize("name", ["prod\n", "prod\r\n", "\nprod", "pr\nod"])
def test_name_checks_match_the_whole_string(name: str) -> None:
    with pytest.raises(ValueError, match="alias name must match"):
        check_name("alias", name)
    with pytest.raises(ValueError, match="job id must match"):
        jobs.enqueue(None, "train", {}, job_id=name)  # type: ignore[arg-type]  # before I/O
    with pytest.raises(ValueError, match="key name must match"):
        api_keys.create(None, name, ["read"])  # type: ignore[arg-type]  # before I/O
