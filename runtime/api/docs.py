"""Swagger UI at `/docs`, served from the installed package, never from a CDN.

The page is where users paste their API keys, so no third-party script may run on the API's
origin, and the docs must work where the API has no internet. The Swagger UI bundle, CSS
and favicon come from the pinned `fastapi-offline` package's static files, served under
`/docs/static/`; the page carries a Content-Security-Policy that allows only this origin
plus the page's one inline script (by its hash). ReDoc is not served (one docs page).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.resources
import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DOCS_PATH = "/docs"
STATIC_PATH = "/docs/static"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# Swagger UI styles its widgets inline; everything else is this origin only.
_POLICY = (
    "default-src 'none'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# What needs no API key: the page and its assets (the OpenAPI document is the app's).
PUBLIC_PATHS = (DOCS_PATH,)
PUBLIC_PREFIXES = (STATIC_PATH + "/",)


def assets_dir() -> str:
    """Where the pinned fastapi-offline package keeps the Swagger UI files."""
    return str(importlib.resources.files("fastapi_offline") / "static")


class _Assets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(_HEADERS)
        return response


@functools.lru_cache(maxsize=8)
def _page(root: str, title: str, openapi_url: str) -> tuple[bytes, str]:
    html = get_swagger_ui_html(
        openapi_url=f"{root}{openapi_url}",
        title=f"{title} - Swagger UI",
        swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui.css",
        swagger_favicon_url=f"{root}{STATIC_PATH}/favicon.png",
        # No spec validation against swagger.io's online validator.
        swagger_ui_parameters={"validatorUrl": None},
    ).body
    text = bytes(html).decode()
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(text)
    )
    return bytes(html), _POLICY.format(scripts=hashes)


def install(app: FastAPI) -> None:
    """Serve /docs and its assets (the app is made with `docs_url=None`)."""
    assert app.openapi_url is not None
    openapi_url = app.openapi_url

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        body, policy = _page(request.scope.get("root_path", ""), app.title, openapi_url)
        return HTMLResponse(body, headers={"Content-Security-Policy": policy, **_HEADERS})

    app.mount(STATIC_PATH, _Assets(directory=assets_dir()), name="docs-static")
