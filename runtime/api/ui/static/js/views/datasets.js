// Datasets: the list, a CSV upload form, and one dataset: its facts, per-column statistics,
// label counts, its first rows (labels as stored now) and, after a confirmation, deletion.

import { ApiError, enc, get, getAll, request } from "../api.js";
import {
  announce, badge, confirmDialog, field, flash, flashAfterNavigation, formatNumber, formatValue, h,
  replace, table,
} from "../dom.js";

const PREVIEW_ROWS = 10;

export async function render(main, name) {
  const items = await getAll("/datasets");
  const list = h("section", { class: "panel", "aria-labelledby": "datasets-title" },
    h("h2", { id: "datasets-title" }, "Datasets"),
    items.length
      ? table(
          ["Name", "Status", "Rows", "Labelled", "Model", "Open"],
          items.map((d) =>
            h("tr", { class: d.name === name ? "selected" : null, dataset: { name: d.name } },
              h("td", {}, h("a", { href: `#/datasets/${enc(d.name)}` }, d.name)),
              h("td", {}, badge(d.status)),
              h("td", { class: "num" }, d.rows),
              h("td", { class: "num" }, d.labelled),
              h("td", {}, d.model),
              h("td", {},
                h("a", { href: `#/label/${enc(d.name)}` }, "Label"), " · ",
                h("a", { href: `#/models/${enc(d.model)}` }, "Models")))),
          { caption: "Datasets", numeric: [2, 3] },
        )
      : h("p", { class: "muted" }, "No datasets yet: upload a CSV below."));
  const detail = name ? await describe(name) : null;
  replace(main, h("div", { class: "grid" }, list, uploadForm()), detail);
}

async function describe(name) {
  const [d, stats, preview] = await Promise.all([
    get(`/datasets/${enc(name)}`),
    get(`/datasets/${enc(name)}/stats`),
    get(`/datasets/${enc(name)}/preview`, { rows: PREVIEW_ROWS }),
  ]);
  const counts = Object.entries(d.label_counts || {}).sort((a, b) => b[1] - a[1]);
  return h("section", { class: "panel", "aria-labelledby": "dataset-title", id: "dataset-detail" },
    h("h2", { id: "dataset-title" }, `Dataset ${d.name}`),
    h("p", {},
      `${d.rows} rows, ${d.labelled} labelled; target `, h("code", {}, d.target ?? "none"),
      d.task ? ` (${d.task})` : "",
      `, record id `, h("code", {}, d.id_column ?? "(row number)"), `, model `,
      h("a", { href: `#/models/${enc(d.model)}` }, d.model), ". ",
      h("a", { href: `#/label/${enc(d.name)}` }, "Label its records")),
    h("div", { class: "grid" },
      h("div", {}, h("h3", {}, "Columns"), columnTable(stats)),
      h("div", {},
        h("h3", {}, "Label counts"),
        counts.length
          ? table(["Label", "Records"],
              counts.map(([label, n]) => h("tr", {}, h("td", {}, label),
                h("td", { class: "num" }, formatNumber(n)))),
              { caption: "Label counts", numeric: [1] })
          : h("p", { class: "muted" }, d.label_counts ? "No labels yet." : "Too many distinct labels to count."))),
    h("h3", {}, `First ${preview.items.length} rows`),
    previewTable(d, preview.items),
    deleteBox(d));
}

// One row per column of the file (the target's are the label counts): missing values, then
// the range and mean of a number column or the most frequent values of any other.
function columnTable(stats) {
  const rows = stats.columns.map((c) => {
    let summary;
    if (c.kind === "numeric") {
      summary = `${formatValue(c.min)} to ${formatValue(c.max)}, mean ${formatValue(c.mean)}`;
    } else if (c.kind === "categorical") {
      const top = c.top.map((t) => `${t.value} (${t.count})`).join(", ");
      summary = `${c.distinct ?? "over 10000"} distinct; ${top}`;
    } else {
      summary = "every value missing";
    }
    return h("tr", { dataset: { column: c.name } }, h("td", {}, c.name), h("td", {}, c.kind),
      h("td", { class: "num" }, formatNumber(c.missing)), h("td", { class: "summary" }, summary));
  });
  return table(["Column", "Kind", "Missing", "Values"], rows,
    { caption: "Column statistics", numeric: [2], id: "column-stats" });
}

// The first records in file order, the label (as stored now) first, as in the labeling table.
function previewTable(d, items) {
  if (!items.length) return h("p", { class: "muted" }, "No rows.");
  const columns = d.columns.map((c) => c.name).filter((c) => c !== d.target && c !== d.id_column);
  const rows = items.map((r) => h("tr", { dataset: { record: r.record_id } },
    h("td", {}, r.label === null ? h("span", { class: "muted" }, "–") : String(r.label)),
    h("td", {}, r.record_id),
    columns.map((c) => h("td", {}, r.values[c] ?? ""))));
  return h("div", { id: "preview", class: "sticky-first" },
    table(["Label", "Record", ...columns], rows, { caption: `First rows of ${d.name}` }));
}

// Deleting needs an admin key: the API says so if this one is not.
function deleteBox(d) {
  const button = h("button", { type: "button", class: "danger", id: "delete-dataset" },
    `Delete ${d.name}…`);
  button.addEventListener("click", async () => {
    const sure = await confirmDialog(`Delete dataset ${d.name}?`,
      `Its ${d.rows} records, their labels and stored predictions, and its files go. ` +
      `Model ${d.model}'s versions and their artifacts stay (and the data they were trained on).`,
      "Delete dataset");
    if (!sure) return;
    button.disabled = true;
    try {
      const gone = await request("DELETE", `/datasets/${enc(d.name)}`);
      announce(`deleted ${d.name}`);
      flashAfterNavigation(`Deleted ${gone.name}: ${gone.records} records, ` +
        `${gone.predictions} stored predictions.`);
      location.hash = "#/datasets";
    } catch (err) {
      flash(`Not deleted: ${err instanceof ApiError ? err.describe() : err}`);
      button.disabled = false;
    }
  });
  return h("div", { class: "danger-zone" }, button);
}

function uploadForm() {
  const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv", required: true });
  const name = h("input", { type: "text", name: "name", required: true,
    pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,99}" });
  const target = h("input", { type: "text", name: "target" });
  const idColumn = h("input", { type: "text", name: "id_column" });
  const task = h("select", { name: "task" },
    h("option", { value: "" }, "infer from the target"),
    h("option", { value: "classification" }, "classification"),
    h("option", { value: "regression" }, "regression"));
  const unlabelled = h("input", { type: "checkbox", name: "unlabelled", id: "upload-unlabelled" });
  const error = h("p", { class: "error", role: "alert" });
  const button = h("button", { type: "submit" }, "Upload");
  file.addEventListener("change", () => {
    if (!name.value && file.files[0]) {
      name.value = file.files[0].name.replace(/\.csv$/i, "").replace(/[^A-Za-z0-9_.-]/g, "-");
    }
  });
  const form = h("form", { class: "panel", "aria-labelledby": "upload-title" },
    h("h2", { id: "upload-title" }, "Upload a CSV"),
    field("CSV file", file),
    field("Dataset name", name, "letters, digits, . _ -"),
    field("Target (label) column", target, "optional"),
    field("Record id column", idColumn, "optional; else the row number"),
    field("Task", task, "integers with few values are classes"),
    h("div", { class: "field check" }, unlabelled,
      h("label", { for: "upload-unlabelled" }, " The file has no target column yet (label from scratch)")),
    error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const data = new FormData();
    data.append("file", file.files[0]);
    data.append("name", name.value.trim());
    if (target.value.trim()) data.append("target", target.value.trim());
    if (idColumn.value.trim()) data.append("id_column", idColumn.value.trim());
    if (task.value) data.append("task", task.value);
    if (unlabelled.checked) data.append("unlabelled", "true");
    button.disabled = true;
    try {
      const created = await request("POST", "/datasets", { form: data });
      announce(`uploaded ${created.name}`);
      flashAfterNavigation(
        `Uploaded ${created.name}: ${created.rows} rows, ${created.labelled} labelled.`);
      location.hash = `#/datasets/${enc(created.name)}`;
    } catch (err) {
      error.textContent = `Upload failed: ${err instanceof ApiError ? err.describe() : err}`;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
