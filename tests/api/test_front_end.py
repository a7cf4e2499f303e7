"""The API behind an HTTPS front end, served by uvicorn as deployed (runtime.api.server: proxy
headers believed from MLPOC_FORWARDED_ALLOW_IPS only) over loopback, with forwarded headers
as the platform's front end sends them:

- https_only with the front end trusted: plain HTTP is redirected (GET/HEAD) or refused,
  HTTPS answers carry HSTS, health checks pass untouched;
- the same with the front end *not* trusted: a forged X-Forwarded-Proto changes nothing;
- an origin secret: without the CDN's header nothing but a health check gets through, and a
  verified request is HTTPS even when the load balancer says http.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from runtime.api.front_end import ORIGIN_HEADER
from tests.rigs.base import Rig
from tests.support.api import Api, make_api
from tests.support.live import serving

HSTS = "max-age=31536000; includeSubDomains"
SECRET = "a-long-secret-only-the-cdn-knows"
HTTP = {"X-Forwarded-Proto": "http"}
HTTPS = {"X-Forwarded-Proto": "https"}


@contextmanager
def _served(rig: Rig, **settings: Any) -> Iterator[tuple[str, Api]]:
    made = make_api(rig, **settings)
    with made.client, serving(made.app, made.settings) as (host, port):
        yield f"http://{host}:{port}", made


@pytest.fixture(scope="module")
def trusted(local_rig: Rig) -> Iterator[tuple[str, Api]]:
    with _served(local_rig, https_only=True, forwarded_allow_ips="127.0.0.1") as served:
        yield served


@pytest.fixture(scope="module")
def untrusted(local_rig: Rig) -> Iterator[tuple[str, Api]]:
    with _served(local_rig, https_only=True, forwarded_allow_ips="10.9.8.7") as served:
        yield served


@pytest.fixture(scope="module")
def behind_cdn(local_rig: Rig) -> Iterator[tuple[str, Api]]:
    with _served(
        local_rig, https_only=True, origin_secret=SECRET, forwarded_allow_ips="127.0.0.1"
    ) as served:
        yield served


def _get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers={"Host": "api.example.test", **headers})


def test_plain_http_get_is_redirected_to_https(trusted: tuple[str, Api]) -> None:
    url, _ = trusted
    response = _get(f"{url}/models/wine/aliases?limit=5", **HTTP)
    assert response.status_code == 301
    assert response.headers["location"] == "https://api.example.test/models/wine/aliases?limit=5"
    assert "strict-transport-security" not in response.headers  # HSTS means nothing over HTTP


def test_plain_http_head_is_redirected_too(trusted: tuple[str, Api]) -> None:
    url, _ = trusted
    response = httpx.head(f"{url}/ui/", headers={"Host": "api.example.test", **HTTP})
    assert response.status_code == 301
    assert response.headers["location"] == "https://api.example.test/ui/"


def test_plain_http_write_is_refused_not_redirected(trusted: tuple[str, Api]) -> None:
    url, _ = trusted
    response = httpx.post(
        f"{url}/datasets",
        headers={"Host": "api.example.test", **HTTP},
        content=b"anything",
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert "https://api.example.test/datasets" in error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_https_answers_carry_hsts(trusted: tuple[str, Api]) -> None:
    url, api = trusted
    response = _get(f"{url}/datasets", **HTTPS, **api.headers("read"))
    assert response.status_code == 200, response.text
    assert response.headers["strict-transport-security"] == HSTS
    # A refusal by the key check (inside the front-end layer) carries it too.
    refused = _get(f"{url}/datasets", **HTTPS)
    assert refused.status_code == 401
    assert refused.headers["strict-transport-security"] == HSTS
    page = _get(f"{url}/ui/", **HTTPS)
    assert page.status_code == 200
    assert page.headers["strict-transport-security"] == HSTS


def test_health_checks_pass_over_plain_http(trusted: tuple[str, Api]) -> None:
    url, _ = trusted
    for path in ("/healthz", "/readyz"):
        response = _get(f"{url}{path}", **HTTP)
        assert response.status_code == 200, (path, response.text)
        assert "strict-transport-security" not in response.headers


def test_a_forwarded_proto_from_an_untrusted_peer_is_ignored(untrusted: tuple[str, Api]) -> None:
    url, _ = untrusted
    # 127.0.0.1 is not in forwarded_allow_ips: its claim of https is not believed.
    response = _get(f"{url}/datasets", **HTTPS)
    assert response.status_code == 301
    assert response.headers["location"] == "https://api.example.test/datasets"


def test_without_the_origin_header_only_health_checks_pass(
    behind_cdn: tuple[str, Api],
) -> None:
    url, api = behind_cdn
    for headers in ({}, {ORIGIN_HEADER: "wrong"}, {ORIGIN_HEADER: SECRET[:-1]}):
        response = _get(f"{url}/datasets", **HTTPS, **api.headers("read"), **headers)
        assert response.status_code == 403, headers
        assert response.json()["error"]["code"] == "forbidden"
        assert SECRET not in response.text
    assert _get(f"{url}/healthz").status_code == 200
    assert _get(f"{url}/readyz").status_code == 200


def test_a_verified_request_is_https_whatever_the_load_balancer_says(
    behind_cdn: tuple[str, Api],
) -> None:
    url, api = behind_cdn
    # CloudFront -> load balancer is HTTP, so the balancer forwards X-Forwarded-Proto: http;
    # CloudFront itself accepted the viewer only over HTTPS.
    headers = {**HTTP, ORIGIN_HEADER: SECRET, **api.headers("read")}
    response = _get(f"{url}/datasets", **headers)
    assert response.status_code == 200, response.text
    assert response.headers["strict-transport-security"] == HSTS


def test_off_by_default(local_rig: Rig) -> None:
    with _served(local_rig) as (url, api):
        response = _get(f"{url}/datasets", **HTTP, **api.headers("read"))
        assert response.status_code == 200
        assert "strict-transport-security" not in response.headers
