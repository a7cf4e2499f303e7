// Models: versions with metrics, a chart of the main metric across versions, where each
// alias points, promote (compare-and-swap) and rollback, each behind a confirmation.

import { ApiError, enc, get, getAll, request } from "../api.js";
import { metricChart } from "../chart.js";
import {
  announce, confirmDialog, field, flash, formatMetric, formatTime, h, replace, table,
} from "../dom.js";
import { renderCard, renderCompare } from "./card.js";

// Aliases the UI always offers to move; any other alias the model has is listed too.
export const ALIASES = ["production", "staging"];
const PREFERRED_METRICS = ["accuracy", "f1_macro", "r2", "rmse"];

export async function modelNames() {
  const all = await getAll("/datasets");
  return [...new Set(all.map((d) => d.model))].sort();
}

// name -> {alias, version, previous}, from the API's alias listing.
export async function aliasesOf(model) {
  const { items } = await get(`/models/${enc(model)}/aliases`);
  return new Map(items.map((a) => [a.alias, a]));
}

export function aliasNames(aliases) {
  return [...new Set([...ALIASES, ...aliases.keys()])];
}

export async function render(main, model, rest = []) {
  if (model && rest[0] === "card" && rest[1]) return renderCard(main, model, rest[1]);
  if (model && rest[0] === "compare" && rest[1] && rest[2]) {
    return renderCompare(main, model, rest[1], rest[2]);
  }
  const names = await modelNames();
  if (!model && names.length) model = names[0];
  if (!model) {
    replace(main, h("section", { class: "panel" }, h("h2", {}, "Models"),
      h("p", { class: "muted" }, "No models yet: upload a dataset and retrain.")));
    return null;
  }
  const picker = h("select", { id: "model-picker" },
    (names.includes(model) ? names : [...names, model]).map((m) =>
      h("option", { value: m, selected: m === model }, m)));
  picker.addEventListener("change", () => { location.hash = `#/models/${enc(picker.value)}`; });
  const content = h("div", {});
  const refresh = h("button", { type: "button", class: "secondary", id: "models-refresh",
    onclick: () => show(content, model) }, "Refresh");
  replace(main,
    h("section", { class: "panel", "aria-labelledby": "models-title" },
      h("h2", { id: "models-title" }, `Model ${model}`),
      h("div", { class: "row" }, field("Model", picker), h("div", { class: "field" }, refresh))),
    content);
  await show(content, model);
  return null;
}

async function show(content, model, metric) {
  const [versions, aliases] = await Promise.all([
    getAll(`/models/${enc(model)}/versions`),
    aliasesOf(model),
  ]);
  const byVersion = new Map();
  for (const [alias, a] of aliases) {
    byVersion.set(a.version, [...(byVersion.get(a.version) || []), alias]);
  }
  const metricNames = [...new Set(versions.flatMap((v) => Object.keys(v.metrics)))];
  metricNames.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  metric = metricNames.includes(metric) ? metric : metricNames[0];

  const metricPicker = h("select", { id: "metric-picker" },
    metricNames.map((m) => h("option", { value: m, selected: m === metric }, m)));
  metricPicker.addEventListener("change", () => show(content, model, metricPicker.value));
  const aliasPicker = h("select", { id: "promote-alias" },
    aliasNames(aliases).map((a) => h("option", { value: a }, a)));

  const points = [...versions].reverse().map((v) => ({ version: v.version, value: v.metrics[metric] }));
  const chart = h("figure", { class: "chart", id: "metric-chart" },
    metricChart(metric || "metric", points, { marked: byVersion }),
    h("figcaption", { class: "muted" },
      `${metric || "No metric"} of each version (from the API's version list); `,
      "labels mark the versions aliases point to."));

  const rows = versions.map((v) => h("tr", { dataset: { version: v.version } },
    h("td", { class: "num" }, `v${v.version}`),
    metricNames.map((m) => h("td", { class: "num" }, formatMetric(v.metrics[m]))),
    h("td", {}, (byVersion.get(v.version) || []).join(", ")),
    h("td", {}, formatTime(v.created_at)),
    h("td", {}, h("a", { href: `#/models/${enc(model)}/card/${v.version}`, class: "card-link" },
      "Card", h("span", { class: "visually-hidden" }, ` of version ${v.version}`))),
    h("td", {}, h("button", {
      type: "button", class: "secondary promote", dataset: { version: v.version },
      onclick: () => promote(content, model, aliasPicker.value, v.version, aliases, metric),
    }, "Promote", h("span", { class: "visually-hidden" }, ` version ${v.version}`)))));
  const compareA = h("select", { id: "compare-first" },
    versions.map((v, i) => h("option", { value: v.version, selected: i === 1 }, `v${v.version}`)));
  const compareB = h("select", { id: "compare-second" },
    versions.map((v, i) => h("option", { value: v.version, selected: i === 0 }, `v${v.version}`)));
  const compareForm = h("form", { class: "row", id: "compare-form" },
    field("Compare", compareA), field("with", compareB),
    h("div", { class: "field" }, h("button", { type: "submit", class: "secondary" }, "Compare")));
  compareForm.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/models/${enc(model)}/compare/${compareA.value}/${compareB.value}`;
  });

  const aliasRows = aliasNames(aliases).map((alias) => {
    const a = aliases.get(alias);
    return h("tr", { dataset: { alias } },
      h("th", { scope: "row" }, alias),
      h("td", { class: "alias-version" }, a ? `v${a.version}` : "not set"),
      h("td", {}, a && a.previous ? `v${a.previous}` : "–"),
      h("td", {}, a && a.previous
        ? h("button", { type: "button", class: "danger rollback",
            onclick: () => rollback(content, model, alias, a, metric) },
          `Roll back to v${a.previous}`)
        : null));
  });

  replace(content,
    h("div", { class: "chart-row" },
      h("section", { class: "panel", "aria-labelledby": "chart-heading" },
        h("h3", { id: "chart-heading" }, "Main metric across versions"),
        metricNames.length ? field("Metric", metricPicker) : null,
        chart),
      h("section", { class: "panel", "aria-labelledby": "aliases-heading" },
        h("h3", { id: "aliases-heading" }, "Aliases"),
        table(["Alias", "Points to", "Previous", ""], aliasRows, { caption: "Aliases" }),
        h("p", { class: "muted" },
          "Predictions use production unless told otherwise. Moves are compare-and-swap: ",
          "if someone moved the alias meanwhile, the move is refused and the page reloads."))),
    h("section", { class: "panel", "aria-labelledby": "versions-heading" },
      h("h3", { id: "versions-heading" }, `Versions (${versions.length})`),
      versions.length
        ? [field("Alias to move", aliasPicker),
           table(["Version", ...metricNames, "Aliases", "Created", "Model card", ""], rows,
             { caption: "Model versions", numeric: [0, ...metricNames.map((_, i) => i + 1)] }),
           versions.length > 1 ? compareForm : null]
        : h("p", { class: "muted" }, "No versions yet: retrain from the Labeling page.")));
}

function rank(metric) {
  const i = PREFERRED_METRICS.indexOf(metric);
  return i === -1 ? PREFERRED_METRICS.length : i;
}

async function promote(content, model, alias, version, aliases, metric) {
  const current = aliases.get(alias);
  if (current && current.version === version) {
    flash(`${alias} already points to v${version}.`, "ok");
    return;
  }
  const from = current ? `from v${current.version} ` : "";
  const ok = await confirmDialog(`Promote ${model} v${version}?`,
    `Move alias ${alias} of ${model} ${from}to v${version}. Predictions on ${alias} switch to ` +
      "it within seconds.", "Promote");
  if (!ok) return;
  await act(content, model, metric, () => request("PUT",
    `/models/${enc(model)}/aliases/${enc(alias)}`, {
      json: { version, expected_version: current ? current.version : null,
        reason: "promoted in the web UI" },
    }), `${alias} now points to v${version}.`);
}

async function rollback(content, model, alias, current, metric) {
  const ok = await confirmDialog(`Roll back ${alias}?`,
    `Move alias ${alias} of ${model} back from v${current.version} to v${current.previous}.`,
    "Roll back");
  if (!ok) return;
  await act(content, model, metric, () => request("POST",
    `/models/${enc(model)}/aliases/${enc(alias)}/rollback`, {
      json: { expected_version: current.version, reason: "rolled back in the web UI" },
    }), `${alias} rolled back to v${current.previous}.`);
}

async function act(content, model, metric, call, done) {
  try {
    await call();
    flash(done, "ok");
    announce(done);
  } catch (err) {
    flash(`Refused: ${err instanceof ApiError ? err.describe() : err}`);
  }
  await show(content, model, metric);
}
