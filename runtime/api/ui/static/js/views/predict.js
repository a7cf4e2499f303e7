// Predictions: a form generated from the served version's input schema (features with their
// kinds and categories, as the trainer recorded them), each numeric field with the range its
// dataset's column holds, fillable from a stored record by id; and a lookup of a
// pre-computed prediction by record id.

import { ApiError, enc, get, getAll, request } from "../api.js";
import { field, formatNumber, formatTime, formatValue, h, replace } from "../dom.js";
import { aliasesOf } from "./models.js";

export async function render(main, model) {
  const all = await getAll("/datasets");
  const names = [...new Set(all.map((d) => d.model))].sort();
  if (!model && names.length) model = names[0];
  const picker = h("select", { id: "predict-model" },
    names.map((m) => h("option", { value: m, selected: m === model }, m)));
  picker.addEventListener("change", () => { location.hash = `#/predict/${enc(picker.value)}`; });
  const formBox = h("div", {});
  const datasetsOfModel = all.filter((d) => d.model === model).map((d) => d.name);
  replace(main,
    h("section", { class: "panel", "aria-labelledby": "predict-title" },
      h("h2", { id: "predict-title" }, "Predictions"),
      names.length ? field("Model", picker) : h("p", { class: "muted" }, "No models yet.")),
    h("div", { class: "grid" }, formBox, lookupForm(datasetsOfModel.length ? datasetsOfModel :
      all.map((d) => d.name))));
  if (model) await renderForm(formBox, model);
  return null;
}

async function renderForm(box, model) {
  const [versions, aliases] = await Promise.all([
    getAll(`/models/${enc(model)}/versions`, { limit: 100 }, 100),
    aliasesOf(model),
  ]);
  if (!versions.length) {
    replace(box, h("section", { class: "panel" }, h("h3", {}, "Try a prediction"),
      h("p", { class: "muted" }, `Model ${model} has no versions yet.`)));
    return;
  }
  // "alias:<name>" or "version:<n>": what the prediction asks the API for.
  const targets = [
    ...[...aliases.keys()].map((a) =>
      ({ value: `alias:${a}`, text: `${a} (v${aliases.get(a).version})`, version: aliases.get(a).version })),
    ...versions.map((v) => ({ value: `version:${v.version}`, text: `version ${v.version}`, version: v.version })),
  ];
  const target = h("select", { id: "predict-target" },
    targets.map((t) => h("option", { value: t.value }, t.text)));
  const inputs = h("div", {});
  const result = h("div", { id: "predict-result", "aria-live": "polite" });
  const chosenVersion = () => {
    const chosen = targets.find((t) => t.value === target.value);
    return versions.find((v) => v.version === chosen.version);
  };
  const showInputs = async () => {
    const version = chosenVersion();
    const dataset = version.dataset?.name;
    replace(inputs, schemaFields(version.input_schema || {}, dataset ? await columnStats(dataset) : null));
  };
  target.addEventListener("change", showInputs);
  await showInputs();
  const fill = fillForm(() => chosenVersion().dataset?.name, inputs, result);
  const form = h("form", { class: "panel", "aria-labelledby": "try-title", id: "predict-form" },
    h("h3", { id: "try-title" }, "Try a prediction"),
    field("Served by", target), fill, inputs,
    h("button", { type: "submit" }, "Predict"), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const row = {};
    for (const input of inputs.querySelectorAll("[data-feature]")) {
      const raw = input.value.trim();
      if (raw === "") row[input.dataset.feature] = null;
      else if (input.dataset.kind === "numeric") row[input.dataset.feature] = Number(raw);
      else row[input.dataset.feature] = raw;
    }
    const [kind, ref] = target.value.split(":");
    const query = kind === "alias" ? { alias: ref } : { version: ref };
    try {
      const answer = await request("POST", `/models/${enc(model)}/predict`,
        { json: { row }, query });
      replace(result, h("p", { class: "prediction" },
        "Prediction ", h("strong", { id: "predict-value" }, String(answer.value)),
        " from ", h("span", { id: "predict-version" }, `${answer.model} version ${answer.version}`), "."),
        answer.probabilities ? probabilities(answer.probabilities) : null);
    } catch (err) {
      replace(result, h("p", { class: "error" },
        `Prediction refused: ${err instanceof ApiError ? err.describe() : err}`));
    }
  });
  replace(box, form);
}

// The dataset's per-column statistics by column name (GET /datasets/{name}/stats), or null
// when they cannot be read (the form then shows no ranges).
async function columnStats(dataset) {
  try {
    const stats = await get(`/datasets/${enc(dataset)}/stats`);
    return new Map(stats.columns.map((c) => [c.name, c]));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) return null;
    throw err;
  }
}

function rangeHint(stats) {
  if (!stats || stats.min === null || stats.min === undefined) return null;
  return `${formatValue(stats.min)} to ${formatValue(stats.max)}, mean ${formatValue(stats.mean)}`;
}

function schemaFields(schema, stats) {
  const features = schema.features || [];
  if (!features.length) {
    return h("p", { class: "error" }, "This version recorded no input schema: nothing to ask for.");
  }
  return h("div", { class: "grid feature-fields" }, features.map((f) => {
    let control;
    const column = stats?.get(f.name);
    if (f.kind === "categorical" && Array.isArray(f.categories) && f.categories.length) {
      control = h("select", {}, h("option", { value: "" }, "(missing)"),
        f.categories.map((c) => h("option", { value: c }, c)));
    } else if (f.kind === "numeric") {
      control = h("input", { type: "number", step: "any", required: true });
      const range = rangeHint(column);
      if (range) {
        control.placeholder = formatValue(column.mean);
        control.dataset.min = column.min;
        control.dataset.max = column.max;
      }
    } else {
      control = h("input", { type: "text" });
    }
    control.dataset.feature = f.name;
    control.dataset.kind = f.kind;
    const range = f.kind === "numeric" ? rangeHint(column) : null;
    return field(f.name, control, range ? `${f.kind}; ${range}` : f.kind);
  }));
}

// Fill the feature fields from a stored record of the version's dataset, by record id.
function fillForm(datasetOf, inputs, result) {
  const recordId = h("input", { type: "text", id: "fill-record", autocomplete: "off" });
  const button = h("button", { type: "button", class: "secondary", id: "fill-button" }, "Fill");
  const note = h("p", { class: "muted", id: "fill-note", "aria-live": "polite" });
  button.addEventListener("click", async () => {
    const dataset = datasetOf();
    const id = recordId.value.trim();
    if (!dataset || !id) return;
    try {
      const record = await get(`/datasets/${enc(dataset)}/records/${enc(id)}`);
      for (const control of inputs.querySelectorAll("[data-feature]")) {
        const value = record.values[control.dataset.feature] ?? "";
        if (control.tagName === "SELECT" && value !== "" &&
            ![...control.options].some((o) => o.value === value)) {
          control.append(h("option", { value }, `${value} (unseen in training)`));
        }
        control.value = value;
      }
      replace(result);
      replace(note, `Filled from record ${record.record_id} of ${dataset}`,
        record.label !== null ? ` (labelled ${record.label})` : " (unlabelled)", ".");
    } catch (err) {
      replace(note, h("span", { class: "error" }, err instanceof ApiError && err.status === 404
        ? `No record ${id} in ${dataset}.` : `Could not read the record: ${err instanceof ApiError ? err.describe() : err}`));
    }
  });
  recordId.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      button.click();
    }
  });
  return h("div", {}, h("div", { class: "row" }, field("Fill from a stored record", recordId, "its id, optional"),
    h("div", { class: "field" }, button)), note);
}

function probabilities(probs) {
  const rows = Object.entries(probs).sort((a, b) => b[1] - a[1])
    .map(([label, p]) => h("tr", {}, h("td", {}, label), h("td", { class: "num" }, formatNumber(p))));
  return h("table", {}, h("caption", { class: "visually-hidden" }, "Class probabilities"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Class"),
      h("th", { scope: "col", class: "num" }, "Probability"))),
    h("tbody", {}, rows));
}

function lookupForm(datasetNames) {
  const dataset = h("select", { id: "lookup-dataset" },
    datasetNames.map((n) => h("option", { value: n }, n)));
  const recordId = h("input", { type: "text", id: "lookup-record", required: true });
  const result = h("div", { id: "lookup-result", "aria-live": "polite" });
  const form = h("form", { class: "panel", "aria-labelledby": "lookup-title" },
    h("h3", { id: "lookup-title" }, "Look up a pre-computed prediction"),
    h("p", { class: "muted" }, "Written by batch_predict jobs (for example after a retrain)."),
    field("Dataset", dataset), field("Record id", recordId),
    h("button", { type: "submit" }, "Look up"), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const p = await get(
        `/datasets/${enc(dataset.value)}/predictions/${enc(recordId.value.trim())}`);
      replace(result, h("p", { class: "prediction" }, `Record ${p.record_id}: `,
        h("strong", {}, String(p.value)), ` (${p.model} version ${p.version}, `,
        formatTime(p.predicted_at), ")"));
    } catch (err) {
      replace(result, h("p", { class: "error" },
        err instanceof ApiError && err.status === 404
          ? `No stored prediction for ${recordId.value.trim()} in ${dataset.value}.`
          : `Lookup failed: ${err instanceof ApiError ? err.describe() : err}`));
    }
  });
  return form;
}
