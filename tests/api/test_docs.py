"""/docs is served from the package: its HTML names no other host, its assets are served here
without a key, and a Content-Security-Policy admits only this origin and the page's own
inline script. (tests/ui/test_docs.py renders it in a browser with no network.)"""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from tests.support.api import Api


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value or "" for name, value in attrs if name in ("src", "href")]
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def test_docs_use_only_this_origin(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200
    parsed = _Links()
    parsed.feed(page.text)
    assert len(parsed.urls) >= 3, parsed.urls  # the bundle, the CSS, the icon
    for url in parsed.urls:
        assert url.startswith("/") and not url.startswith("//"), url
    assert not re.search(r"https?://", page.text), "the page names another host"
    assert "'/openapi.json'" in page.text
    for url in parsed.urls:
        asset = api.client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
    bundle = api.client.get("/docs/static/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"]
    assert "SwaggerUIBundle" in bundle.text

    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy
    [inline] = parsed.scripts
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert api.client.get("/redoc").status_code in (401, 404)
