"""A request without a valid key costs the API almost nothing: it is answered 401 before a
byte of its body is read (over a real socket: the client sees the answer before it has sent
its body), and body limits hold whatever the content type."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.api.raw_http import RawResponse, send
from tests.rigs.base import Rig
from tests.support.api import Api, make_api
from tests.support.live import serving

MIB = 1024 * 1024
BOUNDARY = "b0undary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
JSON = {"Content-Type": "application/json"}
MULTIPART_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
    "Content-Type: text/csv\r\n\r\n"
).encode()
UNKNOWN_KEY = "mlpoc_0123456789ab_" + "A" * 43
MISSING = "an API key is required (X-API-Key or Authorization: Bearer)"
INVALID = "the API key is not valid (unknown, malformed or revoked)"


@pytest.fixture
def live(rig: Rig) -> Iterator[tuple[Api, str, int]]:
    made = make_api(rig)
    with made.client, serving(made.app, made.settings) as (host, port):
        yield made, host, port


def error_of(answer: RawResponse) -> dict[str, str]:
    error: dict[str, str] = json.loads(answer.body)["error"]
    return error


def test_no_valid_key_is_refused_before_the_body_is_read(live: tuple[Api, str, int]) -> None:
    api, host, port = live
    cases = [
        # 300 MB declared as a multipart form, to a JSON route, with no key at all.
        ("/models/x/predict", MULTIPART, {}, 300 * 1000 * 1000, MULTIPART_HEAD, MISSING),
        # 32 MiB of (valid) JSON to the batch route, with no key.
        ("/models/x/predict/batch", JSON, {}, 32 * MIB, b'{"rows": [', MISSING),
        # A token shaped like a key that no key matches (one DocumentStore read).
        ("/models/x/predict", MULTIPART, {"X-API-Key": UNKNOWN_KEY}, 300 * 1000 * 1000,
         MULTIPART_HEAD, INVALID),
        # A malformed bearer token (no read at all).
        ("/datasets", MULTIPART, {"Authorization": "Bearer not-a-key"}, 300 * 1000 * 1000,
         MULTIPART_HEAD, INVALID),
    ]  # fmt: skip
    for path, content_type, key, size, prefix, message in cases:
        answer = send(
            host, port, "POST", path, headers={**content_type, **key}, body_size=size,
            body_prefix=prefix,
        )  # fmt: skip
        assert answer.status == 401, (path, answer.head)
        assert error_of(answer)["message"] == message
        # The answer came while the client was still sending: the server never waited for
        # (let alone read) the body.
        assert answer.body_bytes_sent < size, (path, answer.body_bytes_sent)
    assert api.client.get("/healthz").status_code == 200


def test_limits_hold_whatever_the_content_type(live: tuple[Api, str, int]) -> None:
    api, host, port = live
    predict_key = {"X-API-Key": api.tokens["predict"]}
    limit = api.settings.max_request_bytes
    # A multipart body anywhere but the upload route: 415, before the body.
    multipart = send(
        host, port, "POST", "/models/x/predict", headers={**MULTIPART, **predict_key},
        body_size=300 * 1000 * 1000, body_prefix=MULTIPART_HEAD,
    )  # fmt: skip
    assert multipart.status == 415, multipart.head
    assert "only by the CSV routes" in error_of(multipart)["message"]
    assert multipart.body_bytes_sent < 300 * 1000 * 1000
    # JSON declared larger than the request limit: 413, before the body.
    large = send(
        host, port, "POST", "/models/x/predict/batch", headers={**JSON, **predict_key},
        body_size=32 * MIB, body_prefix=b'{"rows": [',
    )  # fmt: skip
    assert large.status == 413, large.head
    assert error_of(large)["message"] == (
        f"the request body is larger than the limit of {limit} bytes"
    )
    assert large.body_bytes_sent < 32 * MIB


def test_the_request_limit_is_a_few_mib_and_cuts_off_undeclared_bodies(api: Api) -> None:
    limit = api.settings.max_request_bytes
    assert limit <= 8 * MIB
    rows = b'{"rows": [' + b'{"a": 1},' * (limit // 9) + b'{"a": 1}]}'
    assert len(rows) > limit
    # Streamed without a Content-Length: counted while it arrives, cut off at the limit.
    response = api.client.post(
        "/models/x/predict/batch",
        content=(rows[i : i + 65536] for i in range(0, len(rows), 65536)),
        headers={**api.headers("predict"), **JSON},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["message"] == (
        f"the request body is larger than the limit of {limit} bytes"
    )


PUBLIC = ("/healthz", "/readyz", "/openapi.json", "/docs", "/docs/static/swagger-ui.css", "/ui/")


def test_every_route_but_the_public_ones_needs_a_key(api: Api) -> None:
    """Each operation of the OpenAPI document, called without a key: 401 before the route
    runs (so before validation: no 404 or 422 leaks through)."""
    operations = api.client.get("/openapi.json").json()["paths"]
    called = 0
    for template, methods in operations.items():
        path = template.format_map(_Filled())
        for method in methods:
            if template in PUBLIC:
                continue
            response = api.client.request(method.upper(), path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["message"] == MISSING
            called += 1
    assert called >= 20
    for path in PUBLIC:
        assert api.client.get(path).status_code == 200, path


class _Filled(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "1" if key == "version" else "x"


def test_multipart_elsewhere_is_415_even_when_small(api: Api) -> None:
    response = api.client.post(
        "/models/x/predict",
        files={"file": ("x.csv", b"a,b\n1,2\n", "text/csv")},
        headers=api.headers("predict"),
    )
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "unsupported_media_type"
