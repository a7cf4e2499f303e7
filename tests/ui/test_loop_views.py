"""The web UI's labeling loop at its best, in headless Chromium against the live API: the
model's suggestions least confident first with 30 features on screen, the model card (and
its export) and two versions compared, the jobs page, the predict form filled from a record,
a dataset's statistics, first rows and deletion, times in the reader's locale, and nothing
wider than a 420 px screen. Screenshots go to tests/ui/artifacts/ (git-ignored)."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.data import species_csv
from tests.support.ui import ARTIFACTS, LiveApi

pytestmark = pytest.mark.slow
NAMES = ("malignant", "benign")


def cancer_csv() -> tuple[bytes, set[str]]:
    """scikit-learn's breast cancer data (30 features) with named labels, every 5th blank."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    frame.insert(0, "record_id", [f"bc-{i:03d}" for i in range(len(frame))])
    frame["target"] = [NAMES[int(v)] for v in frame["target"]]
    blank = set(frame["record_id"][::5])
    frame.loc[frame["record_id"].isin(blank), "target"] = ""
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode(), blank


@pytest.fixture(scope="module")
def cancer(live_api: LiveApi) -> set[str]:
    """Uploaded, v1 trained and promoted, the dataset scored by it: the blank record ids."""
    data, blank = cancer_csv()
    live_api.upload("cancer", data, target="target", id_column="record_id")
    trained = live_api.train("cancer", estimator="linear")
    live_api.promote("cancer", trained["version"])
    return blank


@pytest.fixture(scope="module")
def flowers(live_api: LiveApi) -> None:
    """Iris with species names: v1 linear, v2 boosting."""
    data, _ = species_csv()
    live_api.upload("flowers", data, target="target", id_column="record_id")
    live_api.train("flowers", estimator="linear")
    live_api.train("flowers")


def _sign_in(page: Any, live_api: LiveApi, where: str = "") -> None:
    page.goto(live_api.url + "/ui/" + where)
    page.get_by_label("API key").fill(live_api.key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Sections").wait_for()


def _in_view(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    viewport = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


# The elements that stick out of the window (the innermost first), to name the culprit.
WIDER = """() => {
  const limit = document.documentElement.clientWidth;
  return [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
    .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > limit + 0.5))
    .slice(0, 5)
    .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className?.baseVal ?? e.className}`);
}"""


def _no_sideways_scroll(page: Any, where: str = "") -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (
        f"{where or 'the page'} is {widths[0]} px wide in a {widths[1]} px window: "
        f"{page.evaluate(WIDER)}"
    )


def _shown(value: float) -> str:
    """A data value as the UI writes it: at most 4 decimals, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _uncertainty_order(live_api: LiveApi, dataset: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        query = {"unlabelled": "true", "order": "uncertainty", "limit": 1000}
        page = live_api.get(
            f"/datasets/{dataset}/records", **query, **({"page_token": token} if token else {})
        )
        items += page["items"]
        token = page["next_token"]
        if not token:
            return items


def test_suggestions_come_least_confident_first_with_the_buttons_in_view(
    page: Any, live_api: LiveApi, cancer: set[str]
) -> None:
    from playwright.sync_api import expect

    expected = _uncertainty_order(live_api, "cancer")
    assert {r["record_id"] for r in expected} == cancer
    _sign_in(page, live_api, "#/label/cancer")
    expect(page.locator("#label-order")).to_have_value("uncertainty")
    expect(page.locator("#label-task")).to_have_text("classification")
    expect(page.locator("#label-set")).to_have_text("benign, malignant")
    record_id = page.locator("#record-id")
    suggestion = page.locator("#suggestion")

    # The first records are the API's least confident ones, each with its suggestion.
    shown: list[tuple[str, str, int]] = []
    for i in range(5):
        expect(record_id).to_have_text(expected[i]["record_id"])
        expect(suggestion).to_be_visible()
        label = page.locator("#suggested-label").inner_text()
        confidence = int(re.search(r"(\d+)% confident", suggestion.inner_text()).group(1))
        shown.append((record_id.inner_text(), label, confidence))
        assert label == str(expected[i]["suggestion"]["value"])
        assert confidence == round(expected[i]["suggestion"]["confidence"] * 100)
        expect(page.locator(".candidates button.suggested")).to_have_attribute("data-label", label)
        if i < 4:
            page.keyboard.press("s")
    assert [c for *_, c in shown] == sorted(c for *_, c in shown)
    assert "(production)" in suggestion.inner_text()

    # 30 features on screen, and the label buttons in view, before and after scrolling.
    assert page.locator(".record-values > div").count() == 30
    buttons = page.locator(".candidates button")
    assert buttons.count() == 2
    for i in range(2):
        assert _in_view(page, buttons.nth(i))
    assert _in_view(page, page.locator("#accept-suggestion"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "labeling-suggestion.png"))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 100")
    for i in range(2):
        assert _in_view(page, buttons.nth(i)), "the label buttons scrolled away"

    # `a` accepts the suggestion: stored as the signed-in key's label, counted at once.
    before = live_api.get("/datasets/cancer")
    current, label, _ = shown[-1]
    page.keyboard.press("a")
    expect(record_id).not_to_have_text(current)
    stored = live_api.get(f"/datasets/cancer/records/{current}")
    assert (stored["label"], stored["labelled_by"]) == (label, "ui-admin")
    labelled = before["labelled"] + 1
    assert live_api.get("/datasets/cancer")["labelled"] == labelled
    expect(page.locator("#progress-text")).to_have_text(f"{labelled} / {before['rows']} labelled")

    # A label outside the set is refused unless added on purpose, after a confirmation.
    target = record_id.inner_text()
    page.get_by_text("A label not in the set…").click()
    page.get_by_label("New label").fill("unsure")
    page.get_by_role("button", name="Add…").click()
    dialog = page.locator("dialog#confirm")
    expect(dialog).to_contain_text("not in cancer's label set")
    dialog.get_by_role("button", name="Add class").click()
    expect(record_id).not_to_have_text(target)
    expect(page.locator("#label-set")).to_have_text("benign, malignant, unsure")
    assert live_api.get(f"/datasets/cancer/records/{target}")["label"] == "unsure"
    assert "unsure" in live_api.get("/datasets/cancer")["classes"]

    # The table view: the label picker is the first column, and stays put sideways.
    page.get_by_role("button", name="Table").click()
    first = page.locator("#records-table thead th").first
    expect(first).to_have_text("Label")
    assert first.evaluate("th => getComputedStyle(th).position") == "sticky"
    row = page.locator("#records-table tbody tr").first
    expect(row.locator("td").first.locator("select")).to_be_visible()
    assert page.console_errors == []


def test_label_buttons_stay_in_view_on_a_420px_screen(
    page: Any, live_api: LiveApi, cancer: set[str]
) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 420, "height": 860})
    _sign_in(page, live_api, "#/label/cancer")
    expect(page.locator("#suggestion")).to_be_visible()
    buttons = page.locator(".candidates button")
    expect(buttons.first).to_be_visible()
    for i in range(buttons.count()):
        assert _in_view(page, buttons.nth(i))
    _no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "labeling-420px.png"))
    assert page.console_errors == []


def test_model_card_and_two_versions_side_by_side(
    page: Any, live_api: LiveApi, flowers: None, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    v2 = live_api.get("/models/flowers/versions/2")
    card = v2["card"]
    _sign_in(page, live_api, "#/models/flowers")
    page.get_by_role("link", name="Card of version 2").click()
    expect(page.locator("#card-title")).to_have_text("Model card: flowers v2")
    heatmap = page.locator("#confusion-matrix svg")
    expect(heatmap).to_have_attribute("data-classes", "3")
    classes = card["classification"]["classes"]
    for i, true in enumerate(classes):
        for j, predicted in enumerate(classes):
            cell = heatmap.locator(f"rect[data-true='{true}'][data-predicted='{predicted}']")
            expect(cell).to_have_attribute(
                "data-count", str(card["classification"]["confusion_matrix"][i][j])
            )
    bars = page.locator("#importance svg rect.bar")
    expect(bars).to_have_count(len(card["importance"]["features"]))
    top = card["importance"]["features"][0]
    expect(bars.first).to_have_attribute("data-feature", top["name"])
    per_class = page.locator("#per-class tbody tr")
    expect(per_class).to_have_count(3)
    f1 = card["classification"]["per_class"][0]["f1"]
    expect(per_class.first).to_contain_text(f"{f1:.4f}")
    expect(page.locator("#model-card")).to_contain_text(f"{card['rows']['training']}")
    page.screenshot(path=str(ARTIFACTS / "model-card.png"), full_page=True)

    # The export, fetched with the key and saved by the browser: the card and the artifact.
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download the model (zip)").click()
    saved = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(saved)
    assert saved.name == "flowers-v2.zip"
    with zipfile.ZipFile(saved) as archive:
        saved_card = json.loads(archive.read("card.json"))
        assert saved_card["classification"] == card["classification"]
        assert saved_card["importance"]["features"] == card["importance"]["features"]
        sums = archive.read("SHA256SUMS").decode()
        artifact = next(n for n in archive.namelist() if n.startswith("model."))
        assert hashlib.sha256(archive.read(artifact)).hexdigest() == v2["artifact"]["sha256"]
        assert f"  {artifact}\n" in sums
    expect(page.locator("#export-note")).to_contain_text("Saved as flowers-v2.zip")

    page.get_by_role("link", name="Model flowers").click()
    page.get_by_label("Compare").select_option("1")
    page.get_by_label("with").select_option("2")
    page.get_by_role("button", name="Compare").click()
    compare = page.locator("#compare")
    expect(compare).to_contain_text("flowers: v1 and v2 side by side")
    v1 = live_api.get("/models/flowers/versions/1")
    accuracy = page.locator("#compare-table tr", has_text="accuracy")
    expect(accuracy).to_contain_text(f"{v1['metrics']['accuracy']:.4f}")
    expect(accuracy).to_contain_text(f"{v2['metrics']['accuracy']:.4f}")
    expect(page.locator("#compare-table tr", has_text="param estimator")).to_contain_text("linear")
    expect(page.locator(".compare-grid svg.heatmap")).to_have_count(2)
    expect(page.locator("#importance-compare rect[data-series='v1']")).not_to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "model-compare.png"), full_page=True)
    assert page.console_errors == []


def test_jobs_page_is_live_and_shows_failures(page: Any, live_api: LiveApi, flowers: None) -> None:
    from playwright.sync_api import expect

    failing = live_api.call(
        # Enqueued (the params are valid), then a failure no retry cures: the trainer's own.
        "POST",
        "/jobs",
        json={"type": "train", "dataset": "flowers", "params": {"categorical": ["bogus"]}},
    )
    _sign_in(page, live_api, "#/jobs")
    row = page.locator(f"#jobs-table tr[data-job='{failing['id']}']")
    expect(row).to_have_attribute("data-state", "failed", timeout=60_000)
    expect(row.locator(".job-error")).to_contain_text("bogus")
    attempts = live_api.get(f"/jobs/{failing['id']}")["attempts"]
    assert attempts == 1  # not retried
    expect(row.locator("td").nth(3)).to_have_text(str(attempts))
    expect(row.get_by_role("link", name="flowers")).to_have_attribute("href", "#/datasets/flowers")

    # A job enqueued while the page is open appears and finishes without a reload.
    started = live_api.call(
        "POST", "/datasets/flowers/retrain", json={"params": {"estimator": "linear"}}
    )
    fresh = page.locator(f"#jobs-table tr[data-job='{started['id']}']")
    expect(fresh).to_be_visible(timeout=20_000)
    expect(fresh).to_have_attribute("data-state", "succeeded", timeout=90_000)
    expect(fresh).to_contain_text("trained flowers v")
    ran = fresh.locator("td").nth(7).inner_text()
    assert re.fullmatch(r"\d+ ms|\d+\.\d s|\d+ min \d\d s", ran), ran
    page.screenshot(path=str(ARTIFACTS / "jobs.png"), full_page=True)
    assert page.console_errors == []


def test_predict_form_filled_from_a_record_id(page: Any, live_api: LiveApi, flowers: None) -> None:
    from playwright.sync_api import expect

    record = live_api.get("/datasets/flowers/records/r017")
    _sign_in(page, live_api, "#/predict/flowers")
    form = page.locator("#predict-form")
    form.get_by_label("Fill from a stored record").fill("r017")
    form.get_by_role("button", name="Fill").click()
    expect(page.locator("#fill-note")).to_contain_text("Filled from record r017")
    for name in ("sepal length (cm)", "petal width (cm)"):
        expect(form.get_by_label(name)).to_have_value(record["values"][name])
    expect(form.get_by_label("colour")).to_have_value(record["values"]["colour"])
    # Each number field says the range its dataset's column holds (the API's statistics).
    stats = {c["name"]: c for c in live_api.get("/datasets/flowers/stats")["columns"]}
    width = stats["petal width (cm)"]
    expect(form.locator("label", has=page.get_by_text("petal width (cm)"))).to_contain_text(
        f"{_shown(width['min'])} to {_shown(width['max'])}, mean {_shown(width['mean'])}"
    )
    form.get_by_role("button", name="Predict").click()
    expect(page.locator("#predict-value")).to_have_text(re.compile(r"setosa|versicolor|virginica"))
    assert page.console_errors == []
    form.get_by_label("Fill from a stored record").fill("nope")
    form.get_by_role("button", name="Fill").click()
    expect(page.locator("#fill-note")).to_contain_text("No record nope in flowers")
    # The browser logs the API's 404 for the unknown record; nothing else went wrong.
    assert [e for e in page.console_errors if "status of 404" not in e] == []


def test_dataset_page_shows_statistics_and_first_rows_and_deletes_after_confirming(
    page: Any, live_api: LiveApi, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    data, blank = species_csv(blank_every=3)
    # Stated as regression through the form, species names are refused and nothing is kept.
    path = tmp_path / "doomed.csv"
    path.write_bytes(data)
    _sign_in(page, live_api, "#/datasets")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_label("Target (label) column").fill("target")
    page.get_by_label("Record id column").fill("record_id")
    page.get_by_label("Task").select_option("regression")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert").filter(has_text="Upload failed")).to_contain_text(
        "is not a number"
    )
    missing = httpx.get(
        f"{live_api.url}/datasets/doomed", headers={"X-API-Key": live_api.key}, timeout=10
    )
    assert missing.status_code == 404
    # The browser logs the refused upload (a 400); nothing else went wrong.
    assert [e for e in page.console_errors if not e.endswith("/datasets)")] == []
    page.console_errors.clear()

    live_api.upload("doomed", data, target="target", id_column="record_id")
    stats = {c["name"]: c for c in live_api.get("/datasets/doomed/stats")["columns"]}
    first = live_api.get("/datasets/doomed/preview", rows=10)["items"]
    page.goto(live_api.url + "/ui/#/datasets/doomed")
    expect(page.locator("#dataset-detail")).to_contain_text("target target (classification)")
    columns = page.locator("#column-stats tbody tr")
    expect(columns).to_have_count(len(stats))
    length = stats["sepal length (cm)"]
    expect(page.locator("#column-stats tr[data-column='sepal length (cm)']")).to_contain_text(
        f"{_shown(length['min'])} to {_shown(length['max'])}, mean {_shown(length['mean'])}"
    )
    colour = page.locator("#column-stats tr[data-column='colour']")
    expect(colour.locator("td").nth(2)).to_have_text(str(stats["colour"]["missing"]))
    top = stats["colour"]["top"][0]
    expect(colour).to_contain_text(f"{top['value']} ({top['count']})")
    rows = page.locator("#preview tbody tr")
    expect(rows).to_have_count(10)
    shown = rows.evaluate_all("rows => rows.map(r => r.dataset.record)")
    assert shown == [r["record_id"] for r in first]
    assert first[0]["record_id"] in blank  # file order: row 0 is blank, row 1 labelled
    expect(rows.nth(0).locator("td").first).to_have_text("\u2013")  # an en dash: no label
    expect(rows.nth(1).locator("td").first).to_have_text(str(first[1]["label"]))
    page.screenshot(path=str(ARTIFACTS / "dataset.png"), full_page=True)

    # Delete asks first; cancelling keeps everything.
    page.get_by_role("button", name="Delete doomed…").click()
    dialog = page.locator("dialog#confirm")
    expect(dialog).to_contain_text("Its 150 records")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert live_api.get("/datasets/doomed")["rows"] == 150
    page.get_by_role("button", name="Delete doomed…").click()
    dialog.get_by_role("button", name="Delete dataset").click()
    expect(page.locator("#flash")).to_contain_text("Deleted doomed: 150 records")
    expect(page.locator("tr[data-name='doomed']")).to_have_count(0)
    expect(page.locator("main[data-route='datasets']")).to_be_visible()
    gone = httpx.get(
        f"{live_api.url}/datasets/doomed", headers={"X-API-Key": live_api.key}, timeout=10
    )
    assert gone.status_code == 404
    assert page.console_errors == []


@pytest.fixture
def tokyo_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="de-DE", timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def test_times_are_shown_in_the_readers_locale(
    tokyo_page: Any, live_api: LiveApi, flowers: None
) -> None:
    from playwright.sync_api import expect

    page = tokyo_page
    created = live_api.get("/models/flowers/versions/1")["created_at"]
    _sign_in(page, live_api, "#/models/flowers")
    cell = page.locator("tr[data-version='1'] time")
    expect(cell).to_have_attribute("datetime", created)
    when = datetime.fromisoformat(created).astimezone(timezone(timedelta(hours=9)))
    text = cell.inner_text()
    assert when.strftime("%d.%m.%Y") in text and when.strftime("%H:%M:%S") in text, text


VIEWS = ("#/datasets/flowers", "#/label/flowers", "#/models/flowers", "#/models/flowers/card/2",
         "#/models/flowers/compare/1/2", "#/jobs", "#/predict/flowers")  # fmt: skip


def test_no_view_is_wider_than_420px(page: Any, live_api: LiveApi, flowers: None) -> None:
    """Every view in one page (one sign-in): each route rendered, then measured."""
    page.set_viewport_size({"width": 420, "height": 900})
    _sign_in(page, live_api)
    for where in VIEWS:
        page.goto(live_api.url + "/ui/" + where)
        page.locator(f"main[data-route='{where[2:]}'] .panel").first.wait_for()
        _no_sideways_scroll(page, where)
    assert page.console_errors == []
