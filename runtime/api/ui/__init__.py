"""The web UI at `/ui`: static HTML, CSS and ES modules shipped as package data, no build
step. The files load without an API key (they hold no data); every data call the page makes
sends the key the user signed in with, so the API's own auth guards the data."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
MOUNT_PATH = "/ui"
# The UI's files need no API key (they hold no data).
PUBLIC_PATHS = (MOUNT_PATH,)
PUBLIC_PREFIXES = (MOUNT_PATH + "/",)
# Only the page's own files and same-origin API calls: a label or a CSV cell that somehow
# reached the DOM as markup still could not load or run anything.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The modules change with the installed package; revalidate rather than run stale ones.
    "Cache-Control": "no-cache",
}


class UiFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def install(app: FastAPI) -> None:
    """Serve the UI at /ui/ (index.html for the directory itself)."""
    app.mount(MOUNT_PATH, UiFiles(directory=STATIC_DIR, html=True), name="ui")
