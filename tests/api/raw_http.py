"""A hostile HTTP client over a plain socket: it sends a large body slowly enough to notice
when the server answers before the body is complete, and reports how much it had sent then.

httpx cannot do this: it sends the whole body before it reads the response. The count of
body bytes sent when the answer arrived is what shows that a server refused a request
without reading its body, with no timing assumption beyond a generous deadline.
"""

from __future__ import annotations

import selectors
import socket
import time
from dataclasses import dataclass

CHUNK = 256 * 1024


@dataclass(frozen=True)
class RawResponse:
    status: int
    head: str
    body: bytes
    body_bytes_sent: int  # of the request body, when the first response byte arrived
    seconds: float


def send(
    host: str,
    port: int,
    method: str,
    path: str,
    *,
    headers: dict[str, str],
    body_size: int,
    body_prefix: bytes = b"",
    deadline_seconds: float = 60.0,
) -> RawResponse:
    """Send `method path` declaring `Content-Length: body_size`, then `body_prefix` padded
    with zeros, until the server answers or the whole body is sent; read the answer."""
    started = time.monotonic()
    deadline = started + deadline_seconds
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f"Content-Length: {body_size}\r\nConnection: close\r\n\r\n"
    sent = 0
    # selectors (epoll), not select.select, which refuses fd numbers past 1024; one selector
    # for the whole send loop.
    with (
        socket.create_connection((host, port), timeout=deadline_seconds) as sock,
        selectors.DefaultSelector() as selector,
    ):
        sock.sendall(head.encode("latin-1"))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        zeros = b"\0" * CHUNK
        pending = b""
        while sent < body_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer after sending {sent} of {body_size} body bytes")
            events = [mask for _, mask in selector.select(timeout=min(remaining, 1.0))]
            if any(mask & selectors.EVENT_READ for mask in events):
                break
            if not any(mask & selectors.EVENT_WRITE for mask in events):
                continue
            if not pending:
                offset = sent
                pending = body_prefix[offset : offset + CHUNK] if offset < len(body_prefix) else b""
                pending = (pending + zeros)[: min(CHUNK, body_size - sent)]
            try:
                n = sock.send(pending)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server closed on us: read what it said first
            sent += n
            pending = pending[n:]
        sock.setblocking(True)
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        data = _read_response(sock)
    if not data:
        raise ConnectionError(f"the server closed without an answer after {sent} body bytes")
    raw_head, _, body = data.partition(b"\r\n\r\n")
    text = raw_head.decode("latin-1")
    status = int(text.split(" ", 2)[1])
    return RawResponse(status, text, body, sent, time.monotonic() - started)


def _read_response(sock: socket.socket) -> bytes:
    """The response's head and its Content-Length of body (or up to the close)."""
    data = b""
    while True:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            length = _content_length(data[:head_end])
            if length is not None and len(data) - head_end - 4 >= length:
                return data
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None
