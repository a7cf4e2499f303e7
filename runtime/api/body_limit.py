"""Request body limits, as plain ASGI, whatever the content type.

Every request body is capped at `default_bytes`, except on the routes given their own
(the CSV upload and append; a route path may name parameters, `/datasets/{name}/rows`). A
multipart body is accepted only on those routes: on any other route it is a 415 before a
byte is read (where no route serves the request, the app's 404 or 405 reads none of it
either). A declared Content-Length over the cap is a 413 before a byte is read; a body that
streams past the cap is cut off there and answered 413.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.api.errors import error_response


def _path_pattern(path: str) -> re.Pattern[str]:
    """A route path as a pattern: each `{parameter}` matches one path segment."""
    parts = re.split(r"\{[^}/]+\}", path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))


@dataclass(frozen=True)
class Allowance:
    """What one route may receive."""

    max_bytes: int
    multipart: bool = False


class _TooLarge(Exception):
    pass


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        default_bytes: int,
        routes: Mapping[tuple[str, str], Allowance] | None = None,
        serves: Callable[[str, str], bool] = lambda method, path: True,
    ) -> None:
        """`serves(method, path)`: whether a route of the app answers that request."""
        self.app = app
        self.default = Allowance(default_bytes)
        self.routes = [(method, _path_pattern(path), allowance)
                       for (method, path), allowance in (routes or {}).items()]  # fmt: skip
        self.serves = serves

    def allowance(self, method: str, path: str) -> Allowance:
        for route_method, pattern, allowance in self.routes:
            if route_method == method and pattern.fullmatch(path):
                return allowance
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowance = self.allowance(scope["method"], scope["path"])
        limit = allowance.max_bytes
        length, content_type = None, b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"content-type":
                content_type = value.lower()
        if (
            content_type.startswith(b"multipart/")
            and not allowance.multipart
            and self.serves(scope["method"], scope["path"])
        ):
            await error_response(
                415,
                "multipart bodies are accepted only by the CSV routes "
                "(POST /datasets, POST /datasets/{name}/rows)",
            )(scope, receive, send)
            return
        if length is not None and length.isdigit() and int(length) > limit:
            await _too_large(limit)(scope, receive, send)
            return

        received = 0
        cut_off = False
        response_started = False

        async def counted_receive() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if cut_off and not response_started:
                return  # the app's answer to a truncated body is replaced by the 413
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counted_receive, guarded_send)
        if cut_off and not response_started:
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> ASGIApp:
    # Built only when needed: rendering it for every request cost more than the check.
    return error_response(413, f"the request body is larger than the limit of {limit} bytes")
