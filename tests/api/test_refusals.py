"""Hostile and mistaken requests: each is refused with the right status and a message that
says why, in the one error shape, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from runtime import api_keys
from runtime.api.errors import MISCONFIGURED_MESSAGE
from runtime.schema import COLLECTIONS
from tests.rigs.base import Rig
from tests.support.api import Api, make_api


def refused(
    api: Api, send: Callable[[], httpx.Response], status: int, message: str
) -> dict[str, Any]:
    """Send, and check the status, the message (a substring), the error shape, the request
    id, and that the stored state did not change."""
    before = api.stored()
    response = send()
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "request_id"}
    assert message in body["error"]["message"], body["error"]["message"]
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]
    assert api.stored() == before
    return dict(body["error"])


def test_oversized_upload_is_413(rig: Rig) -> None:
    made = make_api(rig, max_upload_bytes=2000)
    with made.client:
        error = refused(made, lambda: made.upload(), 413, "larger than the limit of 2000 bytes")
        assert error["code"] == "payload_too_large"
        # A client that does not declare its length is cut off while streaming.
        chunks = [b"x" * 1000] * 100

        def streamed() -> httpx.Response:
            return made.client.post(
                "/datasets",
                content=iter(chunks),
                headers={**made.headers(), "Content-Type": "multipart/form-data; boundary=b"},
            )

        refused(made, streamed, 413, "larger than the limit")


@pytest.mark.parametrize(
    ("data", "fields", "message"),
    [
        (b"a,b,target\n1,2\n", {}, "line 2: 2 fields, but the header has 3"),
        (b"a,b\n1,2\n", {}, "the target column 'target' is not in the header"),
        (b"\xff\xfe,a\n", {}, "not UTF-8 text"),
        (b"a,target\n1\x00,2\n", {}, "line 2: a NUL byte"),
        (b'a,target\n1,2\n"x\x00y",3\n', {}, "line 3: a NUL byte"),
        (b"", {}, "the file is empty"),
        (b"a,target\n", {}, "no data rows"),
        (b"a,a,target\n1,2,3\n", {}, "column names repeat"),
        (b'a,target\n"1,2\n', {}, "not valid CSV"),
        (b"id,target\nx,1\nx,2\n", {"id_column": "id"}, "record id 'x' repeats"),
        (b"id,target\n,1\n", {"id_column": "id"}, "the id column 'id' is empty"),
        (b"id,target\na/b,1\n", {"id_column": "id"}, "must not contain '/'"),
        (b"a,target\n1,2\n", {"name": "bad name"}, "dataset name must match"),
        (b"a,target\n1,2\n", {"id_column": "nope"}, "id column 'nope' is not in the header"),
    ],
)
def test_malformed_csv_is_400(api: Api, data: bytes, fields: dict[str, str], message: str) -> None:
    form = {"name": "bad", "id_column": "", **fields}
    error = refused(api, lambda: api.upload(data, **form), 400, message)
    assert error["code"] == "bad_request"


def test_wrong_types_are_415_and_422(api: Api) -> None:
    assert api.upload().status_code == 201
    admin = api.headers()
    refused(
        api,
        lambda: api.client.post("/datasets", json={"name": "x"}, headers=admin),
        415,
        "upload a multipart/form-data form",
    )
    refused(
        api,
        lambda: api.client.post(
            "/datasets", files={"other": ("a.csv", b"a\n1\n")}, data={"name": "x"}, headers=admin
        ),
        422,
        "needs a `file` part",
    )
    refused(
        api,
        lambda: api.client.put(
            "/datasets/iris/records/r001/label", json={"label": {"a": 1}}, headers=admin
        ),
        422,
        "label",
    )
    refused(
        api,
        lambda: api.client.put(
            "/datasets/iris/records/r001/label",
            content=b'{"label": ',
            headers={**admin, "Content-Type": "application/json"},
        ),
        422,
        "JSON",
    )
    refused(
        api,
        lambda: api.client.put(
            "/datasets/iris/records/r001/label", json={"label": "NaN"}, headers=admin
        ),
        422,
        "not read as missing",
    )
    refused(
        api,
        lambda: api.client.post("/jobs", json={"type": "deploy", "dataset": "iris"}, headers=admin),
        422,
        "type",
    )
    refused(
        api,
        lambda: api.client.put(
            "/models/iris/aliases/production", json={"version": "two"}, headers=admin
        ),
        422,
        "version",
    )
    refused(
        api,
        lambda: api.client.post("/models/iris/predict", json={"rows": [1, 2]}, headers=admin),
        422,
        "row",
    )


def test_unauthorized_is_401_and_403(api: Api) -> None:
    upload = {"files": {"file": ("a.csv", b"a,target\n1,2\n")}, "data": {"name": "x"}}

    def post(headers: dict[str, str]) -> Callable[[], httpx.Response]:
        return lambda: api.client.post("/datasets", headers=headers, **upload)

    error = refused(api, post({}), 401, "an API key is required")
    assert error["code"] == "unauthorized"
    refused(api, post({"X-API-Key": "mlpoc_nonsense"}), 401, "not valid")
    forged = api.tokens["admin"][:-4] + "AAAA"
    refused(api, post({"Authorization": f"Bearer {forged}"}), 401, "not valid")
    error = refused(api, post(api.headers("read")), 403, "lacks the 'admin' scope")
    assert error["code"] == "forbidden"
    refused(
        api,
        lambda: api.client.post(
            "/models/iris/predict", json={"row": {}}, headers=api.headers("read")
        ),
        403,
        "lacks the 'predict' scope",
    )
    refused(api, lambda: api.client.get("/metrics"), 401, "an API key is required")

    key_id = api.tokens["admin"].split("_")[1]
    api_keys.revoke(api.adapters.documents, key_id)
    refused(api, post(api.headers()), 401, "not valid")


def test_batch_limits_are_413(rig: Rig) -> None:
    made = make_api(rig, max_batch_rows=2)
    with made.client:
        refused(
            made,
            lambda: made.client.post(
                "/models/iris/predict/batch", json={"rows": [{}, {}, {}]}, headers=made.headers()
            ),
            413,
            "at most 2 rows per batch",
        )
        refused(
            made,
            lambda: made.client.post(
                "/datasets/iris/predictions/lookup",
                content=json.dumps({"record_ids": ["a", "b", "c"]}),
                headers={**made.headers(), "Content-Type": "application/json"},
            ),
            413,
            "at most 2 record ids",
        )


def test_unknown_routes_and_methods_use_the_error_shape(api: Api) -> None:
    missing = api.client.get("/nowhere", headers=api.headers())
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = api.client.delete("/healthz")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/jobs", "GET, POST"),
        ("DELETE", "/models/x/aliases/y", "GET, PUT"),
        ("PATCH", "/datasets", "GET, POST"),
        ("GET", "/models/x/predict", "POST"),
        ("DELETE", "/healthz", "GET"),
    ],
)
def test_405_allows_every_method_of_the_path(
    api: Api, method: str, path: str, allowed: str
) -> None:
    """Two routes on one path (a read and a write, on different scopes' routers) are one
    resource: its 405 names both methods, not only the first route's."""
    response = api.client.request(method, path, headers=api.headers())
    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == allowed
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_oversized_json_body_is_413(rig: Rig) -> None:
    made = make_api(rig, max_request_bytes=1000)
    with made.client:
        assert made.upload().status_code == 201  # uploads have their own, larger limit
        labels = {"labels": [{"record_id": f"r{i:03d}", "label": "1"} for i in range(100)]}
        body = json.dumps(labels).encode()
        headers = {**made.headers(), "Content-Type": "application/json"}
        declared = refused(
            made,
            lambda: made.client.post("/datasets/iris/labels", content=body, headers=headers),
            413,
            "the request body is larger than the limit of 1000 bytes",
        )
        assert declared["code"] == "payload_too_large"
        # Without a Content-Length (chunked), the body is cut off as it streams in.
        refused(
            made,
            lambda: made.client.post(
                "/datasets/iris/labels",
                content=iter([body[:600], body[600:]]),
                headers=headers,
            ),
            413,
            "larger than the limit of 1000 bytes",
        )


def test_a_denied_backend_is_a_503_misconfigured_not_a_500(rig: Rig) -> None:
    """The backend refuses the API's identity every write (the same fault on every backend:
    adapters.errors): a clear 503 that names no resource, and nothing half-written."""
    identities = rig.identities(COLLECTIONS)
    made = make_api(rig, identities=identities)
    with made.client:
        listed = made.client.get("/datasets", headers=made.headers("read"))
        assert listed.status_code == 200, listed.text  # reads are allowed
        error = refused(made, lambda: made.upload(), 503, MISCONFIGURED_MESSAGE)
        assert error["code"] == "misconfigured"
        assert identities.settings.bucket is not None
        assert identities.settings.bucket not in error["message"]
