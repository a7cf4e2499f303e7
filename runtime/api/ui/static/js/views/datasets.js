// Datasets: the list, a CSV upload form, and one dataset's columns and label counts.

import { ApiError, enc, get, getAll, request } from "../api.js";
import { announce, badge, field, flashAfterNavigation, formatNumber, h, replace, table } from "../dom.js";

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
  const d = await get(`/datasets/${enc(name)}`);
  const counts = Object.entries(d.label_counts || {}).sort((a, b) => b[1] - a[1]);
  return h("section", { class: "panel", "aria-labelledby": "dataset-title", id: "dataset-detail" },
    h("h2", { id: "dataset-title" }, `Dataset ${d.name}`),
    h("p", {},
      `${d.rows} rows, ${d.labelled} labelled; target `, h("code", {}, d.target ?? "none"),
      `, record id `, h("code", {}, d.id_column ?? "(row number)"), `, model `,
      h("a", { href: `#/models/${enc(d.model)}` }, d.model), ". ",
      h("a", { href: `#/label/${enc(d.name)}` }, "Label its records")),
    h("div", { class: "grid" },
      h("div", {},
        h("h3", {}, "Columns"),
        table(["Column", "Kind", "Missing"],
          d.columns.map((c) => h("tr", {}, h("td", {}, c.name), h("td", {}, c.kind),
            h("td", { class: "num" }, c.missing))),
          { caption: "Columns", numeric: [2] })),
      h("div", {},
        h("h3", {}, "Label counts"),
        counts.length
          ? table(["Label", "Records"],
              counts.map(([label, n]) => h("tr", {}, h("td", {}, label),
                h("td", { class: "num" }, formatNumber(n)))),
              { caption: "Label counts", numeric: [1] })
          : h("p", { class: "muted" }, d.label_counts ? "No labels yet." : "Too many distinct labels to count."))));
}

function uploadForm() {
  const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv", required: true });
  const name = h("input", { type: "text", name: "name", required: true,
    pattern: "[A-Za-z0-9][A-Za-z0-9_.\\-]{0,99}" });
  const target = h("input", { type: "text", name: "target" });
  const idColumn = h("input", { type: "text", name: "id_column" });
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
