"""Browser-test fixtures: the API (uvicorn in a thread) and a worker (in a thread) on a fresh
local backend, Debian's headless Chromium driven by Playwright, and a screenshot of the page
whenever a test fails.

Chromium comes from the Debian packages `chromium` and `chromium-driver` (/usr/bin/chromium);
Playwright's own browser download cannot work on this machine, so it is never used. A missing
browser fails the tests with the command that installs it, rather than skipping them.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from adapters import Settings, build_adapters
from runtime import api_keys
from runtime.api import create_app
from runtime.api.settings import ApiSettings
from runtime.config import RuntimeSettings
from runtime.schema import COLLECTIONS
from runtime.worker import Worker
from tests.support.env import FAST
from tests.support.live import serving
from tests.support.ui import ARTIFACTS, LiveApi

CHROMIUM = os.environ.get("MLPOC_CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = "install it with: apt-get update && apt-get install -y chromium chromium-driver"
# What a headless Chromium needs on this closed network: without the background-networking
# flags it keeps trying to reach Google's hosts. Playwright adds a fresh, empty
# --user-data-dir of its own at every launch.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """The API on a free loopback port and one worker, over a fresh local data dir."""
    backend = Settings(backend="local", data_dir=tmp_path_factory.mktemp("ui-data"))
    settings = ApiSettings(serving_check_seconds=0.2, api_key_cache_seconds=0)
    adapters = build_adapters(COLLECTIONS, backend)
    _, key = api_keys.create(adapters.documents, "ui-admin", ["admin"])
    worker = Worker(
        build_adapters(COLLECTIONS, backend),
        RuntimeSettings(**FAST, batch_predict_after_train=True),
    )
    worker_thread = threading.Thread(target=worker.run, name="ui-worker", daemon=True)
    worker_thread.start()
    try:
        with serving(create_app(settings, adapters), settings) as (host, port):
            yield LiveApi(f"http://{host}:{port}", key, adapters, settings)
    finally:
        worker.stop()
        worker_thread.join(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        found = shutil.which("chromium")
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM}"
            + (f" (a chromium is at {found}: set MLPOC_CHROMIUM)" if found else "")
            + f"; {INSTALL_HINT}",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the browser tests need the Python package playwright (pip install "
            "playwright==1.65.2); never `playwright install`: the system Chromium is used",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (empty sessionStorage) and page; console errors collected."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Actions and assertions alike wait up to 15 s: Playwright's 5 s default for `expect`
    # is lost on a busy machine. Assertions still pass as soon as the page shows the text.
    context.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    page = context.new_page()
    page.console_errors = []
    # A failed fetch logs only "Failed to load resource": the location names the URL.
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(f"{message.text} ({message.location.get('url', '')})")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failure, save what the browser showed and name the file in the report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if not report.failed or report.when not in ("setup", "call"):
        return
    page = getattr(item, "funcargs", {}).get("page")
    if page is None:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    # A parameter such as "#/jobs" would make sub-directories: keep the name one file's.
    path = ARTIFACTS / ("failed-" + re.sub(r"[^\w.\[\]-]+", "_", item.name) + ".png")
    try:
        page.screenshot(path=str(path), full_page=True)
        text = f"screenshot of the page at the failure: {path}"
    except Exception as exc:
        text = f"could not take a screenshot: {exc}"
    errors = getattr(page, "console_errors", [])
    if errors:
        text += "\nbrowser console errors:\n" + "\n".join(errors)
    report.sections.append(("browser", text))
