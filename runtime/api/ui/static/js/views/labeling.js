// Labeling: one record at a time (number keys pick a label, s skips, u or Backspace goes
// back), or a table of records with a label picker per row. Each label is saved through the
// API as soon as it is chosen. Below: retrain, with the job's live status.

import { ApiError, enc, get, getAll, request } from "../api.js";
import { announce, field, flash, h, replace, table } from "../dom.js";
import { watchJob } from "../jobs.js";

const QUEUE_PAGE = 200;
const TABLE_PAGE = 25;

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
      h("div", { class: "row" }, field("Dataset", picker),
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
    this.progressBox = h("div", { class: "progress" });
    this.single = h("section", { class: "panel record", "aria-labelledby": "record-title" });
    this.tablePanel = h("section", { class: "panel", "aria-labelledby": "table-title" });
    this.tableToken = null;
    this.tableTokens = [];
  }

  async load() {
    this.dataset = await get(`/datasets/${enc(this.name)}`);
    // The dataset's label set; a label added with "New candidate label" is a new class.
    const known = this.dataset.classes || Object.keys(this.dataset.label_counts || {}).sort();
    this.candidates = [...known];
    const page = await get(`/datasets/${enc(this.name)}/records`,
      { unlabelled: true, limit: QUEUE_PAGE });
    this.queue = page.items;
    this.queueToken = page.next_token;
    this.renderProgress();
  }

  stop() {
    if (this.stopJob) this.stopJob();
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
    if (this.position >= this.queue.length && this.queueToken) {
      const page = await get(`/datasets/${enc(this.name)}/records`,
        { unlabelled: true, limit: QUEUE_PAGE, page_token: this.queueToken });
      this.queue.push(...page.items);
      this.queueToken = page.next_token;
    }
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
    const values = Object.entries(record.values);
    const buttons = this.candidates.map((label, i) =>
      h("button", { type: "button", class: "candidate", dataset: { label },
        onclick: () => this.label(label) },
        i < 9 ? h("kbd", { "aria-hidden": "true" }, String(i + 1)) : null, label));
    const newLabel = h("input", { type: "text", id: "new-label" });
    const addForm = h("form", { class: "row" }, field("New candidate label", newLabel),
      h("div", { class: "field" }, h("button", { type: "submit", class: "secondary" }, "Add")));
    addForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const value = newLabel.value.trim();
      if (value && !this.candidates.includes(value)) this.candidates.push(value);
      this.showCurrent();
    });
    replace(this.single,
      h("h3", { id: "record-title" }, "Record ", h("code", { id: "record-id" }, record.record_id)),
      note ? h("p", { class: "muted" }, note) : null,
      h("dl", {}, values.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v === "" ? "–" : v)])),
      h("div", { class: "candidates", role: "group", "aria-label": "Candidate labels" }, buttons),
      h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", onclick: () => this.skip() }, "Skip"),
        h("button", { type: "button", class: "secondary", onclick: () => this.undo(),
          disabled: !this.history.length }, "Back (undo)")),
      h("p", { class: "shortcuts" }, "Keys: ", h("kbd", {}, "1"), "–", h("kbd", {}, "9"),
        " label, ", h("kbd", {}, "s"), " skip, ", h("kbd", {}, "u"), " or ",
        h("kbd", {}, "Backspace"), " back to the previous record."),
      addForm);
  }

  onKey(event) {
    if (this.mode !== "one" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest("input, select, textarea, dialog")) return;
    if (/^[1-9]$/.test(event.key)) {
      const label = this.candidates[Number(event.key) - 1];
      if (label !== undefined) {
        event.preventDefault();
        this.label(label);
      }
    } else if (event.key === "s") {
      event.preventDefault();
      this.skip();
    } else if (event.key === "u" || event.key === "Backspace") {
      event.preventDefault();
      this.undo();
    }
  }

  isNew(label) {
    return this.dataset.task === "classification" && !(this.dataset.classes || []).includes(label);
  }

  async label(label) {
    const record = this.current();
    if (!record || this.busy) return;
    this.busy = true;
    try {
      const saved = await request("PUT",
        `/datasets/${enc(this.name)}/records/${enc(record.record_id)}/label`,
        { json: { label, new_class: this.isNew(label) } });
      this.history.push({ record, previous: record.label, action: "label" });
      this.queue[this.position] = saved;
      this.position += 1;
      announce(`record ${record.record_id} labelled ${label}`);
      this.dataset = await get(`/datasets/${enc(this.name)}`);
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
      page = await get(`/datasets/${enc(this.name)}/records`,
        { unlabelled: onlyUnlabelled, limit: TABLE_PAGE, page_token: token });
    } catch (err) {
      flash(`Loading records failed: ${err instanceof ApiError ? err.describe() : err}`);
      return;
    }
    if (mine !== this.tableRequest) return;
    const columns = this.dataset.columns.map((c) => c.name)
      .filter((c) => c !== this.dataset.target && c !== this.dataset.id_column);
    const filter = h("input", { type: "checkbox", id: "table-unlabelled", checked: onlyUnlabelled,
      onchange: () => { this.tableTokens = []; this.loadTable(null); } });
    const rows = page.items.map((record) => {
      const status = h("span", { class: "muted", "aria-live": "polite" });
      const select = h("select", { "aria-label": `Label of record ${record.record_id}` },
        h("option", { value: "", selected: record.label === null, disabled: true }, "(none)"),
        this.candidates.map((c) => h("option", { value: c, selected: String(record.label) === c }, c)));
      select.addEventListener("change", async () => {
        status.textContent = "saving…";
        try {
          await request("PUT",
            `/datasets/${enc(this.name)}/records/${enc(record.record_id)}/label`,
            { json: { label: select.value, new_class: this.isNew(select.value) } });
          status.textContent = "saved";
          this.dataset = await get(`/datasets/${enc(this.name)}`);
          this.renderProgress();
        } catch (err) {
          status.textContent = "";
          status.className = "error";
          status.textContent = `not saved: ${err instanceof ApiError ? err.message : err}`;
        }
      });
      return h("tr", {}, h("td", {}, record.record_id),
        columns.map((c) => h("td", {}, record.values[c] ?? "")),
        h("td", {}, select), h("td", {}, status));
    });
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
      h("div", { class: "table-scroll", id: "records-table",
        dataset: { unlabelled: String(onlyUnlabelled) } },
        table(["Record", ...columns, "Label", ""], rows, { caption: "Records and their labels" })),
      h("div", { class: "row" }, prev, next));
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
        `Train model ${this.dataset.model} on the current labels (a job the worker runs).`),
      button, status);
  }
}
