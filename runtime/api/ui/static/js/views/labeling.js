// Labeling: one record at a time (number keys pick a label, a or Enter accepts the model's
// suggestion, s skips, u or Backspace goes back), or a table of records with a label picker
// per row. Each label is saved through the API as soon as it is chosen. When the dataset has
// stored predictions by its model, each record shows the suggested label and its confidence,
// and the records come least confident first. Below: retrain, with the job's live status.

import { ApiError, enc, get, getAll, request } from "../api.js";
import { announce, confirmDialog, field, flash, h, percent, replace, table } from "../dom.js";
import { watchJob } from "../jobs.js";

const QUEUE_PAGE = 200;
const TABLE_PAGE = 25;
// A listing page may come back short (least confident first skips labelled records): ask
// again up to this many times before showing what there is.
const MAX_SHORT_PAGES = 20;
const ORDERS = { uncertainty: "Least confident first", record_id: "Record id" };

export async function render(main, name) {
  const all = await getAll("/datasets");
  const labellable = all.filter((d) => d.target && d.status === "ready");
  if (!name && labellable.length) name = labellable[0].name;
  const picker = h("select", { id: "label-dataset" },
    labellable.map((d) => h("option", { value: d.name, selected: d.name === name }, d.name)));
  picker.addEventListener("change", () => { location.hash = `#/label/${enc(picker.value)}`; });
  if (!name) {
    replace(main, h("section", { class: "panel" }, h("h2", {}, "Labeling"),
      h("p", { class: "muted" }, "No dataset with a target column yet: upload one first.")));
    return null;
  }
  const view = new Labeler(name);
  await view.load();
  const modeOne = h("button", { type: "button", "aria-pressed": "true" }, "One at a time");
  const modeTable = h("button", { type: "button", class: "secondary", "aria-pressed": "false" },
    "Table");
  const body = h("div", {});
  const setMode = (mode) => {
    view.mode = mode;
    modeOne.setAttribute("aria-pressed", String(mode === "one"));
    modeTable.setAttribute("aria-pressed", String(mode === "table"));
    modeOne.className = mode === "one" ? "" : "secondary";
    modeTable.className = mode === "table" ? "" : "secondary";
    replace(body, mode === "one" ? view.single : view.tablePanel);
    if (mode === "table") view.loadTable(null);
  };
  modeOne.addEventListener("click", () => setMode("one"));
  modeTable.addEventListener("click", () => setMode("table"));
  replace(main,
    h("section", { class: "panel", "aria-labelledby": "label-title" },
      h("h2", { id: "label-title" }, `Labeling ${name}`),
      view.factsBox,
      h("div", { class: "row" }, field("Dataset", picker), field("Order", view.orderPicker),
        h("div", { class: "field", role: "group", "aria-label": "View" }, modeOne, " ", modeTable)),
      view.progressBox),
    body,
    view.retrainPanel());
  setMode("one");
  view.showCurrent();
  const onKey = (event) => view.onKey(event);
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    view.stop();
  };
}

// Numbers by value, then text (as the API sorts a label set).
function byClass(a, b) {
  const x = Number(a);
  const y = Number(b);
  const xn = a.trim() !== "" && Number.isFinite(x);
  const yn = b.trim() !== "" && Number.isFinite(y);
  if (xn && yn) return x - y || a.localeCompare(b);
  if (xn !== yn) return xn ? -1 : 1;
  return a.localeCompare(b);
}

function describeSuggestion(s, production) {
  const confidence = s.confidence === null || s.confidence === undefined ? null : percent(s.confidence);
  const source = `${s.model} v${s.version}` +
    (production === s.version ? " (production)" : production ? " (not production)" : "");
  return [confidence ? `${confidence} confident, ` : "", `by ${source}`];
}

class Labeler {
  constructor(name) {
    this.name = name;
    this.mode = "one";
    this.queue = [];
    this.queueToken = null;
    this.position = 0;
    this.history = [];
    this.busy = false;
    this.stopJob = null;
    this.order = "uncertainty";
    this.factsBox = h("p", { class: "facts-line", id: "label-facts" });
    this.progressBox = h("div", { class: "progress" });
    this.orderPicker = h("select", { id: "label-order" },
      Object.entries(ORDERS).map(([value, text]) => h("option", { value }, text)));
    this.orderPicker.addEventListener("change", () => this.reorder(this.orderPicker.value));
    this.single = h("section", { class: "panel record", "aria-labelledby": "record-title" });
    this.tablePanel = h("section", { class: "panel", "aria-labelledby": "table-title" });
    this.tableTokens = [];
  }

  get task() {
    return this.dataset.task || "classification";
  }

  async load() {
    this.dataset = await get(`/datasets/${enc(this.name)}`);
    this.candidates = (this.dataset.classes || Object.keys(this.dataset.label_counts || {}))
      .map(String).sort(byClass);
    this.production = await this.productionVersion();
    // Least confident first when the dataset's model has scored it; by record id otherwise.
    await this.fillQueue("uncertainty");
    if (!this.queue.some((r) => typeof r.suggestion?.confidence === "number")) {
      await this.fillQueue("record_id");
    }
    this.renderFacts();
    this.renderProgress();
  }

  async productionVersion() {
    const { items } = await get(`/models/${enc(this.dataset.model)}/aliases`);
    return items.find((a) => a.alias === "production")?.version ?? null;
  }

  async fillQueue(order) {
    this.order = order;
    this.orderPicker.value = order;
    this.queue = [];
    this.queueToken = null;
    this.position = 0;
    this.history = [];
    await this.nextPage(null);
  }

  // The next non-empty page of the queue (pages may be short), appended to it.
  async nextPage(token) {
    for (let i = 0; i < MAX_SHORT_PAGES; i += 1) {
      const page = await get(`/datasets/${enc(this.name)}/records`,
        { unlabelled: true, order: this.order, limit: QUEUE_PAGE, page_token: token });
      this.queue.push(...page.items);
      this.queueToken = page.next_token;
      token = page.next_token;
      if (page.items.length || !token) return;
    }
  }

  async reorder(order) {
    await this.fillQueue(order);
    announce(`records ordered: ${ORDERS[order]}`);
    if (this.mode === "table") this.loadTable(null);
    else this.showCurrent();
  }

  stop() {
    if (this.stopJob) this.stopJob();
  }

  renderFacts() {
    const d = this.dataset;
    const labels = this.task === "classification"
      ? [`label set (${this.candidates.length}): `, h("span", { id: "label-set" }, this.candidates.join(", ") || "none yet")]
      : ["labels are numbers"];
    replace(this.factsBox,
      "Task ", h("strong", { id: "label-task" }, this.task),
      d.task_source ? ` (${d.task_source})` : "", "; ", labels, "; target ", h("code", {}, d.target), ".",
      this.production ? ` Production model: ${d.model} v${this.production}.` : "");
  }

  renderProgress() {
    const d = this.dataset;
    replace(this.progressBox,
      h("label", { for: "label-progress" }, "Progress: ",
        h("span", { id: "progress-text" }, `${d.labelled} / ${d.rows} labelled`)),
      h("progress", { id: "label-progress", max: d.rows, value: d.labelled }));
  }

  current() {
    return this.queue[this.position];
  }

  async ensureQueued() {
    if (this.position >= this.queue.length && this.queueToken) await this.nextPage(this.queueToken);
  }

  showCurrent(note) {
    const record = this.current();
    if (!record) {
      replace(this.single, h("h3", { id: "record-title" }, "Nothing left to label"),
        h("p", { class: "muted" }, "Every record in the queue has a label or was skipped. ",
          "Retrain below, or use the table view to change labels."),
        this.history.length ? h("p", { class: "shortcuts" }, h("kbd", {}, "u"), " goes back.") : null);
      return;
    }
    const s = record.suggestion;
    const suggested = s ? String(s.value) : null;
    replace(this.single,
      h("div", { class: "record-head" },
        h("h3", { id: "record-title" }, "Record ", h("code", { id: "record-id" }, record.record_id)),
        h("span", { class: "muted" }, `${this.position + 1} of ${this.queue.length}` +
          (this.queueToken ? "+" : "") + ` · ${ORDERS[this.order].toLowerCase()}`)),
      note ? h("p", { class: "muted" }, note) : null,
      h("div", { class: "record-layout" },
        h("div", { class: "label-controls", id: "label-controls" },
          s ? h("p", { class: "suggestion", id: "suggestion", dataset: { value: suggested } },
            "Suggested: ", h("strong", { id: "suggested-label" }, suggested), " ",
            h("span", { id: "suggested-confidence", class: "muted" }, describeSuggestion(s, this.production)),
            " ", h("button", { type: "button", id: "accept-suggestion", onclick: () => this.accept() },
              h("kbd", { "aria-hidden": "true" }, "a"), "Accept")) : null,
          this.labelInputs(suggested),
          h("div", { class: "row" },
            h("button", { type: "button", class: "secondary", onclick: () => this.skip() }, "Skip"),
            h("button", { type: "button", class: "secondary", onclick: () => this.undo(),
              disabled: !this.history.length }, "Back (undo)")),
          h("p", { class: "shortcuts" }, "Keys: ",
            this.task === "classification" ? [h("kbd", {}, "1"), "–", h("kbd", {}, "9"), " label, "] : "",
            s ? [h("kbd", {}, "a"), " or ", h("kbd", {}, "Enter"), " accept, "] : "",
            h("kbd", {}, "s"), " skip, ", h("kbd", {}, "u"), " or ", h("kbd", {}, "Backspace"), " back."),
          this.task === "classification" ? this.newClassForm() : null),
        h("dl", { class: "record-values" }, Object.entries(record.values).map(([k, v]) =>
          h("div", {}, h("dt", {}, k), h("dd", {}, v === "" ? "–" : v))))));
  }

  labelInputs(suggested) {
    if (this.task !== "classification") {
      const input = h("input", { type: "number", step: "any", id: "number-label", required: true });
      const form = h("form", { class: "row" }, field("Label (a number)", input),
        h("div", { class: "field" }, h("button", { type: "submit" }, "Save")));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        if (input.value.trim() !== "") this.label(Number(input.value));
      });
      return form;
    }
    return h("div", { class: "candidates", role: "group", "aria-label": "Labels" },
      this.candidates.map((label, i) =>
        h("button", {
          type: "button", class: label === suggested ? "candidate suggested" : "candidate",
          dataset: { label }, onclick: () => this.label(label),
        }, i < 9 ? h("kbd", { "aria-hidden": "true" }, String(i + 1)) : null, label)));
  }

  // A label outside the label set, added on purpose (the API refuses it otherwise).
  newClassForm() {
    const input = h("input", { type: "text", id: "new-class", maxlength: 1000 });
    const form = h("form", { class: "row" }, field("New label", input, "adds a class"),
      h("div", { class: "field" }, h("button", { type: "submit", class: "secondary" }, "Add…")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      if (this.candidates.includes(value)) {
        await this.label(value);
        return;
      }
      const ok = await confirmDialog(`Add the class “${value}”?`,
        `“${value}” is not in ${this.name}'s label set (${this.candidates.join(", ")}). ` +
          "Adding it labels this record with it, and the next model learns one more class.",
        "Add class");
      if (ok) await this.label(value, { newClass: true });
    });
    return h("details", { class: "new-class" }, h("summary", {}, "A label not in the set…"), form);
  }

  onKey(event) {
    if (this.mode !== "one" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, select, textarea, dialog")) return;
    // Enter on a focused button or link is that control's own click.
    if (event.key === "Enter" && target instanceof HTMLElement && target.closest("button, a")) return;
    if (/^[1-9]$/.test(event.key) && this.task === "classification") {
      const label = this.candidates[Number(event.key) - 1];
      if (label !== undefined) {
        event.preventDefault();
        this.label(label);
      }
    } else if (event.key === "a" || event.key === "Enter") {
      if (this.current()?.suggestion) {
        event.preventDefault();
        this.accept();
      }
    } else if (event.key === "s") {
      event.preventDefault();
      this.skip();
    } else if (event.key === "u" || event.key === "Backspace") {
      event.preventDefault();
      this.undo();
    }
  }

  accept() {
    const s = this.current()?.suggestion;
    if (s) this.label(this.task === "classification" ? String(s.value) : s.value);
  }

  async label(label, { newClass = false } = {}) {
    const record = this.current();
    if (!record || this.busy) return;
    this.busy = true;
    try {
      const saved = await request("PUT",
        `/datasets/${enc(this.name)}/records/${enc(record.record_id)}/label`,
        { json: newClass ? { label, new_class: true } : { label } });
      this.history.push({ record, previous: record.label, action: "label" });
      this.queue[this.position] = { ...saved, suggestion: record.suggestion };
      this.position += 1;
      announce(`record ${record.record_id} labelled ${label}`);
      this.dataset = await get(`/datasets/${enc(this.name)}`);
      if (newClass) {
        this.candidates = (this.dataset.classes || [...this.candidates, label]).map(String).sort(byClass);
        this.renderFacts();
      }
      this.renderProgress();
      await this.ensureQueued();
      this.showCurrent();
    } catch (err) {
      flash(`Saving the label failed: ${err instanceof ApiError ? err.describe() : err}`);
    } finally {
      this.busy = false;
    }
  }

  async skip() {
    const record = this.current();
    if (!record || this.busy) return;
    this.history.push({ record, action: "skip" });
    this.position += 1;
    await this.ensureQueued();
    this.showCurrent();
  }

  undo() {
    const last = this.history.pop();
    if (!last || this.busy) return;
    this.position -= 1;
    // The API keeps a label once set (there is no "unlabel"): going back lets the user
    // choose a different one, which replaces it.
    const note = last.action === "label"
      ? `Back to this record: its label is ${JSON.stringify(this.queue[this.position].label)}; ` +
        "choose another to change it, or s to keep it."
      : "Back to this skipped record.";
    this.showCurrent(note);
  }

  // ------------------------------------------------------------------ table view

  async loadTable(token) {
    const onlyUnlabelled = this.tablePanel.querySelector("#table-unlabelled")?.checked ?? false;
    // Only the latest request may draw: a slow earlier page must not replace a newer one.
    this.tableRequest = (this.tableRequest || 0) + 1;
    const mine = this.tableRequest;
    let page;
    try {
      page = { items: [], next_token: token };
      for (let i = 0; i < MAX_SHORT_PAGES && !page.items.length; i += 1) {
        page = await get(`/datasets/${enc(this.name)}/records`, { unlabelled: onlyUnlabelled,
          order: this.order, limit: TABLE_PAGE, page_token: page.next_token });
        if (!page.next_token) break;
      }
    } catch (err) {
      flash(`Loading records failed: ${err instanceof ApiError ? err.describe() : err}`);
      return;
    }
    if (mine !== this.tableRequest) return;
    const columns = this.dataset.columns.map((c) => c.name)
      .filter((c) => c !== this.dataset.target && c !== this.dataset.id_column);
    const filter = h("input", { type: "checkbox", id: "table-unlabelled", checked: onlyUnlabelled,
      onchange: () => { this.tableTokens = []; this.loadTable(null); } });
    const rows = page.items.map((record) => h("tr", { dataset: { record: record.record_id } },
      h("td", { class: "sticky-col" }, this.labelPicker(record)),
      h("td", {}, record.suggestion
        ? [String(record.suggestion.value), " ", h("span", { class: "muted" },
          record.suggestion.confidence === null ? "" : percent(record.suggestion.confidence))]
        : "–"),
      h("th", { scope: "row" }, record.record_id),
      columns.map((c) => h("td", {}, record.values[c] ?? ""))));
    const prev = h("button", { type: "button", class: "secondary",
      disabled: !this.tableTokens.length, onclick: () => {
        this.tableTokens.pop();
        this.loadTable(this.tableTokens.at(-1) ?? null);
      } }, "Previous page");
    const next = h("button", { type: "button", class: "secondary", disabled: !page.next_token,
      onclick: () => {
        this.tableTokens.push(page.next_token);
        this.loadTable(page.next_token);
      } }, "Next page");
    replace(this.tablePanel,
      h("h3", { id: "table-title" }, "Records"),
      h("div", { class: "field check" }, filter,
        h("label", { for: "table-unlabelled" }, " Only records without a label")),
      h("div", { id: "records-table", class: "sticky-first", dataset: { unlabelled: String(onlyUnlabelled) } },
        table(["Label", "Suggested", "Record", ...columns], rows, { caption: "Records and their labels" })),
      h("div", { class: "row" }, prev, next));
  }

  labelPicker(record) {
    const status = h("span", { class: "muted save-status", "aria-live": "polite" });
    let control;
    if (this.task === "classification") {
      control = h("select", { "aria-label": `Label of record ${record.record_id}` },
        h("option", { value: "", selected: record.label === null, disabled: true }, "(none)"),
        this.candidates.map((c) => h("option", { value: c, selected: String(record.label) === c }, c)));
    } else {
      control = h("input", { type: "number", step: "any", value: record.label ?? "",
        "aria-label": `Label of record ${record.record_id}` });
    }
    control.addEventListener("change", async () => {
      if (control.value === "") return;
      status.className = "muted save-status";
      status.textContent = "saving…";
      const label = this.task === "classification" ? control.value : Number(control.value);
      try {
        await request("PUT", `/datasets/${enc(this.name)}/records/${enc(record.record_id)}/label`,
          { json: { label } });
        status.textContent = "saved";
        this.dataset = await get(`/datasets/${enc(this.name)}`);
        this.renderProgress();
      } catch (err) {
        status.className = "error save-status";
        status.textContent = `not saved: ${err instanceof ApiError ? err.message : err}`;
      }
    });
    return h("div", { class: "label-cell" }, control, status);
  }

  // ------------------------------------------------------------------ retrain

  retrainPanel() {
    const status = h("div", { id: "job-status", "aria-live": "polite" });
    const button = h("button", { type: "button", id: "retrain" }, "Retrain");
    button.addEventListener("click", async () => {
      button.disabled = true;
      if (this.stopJob) this.stopJob();
      try {
        const job = await request("POST", `/datasets/${enc(this.name)}/retrain`, { json: {} });
        this.stopJob = watchJob(status, job.id, { onDone: () => { button.disabled = false; } });
      } catch (err) {
        replace(status, h("p", { class: "error" },
          `Retrain refused: ${err instanceof ApiError ? err.describe() : err}`));
        button.disabled = false;
      }
    });
    return h("section", { class: "panel", "aria-labelledby": "retrain-title" },
      h("h2", { id: "retrain-title" }, "Retrain"),
      h("p", { class: "muted" },
        `Train model ${this.dataset.model} on the current labels (a job the worker runs). `,
        h("a", { href: "#/jobs" }, "All jobs")),
      button, status);
  }
}
