"""The data commands' HTTP client: the API's URL and key, and its refusals as one line.

`--url` / `MLPOC_API_URL` (default: the URL of the stack deployed from the current directory,
else http://127.0.0.1:8080) and `--api-key` / `MLPOC_API_KEY`.
An unreachable API, a missing or rejected key end with exit code 2 and what to do; any other
refusal prints the API's own message (its error shape is `{"error": {"code", "message"}}`).
"""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import typer

from adapters.ports import Page, iter_items
from runtime.cli.base import fail

DEFAULT_URL = "http://127.0.0.1:8080"
REFUSED = 1  # the API answered and said no; its message explains why

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="MLPOC_API_URL",
        help="Base URL of the mlpoc API (default: the deployed stack's, else local).",
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="MLPOC_API_KEY", help="API key (mlpoc keys create)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


class Api:
    """A thin httpx client that raises UserError with one line on any failure."""

    def __init__(self, url: str | None, api_key: str | None, *, timeout: float = 30.0) -> None:
        if not api_key:
            fail(
                "no API key: pass --api-key or set MLPOC_API_KEY "
                "(create one with `mlpoc keys create --name me --scope admin`)"
            )
        self.url = (url or default_url()).rstrip("/")
        self.client = httpx.Client(
            base_url=self.url, headers={"X-API-Key": api_key}, timeout=timeout
        )

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            fail(
                f"cannot reach the mlpoc API at {self.url} ({type(exc).__name__}): start it "
                "with `mlpoc serve`, or point --url / MLPOC_API_URL at a running one"
            )
        if response.status_code == 401:
            fail(f"the API refused the key ({_message(response)}): check --api-key / MLPOC_API_KEY")
        if response.status_code >= 400:
            fail(f"{_message(response)} (HTTP {response.status_code})", REFUSED)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def download(self, path: str) -> bytes:
        """The body of a GET as bytes (a file the API sends)."""
        response = self._send("GET", path)
        return response.content

    def status(self, path: str) -> int:
        """The status code of a GET (404 is an answer here, not an error)."""
        try:
            return self.client.get(path).status_code
        except httpx.TransportError:
            fail(f"cannot reach the mlpoc API at {self.url}: is `mlpoc serve` running?")

    def pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated listing."""

        def fetch(token: str | None) -> Page[dict[str, Any]]:
            query = {k: v for k, v in {**params, "page_token": token}.items() if v is not None}
            page = self.get(path, params=query)
            return Page(page["items"], page.get("next_token") or None)

        return list(iter_items(fetch))


def default_url() -> str:
    """The deployed stack's URL when this directory deployed one, else the local API's."""
    from runtime.cli.project import deployed_url

    return deployed_url() or DEFAULT_URL


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase
