"""The API behind an HTTPS front end, as `python -m runtime.api` serves it (uvicorn with
proxy headers), over loopback: forwarded headers as the platform's front end sends them.

- https_only with the front end trusted: plain HTTP is redirected (GET/HEAD) or refused,
  HTTPS answers carry HSTS, health checks pass untouched;
- the same with the front end *not* trusted: a forged X-Forwarded-Proto changes nothing;
- an origin secret: without the CDN's header nothing but a health check gets through, and a
  verified request is HTTPS even when the load balancer says http.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime.api.front_end import ORIGIN_HEADER
from tests.api.test_entrypoint import REPO, free_port
from tests.runtime.conftest import stop_process, wait_for

HSTS = "max-age=31536000; includeSubDomains"
SECRET = "a-long-secret-only-the-cdn-knows"
HTTP = {"X-Forwarded-Proto": "http"}
HTTPS = {"X-Forwarded-Proto": "https"}


def _serve(tmp_path: Path, **settings: str) -> Iterator[str]:
    """`python -m runtime.api` on the local backend with `settings` (MLPOC_<NAME>); yields
    its base URL, as a client on loopback reaches it."""
    port = free_port()
    env = {
        **os.environ,
        "MLPOC_BACKEND": "local",
        "MLPOC_DATA_DIR": str(tmp_path / "data"),
        "MLPOC_API_HOST": "127.0.0.1",
        "PORT": str(port),
        **{f"MLPOC_{name.upper()}": value for name, value in settings.items()},
    }
    log_path = tmp_path / "api.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runtime.api"],
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert proc.poll() is None, log_path.read_text()
        try:
            return httpx.get(f"{base}/healthz").status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(up, timeout=60, interval=0.2, what="the API to start")
        yield base
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(
        tmp_path_factory.mktemp("trusted"), https_only="true", forwarded_allow_ips="127.0.0.1"
    )


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(
        tmp_path_factory.mktemp("untrusted"), https_only="true", forwarded_allow_ips="10.9.8.7"
    )


@pytest.fixture(scope="module")
def behind_cdn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(
        tmp_path_factory.mktemp("cdn"),
        https_only="true",
        origin_secret=SECRET,
        forwarded_allow_ips="127.0.0.1",
    )


def _get(url: str, **headers: str) -> httpx.Response:
    return httpx.get(url, headers={"Host": "api.example.test", **headers})


def test_plain_http_get_is_redirected_to_https(trusted: str) -> None:
    response = _get(f"{trusted}/models/wine/aliases?limit=5", **HTTP)
    assert response.status_code == 301
    assert response.headers["location"] == "https://api.example.test/models/wine/aliases?limit=5"
    assert "strict-transport-security" not in response.headers  # HSTS means nothing over HTTP


def test_plain_http_head_is_redirected_too(trusted: str) -> None:
    response = httpx.head(f"{trusted}/ui/", headers={"Host": "api.example.test", **HTTP})
    assert response.status_code == 301
    assert response.headers["location"] == "https://api.example.test/ui/"


def test_plain_http_write_is_refused_not_redirected(trusted: str) -> None:
    response = httpx.post(
        f"{trusted}/datasets",
        headers={"Host": "api.example.test", **HTTP},
        content=b"anything",
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert "https://api.example.test/datasets" in error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]


def test_https_answers_carry_hsts(trusted: str) -> None:
    # Unauthenticated: the API's own 401 passes through the front-end layer with HSTS.
    response = _get(f"{trusted}/datasets", **HTTPS)
    assert response.status_code == 401
    assert response.headers["strict-transport-security"] == HSTS
    page = _get(f"{trusted}/ui/", **HTTPS)
    assert page.status_code == 200
    assert page.headers["strict-transport-security"] == HSTS


def test_health_checks_pass_over_plain_http(trusted: str) -> None:
    for path in ("/healthz", "/readyz"):
        response = _get(f"{trusted}{path}", **HTTP)
        assert response.status_code == 200, (path, response.text)
        assert "strict-transport-security" not in response.headers


def test_a_forwarded_proto_from_an_untrusted_peer_is_ignored(untrusted: str) -> None:
    # 127.0.0.1 is not in forwarded_allow_ips: its claim of https is not believed.
    response = _get(f"{untrusted}/datasets", **HTTPS)
    assert response.status_code == 301
    assert response.headers["location"] == "https://api.example.test/datasets"


def test_without_the_origin_header_only_health_checks_pass(behind_cdn: str) -> None:
    for headers in ({}, {ORIGIN_HEADER: "wrong"}, {ORIGIN_HEADER: SECRET[:-1]}):
        response = _get(f"{behind_cdn}/datasets", **HTTPS, **headers)
        assert response.status_code == 403, headers
        assert response.json()["error"]["code"] == "forbidden"
        assert SECRET not in response.text
    assert _get(f"{behind_cdn}/healthz").status_code == 200
    assert _get(f"{behind_cdn}/readyz").status_code == 200


def test_a_verified_request_is_https_whatever_the_load_balancer_says(behind_cdn: str) -> None:
    # CloudFront -> load balancer is HTTP, so the balancer forwards X-Forwarded-Proto: http;
    # CloudFront itself accepted the viewer only over HTTPS.
    response = _get(f"{behind_cdn}/datasets", **HTTP, **{ORIGIN_HEADER: SECRET})
    assert response.status_code == 401  # through to the API's own key check
    assert response.headers["strict-transport-security"] == HSTS
