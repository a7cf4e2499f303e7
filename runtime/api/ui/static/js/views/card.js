// A version's model card (#/models/<model>/card/<version>) and two versions side by side
// (#/models/<model>/compare/<a>/<b>): what each was trained on, how it did on the held-out
// rows (per-class scores and a confusion-matrix heat map, or residuals), and which features
// it leans on (permutation importance bars).

import { ApiError, download, enc, get } from "../api.js";
import { importanceBars, pairedBars } from "../bars.js";
import { confusionHeatmap } from "../heatmap.js";
import { formatMetric, formatNumber, formatTime, h, replace, table } from "../dom.js";

const version = (model, n) => get(`/models/${enc(model)}/versions/${enc(n)}`);

export async function renderCard(main, model, n) {
  const v = await version(model, n);
  replace(main,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: `#/models/${enc(model)}` }, `Model ${model}`), " › ", `version ${v.version}`),
    h("section", { class: "panel card", id: "model-card", "aria-labelledby": "card-title",
      dataset: { version: v.version } },
      h("h2", { id: "card-title" }, `Model card: ${model} v${v.version}`),
      exportButton(model, v.version),
      v.card ? cardBody(v) : h("p", { class: "muted" },
        "No model card: this version was trained before cards were kept.")));
  return null;
}

// The version's artifact, card and checksums as one zip (GET …/export), to leave mlpoc with.
function exportButton(model, n) {
  const button = h("button", { type: "button", class: "secondary", id: "export-version" },
    "Download the model (zip)");
  const note = h("span", { class: "muted", id: "export-note", "aria-live": "polite" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const name = await download(`/models/${enc(model)}/versions/${enc(n)}/export`,
        `${model}-v${n}.zip`);
      note.textContent = ` Saved as ${name}.`;
    } catch (err) {
      note.textContent = ` Not exported: ${err instanceof ApiError ? err.describe() : err}`;
    } finally {
      button.disabled = false;
    }
  });
  return h("p", {}, button, note);
}

function facts(v) {
  const card = v.card || {};
  const dataset = card.dataset || v.dataset || {};
  const rows = card.rows || {};
  return [
    ["Task", card.task ?? "–"],
    ["Trained", formatTime(v.created_at)],
    ["Trainer", v.trainer.split(":").pop()],
    ["Dataset", dataset.name ? h("a", { href: `#/datasets/${enc(dataset.name)}` }, dataset.name) : "–"],
    ["Snapshot", h("code", { title: `${dataset.key ?? ""} sha256 ${dataset.sha256 ?? ""}` },
      String(dataset.sha256 ?? "").slice(0, 12) || "–")],
    ["Training rows", formatNumber(rows.training)],
    ["Held-out rows", formatNumber(rows.evaluation)],
    ["Job", v.job_id ? h("code", {}, v.job_id) : "–"],
  ];
}

function cardBody(v) {
  const card = v.card;
  const params = Object.entries(card.params || {}).sort(([a], [b]) => a.localeCompare(b));
  return [
    h("div", { class: "grid" },
      h("div", {},
        h("h3", {}, "Trained on"),
        h("dl", { class: "facts" }, facts(v).map(([k, value]) => [h("dt", {}, k), h("dd", {}, value)]))),
      h("div", {},
        h("h3", {}, "Held-out metrics"),
        table(["Metric", "Value"], Object.entries(card.metrics || {}).map(([k, value]) =>
          h("tr", {}, h("td", {}, k), h("td", { class: "num" }, formatMetric(value)))),
        { caption: "Metrics", numeric: [1] }),
        h("h3", {}, "Parameters"),
        table(["Parameter", "Value"], params.map(([k, value]) =>
          h("tr", {}, h("td", {}, k), h("td", {}, value === null ? "–" : String(value)))),
        { caption: "Parameters" }))),
    card.classification ? classification(card.classification) : null,
    card.regression ? regression(card.regression) : null,
    card.importance ? importance(card.importance) : null,
    card.note ? h("p", { class: "muted" }, card.note) : null,
  ];
}

function classification(c) {
  return h("div", { class: "grid" },
    h("figure", { class: "chart", id: "confusion-matrix" },
      h("h3", {}, "Confusion matrix"),
      confusionHeatmap(c.classes, c.confusion_matrix, { title: "Confusion matrix (held-out rows)" }),
      h("figcaption", { class: "muted" },
        "Rows: true class; columns: predicted. Shade: share of the row; numbers: held-out rows.",
        c.classes_total > c.classes.length
          ? ` The ${c.classes.length} most frequent of ${c.classes_total} classes.` : "")),
    h("div", {},
      h("h3", {}, "Per class"),
      table(["Class", "Precision", "Recall", "F1", "Support"], c.per_class.map((row) =>
        h("tr", { dataset: { class: row.class } }, h("td", {}, row.class),
          ...[row.precision, row.recall, row.f1].map((x) => h("td", { class: "num" }, formatMetric(x))),
          h("td", { class: "num" }, row.support))),
      { caption: "Precision, recall and F1 per class", numeric: [1, 2, 3, 4], id: "per-class" })));
}

function regression(r) {
  const s = r.residuals;
  const order = ["count", "mean", "std", "mae", "rmse", "min", "p05", "p25", "median", "p75", "p95", "max"];
  return h("div", { id: "residuals" },
    h("h3", {}, "Residuals (true − predicted) on the held-out rows"),
    table(order, [h("tr", {}, order.map((k) => h("td", { class: "num" }, formatNumber(s[k]))))],
      { caption: "Residual summary", numeric: order.map((_, i) => i) }),
    h("p", { class: "muted" }, "Histogram: ", r.histogram.counts.map((count, i) =>
      `${formatNumber(r.histogram.edges[i])}…${formatNumber(r.histogram.edges[i + 1])}: ${count}`).join(" · ")));
}

function importance(imp) {
  return h("figure", { class: "chart", id: "importance" },
    h("h3", {}, "Feature importance"),
    importanceBars(imp.features, { metric: imp.metric }),
    h("figcaption", { class: "muted" },
      `How much ${imp.metric} (${formatMetric(imp.baseline)} on ${imp.rows} held-out rows) drops when a ` +
      `feature's values are shuffled: mean of ${imp.repeats} shuffles, the line its spread. ` +
      `Top ${imp.features.length} of ${imp.features_total} features.`));
}

// ------------------------------------------------------------------------- comparison

function change(a, b) {
  if (typeof a !== "number" || typeof b !== "number") return a === b ? "=" : "changed";
  const d = b - a;
  if (d === 0) return "=";
  return (d > 0 ? "+" : "") + (Number.isInteger(d) ? String(d) : d.toFixed(4));
}

export async function renderCompare(main, model, first, second) {
  const versions = (await get(`/models/${enc(model)}/versions`, { limit: 1000 })).items;
  const [a, b] = await Promise.all([version(model, first), version(model, second)]);
  const pick = (id, selected) => h("select", { id },
    versions.map((v) => h("option", { value: v.version, selected: v.version === selected }, `v${v.version}`)));
  const left = pick("compare-a", a.version);
  const right = pick("compare-b", b.version);
  const go = () => { location.hash = `#/models/${enc(model)}/compare/${left.value}/${right.value}`; };
  left.addEventListener("change", go);
  right.addEventListener("change", go);
  const va = `v${a.version}`;
  const vb = `v${b.version}`;
  const ca = a.card || {};
  const cb = b.card || {};
  const rows = [];
  const add = (name, x, y, shown = (value) => value ?? "–") =>
    rows.push(h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, shown(x)), h("td", {}, shown(y)),
      h("td", { class: "num change" }, change(x, y))));
  add("Trained", a.created_at, b.created_at, formatTime);
  add("Dataset", (ca.dataset || a.dataset || {}).name, (cb.dataset || b.dataset || {}).name);
  add("Snapshot", String((a.dataset || {}).sha256 ?? "").slice(0, 12), String((b.dataset || {}).sha256 ?? "").slice(0, 12));
  add("Training rows", (ca.rows || {}).training, (cb.rows || {}).training);
  add("Held-out rows", (ca.rows || {}).evaluation, (cb.rows || {}).evaluation);
  for (const name of [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort()) {
    add(name, a.metrics[name], b.metrics[name], formatMetric);
  }
  const pa = a.params || {};
  const pb = b.params || {};
  for (const name of [...new Set([...Object.keys(pa), ...Object.keys(pb)])].sort()) {
    if (JSON.stringify(pa[name]) !== JSON.stringify(pb[name])) add(`param ${name}`, pa[name], pb[name], String);
  }
  const sides = [[a, ca, va], [b, cb, vb]];
  replace(main,
    h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
      h("a", { href: `#/models/${enc(model)}` }, `Model ${model}`), " › compare"),
    h("section", { class: "panel", id: "compare", "aria-labelledby": "compare-title" },
      h("h2", { id: "compare-title" }, `${model}: ${va} and ${vb} side by side`),
      h("div", { class: "row" },
        h("div", { class: "field" }, h("label", { for: "compare-a" }, "Version"), left),
        h("div", { class: "field" }, h("label", { for: "compare-b" }, "with"), right)),
      table(["", va, vb, "Change"], rows, { caption: "The two versions", numeric: [3], id: "compare-table" })),
    ca.classification && cb.classification ? perClassF1(ca.classification, cb.classification, va, vb) : null,
    h("div", { class: "grid compare-grid" }, sides.map(([v, card, label]) =>
      h("section", { class: "panel", "aria-label": `Version ${v.version}`, dataset: { version: v.version } },
        h("h3", {}, h("a", { href: `#/models/${enc(model)}/card/${v.version}` }, `${label} model card`)),
        card.classification
          ? confusionHeatmap(card.classification.classes, card.classification.confusion_matrix,
              { title: `Confusion matrix of ${label}` })
          : card.regression ? regression(card.regression)
            : h("p", { class: "muted" }, "No model card for this version.")))),
    ca.importance && cb.importance ? importancePair(ca.importance, cb.importance, va, vb) : null);
  return null;
}

function perClassF1(ka, kb, va, vb) {
  const fa = new Map(ka.per_class.map((c) => [c.class, c.f1]));
  const fb = new Map(kb.per_class.map((c) => [c.class, c.f1]));
  const classes = [...new Set([...ka.classes, ...kb.classes])];
  return h("section", { class: "panel", "aria-labelledby": "f1-title" },
    h("h3", { id: "f1-title" }, "F1 per class"),
    table(["Class", va, vb, "Change"], classes.map((c) => h("tr", {}, h("td", {}, c),
      h("td", { class: "num" }, formatMetric(fa.get(c))), h("td", { class: "num" }, formatMetric(fb.get(c))),
      h("td", { class: "num" }, change(fa.get(c), fb.get(c))))),
    { caption: "F1 per class", numeric: [1, 2, 3] }));
}

function importancePair(ia, ib, va, vb) {
  const a = new Map(ia.features.map((f) => [f.name, f.mean]));
  const b = new Map(ib.features.map((f) => [f.name, f.mean]));
  const names = [...new Set([...a.keys(), ...b.keys()])]
    .sort((x, y) => Math.max(b.get(y) ?? 0, a.get(y) ?? 0) - Math.max(b.get(x) ?? 0, a.get(x) ?? 0));
  return h("section", { class: "panel chart", id: "importance-compare", "aria-labelledby": "imp-title" },
    h("h3", { id: "imp-title" }, `Feature importance (drop in ${ib.metric})`),
    pairedBars(names, a, b, { labels: [va, vb], metric: ib.metric }));
}
