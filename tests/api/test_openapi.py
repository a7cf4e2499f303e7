"""The published OpenAPI document is as strict as the API: a value its schema allows, the
API takes, and a value it forbids, the API refuses (path names, labels, a model named by
alias and version at once, batch sizes), so a client generated from it never sends what is
refused. tests/api/test_schemathesis.py checks the same over every operation, at random."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jsonschema_rs
import pytest

from runtime.names import JOB_ID_PATTERN, NAME_PATTERN
from tests.rigs.base import Rig
from tests.support.api import Api, make_api, train_through_api

PATH_RULES = {
    "name": {"pattern": NAME_PATTERN},
    "model": {"pattern": NAME_PATTERN},
    "alias": {"pattern": NAME_PATTERN},
    "job_id": {"pattern": JOB_ID_PATTERN},
    "version": {"minimum": 1},
    "record_id": {"minLength": 1},
}


def document(api: Api) -> dict[str, Any]:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def allows(doc: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    """Whether `schema` (which may $ref the document's components) allows `value`, regexes
    read as JSON Schema says (ECMAScript: `$` is the end, not "before a final newline")."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return bool(
        jsonschema_rs.validator_for({**root, "components": doc["components"]}).is_valid(value)
    )


def parameter(doc: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        p for p in doc["paths"][path][method]["parameters"] if p["name"] == name
    )
    return found


def body_schema(doc: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["paths"][path][method]["requestBody"]["content"][
        "application/json"
    ]["schema"]
    return schema


def test_every_path_parameter_carries_its_rule(api: Api) -> None:
    doc = document(api)
    seen = set()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                if param["in"] != "path":
                    continue
                rule = PATH_RULES.get(param["name"])
                assert rule is not None, f"{method} {path}: {param['name']} has no known rule"
                assert rule.items() <= param["schema"].items(), (method, path, param)
                seen.add(param["name"])
    assert seen == set(PATH_RULES)


@pytest.mark.parametrize("name", ["iris", "a.b-c_1", "xss\n", "a b", "-x", "x" * 101, "é"])
def test_a_name_in_a_path_is_refused_exactly_when_the_schema_forbids_it(
    api: Api, name: str
) -> None:
    doc = document(api)
    schema = parameter(doc, "/models/{model}/aliases/{alias}", "get", "alias")["schema"]
    path = "/models/iris/aliases/" + quote(name, safe="")
    response = api.client.get(path, headers=api.headers("read"))
    assert response.status_code in (404, 422), response.text
    assert (response.status_code != 422) == allows(doc, schema, name), response.text


@pytest.mark.parametrize(
    "label",
    ["setosa", 3, 0.5, True, "", "   ", "\u3000", "\x1c", "NA", "null", "x" * 1001, " a "],
)
def test_a_label_is_refused_exactly_when_the_schema_forbids_it(api: Api, label: Any) -> None:
    assert api.upload().status_code == 201
    doc = document(api)
    schema = body_schema(doc, "/datasets/{name}/records/{record_id}/label", "put")
    response = api.client.put(
        "/datasets/iris/records/r000/label",
        json={"label": label, "new_class": True},  # the label set is data, not schema
        headers=api.headers(),
    )
    assert response.status_code in (200, 400, 422), response.text
    assert (response.status_code == 200) == allows(
        doc, schema, {"label": label, "new_class": True}
    ), response.text


def test_a_model_named_by_alias_and_version_at_once_is_refused_by_the_schema(
    api: Api,
) -> None:
    doc = document(api)
    for path in ("/models/{model}/predict", "/models/{model}/predict/batch"):
        params = doc["paths"][path]["post"]["parameters"]
        queries = [p for p in params if p["in"] == "query"]
        assert len(queries) == 1 and queries[0]["style"] == "form" and queries[0]["explode"]
        schema = queries[0]["schema"]
        assert allows(doc, schema, {"alias": "staging"}) and allows(doc, schema, {"version": 2})
        assert allows(doc, schema, {})
        assert not allows(doc, schema, {"alias": "staging", "version": 2})
        assert not allows(doc, schema, {"version": 0})
    jobs = body_schema(doc, "/jobs", "post")
    both = {"type": "batch_predict", "dataset": "iris", "model": "iris"}
    assert allows(doc, jobs, {**both, "alias": "production"})
    assert allows(doc, jobs, {**both, "alias": "production", "version": None})
    assert not allows(doc, jobs, {**both, "alias": "production", "version": 1})
    # ... and the API refuses what the schema forbids.
    assert api.upload().status_code == 201
    train_through_api(api)
    refused = api.client.post(
        "/models/iris/predict?alias=production&version=1",
        json={"row": {}},
        headers=api.headers("predict"),
    )
    assert refused.status_code == 400, refused.text
    assert "name an alias or a version, not both" in refused.text
    job = api.client.post(
        "/jobs", json={**both, "alias": "production", "version": 1}, headers=api.headers()
    )
    assert job.status_code == 400 and "not both" in job.text


def test_batch_limits_are_the_settings(local_rig: Rig) -> None:
    made = make_api(local_rig, max_batch_rows=3)
    with made.client:
        doc = document(made)
        schemas = doc["components"]["schemas"]
        assert schemas["BatchPredictIn"]["properties"]["rows"]["maxItems"] == 3
        assert schemas["LookupIn"]["properties"]["record_ids"]["maxItems"] == 3
        assert schemas["BulkLabelsIn"]["properties"]["labels"]["maxItems"] == 3
        assert "x-max-items-setting" not in str(doc)
