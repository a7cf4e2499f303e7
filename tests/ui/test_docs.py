"""/docs (Swagger UI) in headless Chromium with every request that leaves the API's origin
blocked: the page renders the operations, and the browser reports no error (a script or
style refused by the page's Content-Security-Policy would be one)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.ui import LiveApi

pytestmark = pytest.mark.slow


def test_docs_render_with_no_network_beyond_the_api(page: Any, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    origin = urlsplit(live_api.url).netloc
    elsewhere: list[str] = []

    def only_the_api(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == origin or url.startswith("data:"):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_the_api)
    page.goto(live_api.url + "/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("mlpoc")
    expect(page.locator(".opblock-summary-path", has_text="/models/{model}/predict").first)\
        .to_be_visible()  # fmt: skip
    expect(page.locator(".btn.authorize")).to_be_visible()
    assert elsewhere == []
    assert page.console_errors == []
