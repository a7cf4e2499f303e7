"""The HTTP server's own limits, from the API settings: a slow client cannot hold a
connection open by dribbling its headers, idle keep-alive connections are closed, and
beyond the concurrency limit the server answers 503 at once."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator

from tests.rigs.base import Rig
from tests.support.api import make_api
from tests.support.live import serving

DEADLINE = 15.0  # >= 10x every timeout set below


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def closed_by_server(sock: socket.socket, *, drip: bytes = b"", deadline: float = DEADLINE) -> bool:
    """Whether the server closes `sock` within `deadline`, sending `drip` a byte at a time
    meanwhile (each byte would reset a naive idle timer)."""
    sock.settimeout(0.2)
    end = time.monotonic() + deadline
    pending = drip
    while time.monotonic() < end:
        try:
            if pending:
                sock.send(pending[:1])
                pending = pending[1:] or drip
            data = sock.recv(4096)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True
        if data == b"":
            return True
    return False


@contextlib.contextmanager
def connected(host: str, port: int) -> Iterator[socket.socket]:
    with socket.create_connection((host, port), timeout=5) as sock:
        yield sock


def test_headers_must_arrive_within_the_header_timeout(local_rig: Rig) -> None:
    made = make_api(local_rig, api_header_timeout_seconds=0.5, api_keep_alive_seconds=1)
    with made.client, serving(made.app, made.settings) as (host, port):
        # Half a request head, then nothing.
        with connected(host, port) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            assert closed_by_server(sock)
        # A header dribbled a byte at a time: every byte is data, none completes the head.
        with connected(host, port) as sock:
            assert closed_by_server(sock, drip=b"X-Slow: " + b"a" * 10_000)
        # A complete request is answered, and the idle connection closed after keep-alive.
        with connected(host, port) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
            assert closed_by_server(sock)


def test_beyond_the_concurrency_limit_the_answer_is_503(local_rig: Rig) -> None:
    made = make_api(local_rig, api_max_concurrency=2)
    with made.client, serving(made.app, made.settings) as (host, port):
        with connected(host, port), connected(host, port), connected(host, port) as third:
            third.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            third.settimeout(DEADLINE)
            answer = read_until_closed(third)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), answer
        headers = dict(line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:])
        assert headers["content-type"] == "application/json"
        # The API's one error shape, with the request id it also sends as a header.
        assert json.loads(body) == {
            "error": {
                "code": "unavailable",
                "message": "the API is at its limit of concurrent requests; retry shortly",
                "request_id": headers["x-request-id"],
            }
        }
        with connected(host, port) as alone:
            alone.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            alone.settimeout(DEADLINE)
            assert alone.recv(4096).startswith(b"HTTP/1.1 200")
