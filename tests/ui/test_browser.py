"""The web UI in headless Chromium against the API on the local backend: the whole loop a
non-engineer would click through, and a wrong key."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.data import iris_csv
from tests.support.ui import ARTIFACTS, LiveApi

pytestmark = pytest.mark.slow
TO_LABEL = 20
UNLABELLED = 30  # records uploaded without a label; 20 get one through the keyboard
SPECIES = ("setosa", "versicolor", "virginica")


def _upload_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """Iris with species names as labels and the label removed from some records; their true
    labels on the side."""
    rows = list(csv.DictReader(io.StringIO(iris_csv().decode())))
    for row in rows:
        row["target"] = SPECIES[int(row["target"])]
    truth: dict[str, str] = {}
    for row in rows[::5][:UNLABELLED]:
        truth[row["record_id"]] = row["target"]
        row["target"] = ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "iris-ui.csv"
    path.write_text(out.getvalue())
    return path, truth


def _sign_in(page: Any, live_api: LiveApi, key: str) -> None:
    page.goto(live_api.url + "/ui/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def _go(page: Any, section: str) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=section).click()


def _confirm(page: Any) -> None:
    dialog = page.locator("dialog#confirm")
    from playwright.sync_api import expect

    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=re.compile("Promote|Roll back")).click()
    expect(dialog).to_be_hidden()


def _retrain(page: Any, version: int) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Retrain").click()
    status = page.locator("#job-status")
    expect(status.locator(".badge.succeeded")).to_be_visible(timeout=60_000)
    expect(status).to_contain_text(f"version {version}")
    expect(status).to_contain_text("accuracy")


def test_label_retrain_promote_predict(page: Any, live_api: LiveApi, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    csv_path, truth = _upload_file(tmp_path)
    _sign_in(page, live_api, live_api.key)
    expect(page.get_by_role("navigation", name="Sections")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('mlpoc.apiKey')") == live_api.key
    assert page.evaluate("localStorage.length") == 0

    # Upload.
    page.get_by_label("CSV file").set_input_files(str(csv_path))
    page.get_by_label("Dataset name").fill("iris")
    page.get_by_label("Target (label) column").fill("target")
    page.get_by_label("Record id column").fill("record_id")
    page.get_by_role("button", name="Upload").click()
    detail = page.locator("#dataset-detail")
    expect(detail).to_contain_text("150 rows, 120 labelled")
    expect(detail.get_by_role("cell", name="petal_size")).to_be_visible()
    counts = detail.get_by_role("table", name="Label counts")
    expect(counts.locator("tbody tr")).to_have_count(3)

    # A first model on the uploaded labels, promoted to production.
    _go(page, "Labeling")
    expect(page.locator("#progress-text")).to_have_text("120 / 150 labelled")
    _retrain(page, 1)
    _go(page, "Models")
    chart = page.locator("#metric-chart svg")
    expect(chart).to_have_attribute("data-points", "1")
    page.locator("button.promote[data-version='1']").click()
    _confirm(page)
    expect(page.locator("tr[data-alias='production'] .alias-version")).to_have_text("v1")

    # Label 20 records with the keyboard (after trying skip and undo).
    _go(page, "Labeling")
    record_id = page.locator("#record-id")
    expect(record_id).to_be_visible()
    candidates = page.locator(".candidates button").evaluate_all(
        "buttons => buttons.map(b => b.dataset.label)"
    )
    assert candidates == list(SPECIES)
    first = record_id.inner_text()
    page.keyboard.press("s")
    expect(record_id).not_to_have_text(first)
    page.keyboard.press("u")
    expect(record_id).to_have_text(first)
    labelled: dict[str, str] = {}
    for _ in range(TO_LABEL):
        current = record_id.inner_text()
        label = truth[current]
        page.keyboard.press(str(candidates.index(label) + 1))
        expect(record_id).not_to_have_text(current)
        labelled[current] = label
    expect(page.locator("#progress-text")).to_have_text(f"{120 + TO_LABEL} / 150 labelled")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "labeling.png"), full_page=True)
    # Every label reached the API, as the signed-in key, the moment it was chosen.
    stored = {
        r["record_id"]: r for r in live_api.get("/datasets/iris/records", limit=1000)["items"]
    }
    for rid, label in labelled.items():
        assert str(stored[rid]["label"]) == label
        assert stored[rid]["labelled_by"] == "ui-admin"

    # The table view: one of the still unlabelled records labelled from its row's picker.
    page.get_by_role("button", name="Table").click()
    page.get_by_label("Only records without a label").check()
    first_row = page.locator("#records-table[data-unlabelled='true'] tbody tr").first
    expect(first_row).to_be_visible()
    table_id = first_row.get_attribute("data-record")
    assert table_id in truth and table_id not in labelled
    first_row.get_by_label(f"Label of record {table_id}").select_option(truth[table_id])
    expect(first_row).to_contain_text("saved")
    expect(page.locator("#progress-text")).to_have_text(f"{121 + TO_LABEL} / 150 labelled")
    record = live_api.get("/datasets/iris/records", limit=1000)["items"]
    assert {r["record_id"]: r["label"] for r in record}[table_id] == truth[table_id]
    page.get_by_role("button", name="One at a time").click()

    # Retrain on the new labels: version 2 appears, the chart gains a point.
    _retrain(page, 2)
    _go(page, "Models")
    expect(chart).to_have_attribute("data-points", "2")
    expect(page.locator("#metric-chart circle[data-version='2']")).to_have_count(1)
    versions = live_api.get("/models/iris/versions")["items"]
    accuracy = next(v for v in versions if v["version"] == 2)["metrics"]["accuracy"]
    expect(page.locator("tr[data-version='2']")).to_contain_text(f"{accuracy:.4f}")

    # Promote version 2, after confirming.
    page.locator("button.promote[data-version='2']").click()
    _confirm(page)
    expect(page.locator("tr[data-alias='production'] .alias-version")).to_have_text("v2")
    page.screenshot(path=str(ARTIFACTS / "models.png"), full_page=True)
    assert live_api.get("/models/iris/aliases/production")["version"] == 2

    # A prediction from the generated form is served by the new version.
    _go(page, "Predictions")
    form = page.locator("#predict-form")
    expect(page.get_by_label("Served by")).to_contain_text("production (v2)")
    for name, value in {
        "sepal length (cm)": "5.1",
        "sepal width (cm)": "3.5",
        "petal length (cm)": "1.4",
        "petal width (cm)": "0.2",
    }.items():
        form.get_by_label(name).fill(value)
    form.get_by_label("petal_size").select_option("small")
    form.get_by_label("colour").select_option("red")
    form.get_by_role("button", name="Predict").click()
    expect(page.locator("#predict-version")).to_have_text("iris version 2")
    expect(page.locator("#predict-value")).to_have_text("setosa")
    page.screenshot(path=str(ARTIFACTS / "predict.png"), full_page=True)

    # A pre-computed prediction (the worker scores the dataset after each training).
    some_id = next(iter(labelled))
    page.get_by_label("Record id").fill(some_id)
    page.get_by_role("button", name="Look up").click()
    expect(page.locator("#lookup-result")).to_contain_text(f"Record {some_id}")

    # Roll back, after confirming: production returns to version 1.
    _go(page, "Models")
    page.get_by_role("button", name="Roll back to v1").click()
    _confirm(page)
    expect(page.locator("tr[data-alias='production'] .alias-version")).to_have_text("v1")
    assert page.console_errors == []


def test_wrong_key_shows_an_error(page: Any, live_api: LiveApi) -> None:
    from playwright.sync_api import expect

    _sign_in(page, live_api, "mlpoc_not-a-real-key")
    error = page.locator("#signin-error")
    expect(error).to_contain_text("Sign-in failed")
    expect(error).to_contain_text("not valid")
    expect(page.get_by_role("navigation", name="Sections")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('mlpoc.apiKey')") is None


def test_static_files_load_without_a_key_and_data_needs_one(live_api: LiveApi) -> None:
    index = httpx.get(live_api.url + "/ui/", timeout=10)
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in index.headers["content-security-policy"]
    module = httpx.get(live_api.url + "/ui/js/main.js", timeout=10)
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    bare = httpx.get(live_api.url + "/ui", timeout=10)
    assert bare.status_code in (301, 302, 307, 308)
    assert bare.headers["location"].endswith("/ui/")
    refused = httpx.get(live_api.url + "/datasets", timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
