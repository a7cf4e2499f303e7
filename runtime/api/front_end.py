"""What the API expects of the platform's HTTPS front end, checked at the ASGI layer.

Deployed, the API sits behind a front end that terminates TLS: CloudFront in front of the
Elastic Beanstalk load balancer on AWS, Google's front end on App Engine. Two settings (off
by default, so a laptop serves plain HTTP) make the app hold up its side:

- `origin_secret`: every request must carry the CDN's secret header (`ORIGIN_HEADER`);
  anything else reached the load balancer directly and is refused with a 403. CloudFront
  sends the header only on requests it accepted over HTTPS (its viewer policy redirects plain
  HTTP itself), so a verified request is an HTTPS request whatever the load balancer behind
  it says in X-Forwarded-Proto.
- `https_only`: a plain-HTTP GET or HEAD is redirected to its https:// URL; any other
  plain-HTTP request is refused (its key has already crossed the network in clear; a client
  configured with http:// should find out, not be silently redirected); every HTTPS response
  carries Strict-Transport-Security. The scheme is the one uvicorn derived from the trusted
  proxy's X-Forwarded-Proto (`forwarded_allow_ips`) or the origin check above.

Health checks (`EXEMPT_PATHS`) pass untouched: load balancers and App Engine probe the
instance directly, over HTTP, without the CDN's header.
"""

from __future__ import annotations

import hmac
import logging

from starlette.datastructures import URL, MutableHeaders
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.api.errors import error_response

log = logging.getLogger("mlpoc.api")

ORIGIN_HEADER = "X-Origin-Verify"
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
_ORIGIN_HEADER = ORIGIN_HEADER.lower().encode("latin-1")


class FrontEnd:
    """ASGI middleware: the origin check, the HTTPS redirect and HSTS (module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        https_only: bool,
        hsts_seconds: int,
        origin_secret: str | None,
    ) -> None:
        self.app = app
        self.https_only = https_only
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds else None
        self.origin_secret = origin_secret.encode("latin-1") if origin_secret else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        if self.origin_secret is not None:
            if not self._from_origin(scope):
                response = error_response(403, "requests must come through the service's URL")
                await response(scope, receive, send)
                return
            scope = {**scope, "scheme": "https"}
        if not self.https_only:
            await self.app(scope, receive, send)
            return
        if scope["scheme"] != "https":
            url = URL(scope=scope).replace(scheme="https", port=None)
            if scope["method"] in SAFE_METHODS:
                await RedirectResponse(str(url), status_code=301)(scope, receive, send)
            else:
                response = error_response(403, f"plain HTTP is refused: use {url}")
                await response(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start" and self.hsts:
                MutableHeaders(scope=message)["Strict-Transport-Security"] = self.hsts
            await send(message)

        await self.app(scope, receive, send_with_hsts)

    def _from_origin(self, scope: Scope) -> bool:
        assert self.origin_secret is not None
        for name, value in scope["headers"]:
            if name == _ORIGIN_HEADER:
                return hmac.compare_digest(value, self.origin_secret)
        return False
