// Jobs: every recent job with its state, attempts, how long it waited and ran, and its
// error; refreshed while the page is open (often while something is queued or running).

import { ApiError, enc, get } from "../api.js";
import { badge, field, formatDuration, formatTime, h, replace, table } from "../dom.js";

const STATES = ["running", "queued", "failed", "succeeded"];
const SHOWN = 100;
const ACTIVE_MS = 1500;
const IDLE_MS = 6000;

export async function render(main, stateFilter) {
  const filter = h("select", { id: "jobs-state" },
    h("option", { value: "" }, "every state"),
    STATES.map((s) => h("option", { value: s, selected: s === stateFilter }, s)));
  filter.addEventListener("change", () => { location.hash = `#/jobs/${enc(filter.value)}`; });
  const live = h("span", { class: "muted", id: "jobs-live", "aria-live": "off" });
  const box = h("div", { id: "jobs-list" });
  replace(main, h("section", { class: "panel", "aria-labelledby": "jobs-title" },
    h("h2", { id: "jobs-title" }, "Jobs"),
    h("div", { class: "row" }, field("Show", filter), h("p", { class: "field" }, live)),
    box));
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    let jobs;
    try {
      jobs = await load(stateFilter);
    } catch (err) {
      replace(box, h("p", { class: "error" },
        `Could not list jobs: ${err instanceof ApiError ? err.describe() : err}`));
      timer = setTimeout(tick, IDLE_MS);
      return;
    }
    if (stopped) return;
    replace(box, jobs.length ? list(jobs) : h("p", { class: "muted" }, "No jobs yet."));
    const active = jobs.some((j) => j.state === "queued" || j.state === "running");
    live.textContent = `Updated ${new Date().toLocaleTimeString()}; refreshing every ` +
      `${(active ? ACTIVE_MS : IDLE_MS) / 1000} s${active ? " while jobs run" : ""}.`;
    timer = setTimeout(tick, active ? ACTIVE_MS : IDLE_MS);
  };
  await tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

// The newest jobs, of one state or of all (the API lists newest first either way).
async function load(stateFilter) {
  return (await get("/jobs", { state: stateFilter, limit: SHOWN })).items;
}

function seconds(from, to) {
  if (!from) return null;
  const end = to ? Date.parse(to) : Date.now();
  return (end - Date.parse(from)) / 1000;
}

function subject(job) {
  const p = job.params || {};
  // A train job names its dataset in snapshot_of (the worker makes the snapshot).
  const dataset = p.snapshot_of ?? (typeof p.dataset === "string" ? p.dataset : p.dataset?.name);
  const parts = [];
  if (dataset) parts.push(h("a", { href: `#/datasets/${enc(dataset)}` }, dataset));
  if (p.model && p.model !== dataset) {
    parts.push(dataset ? " → " : "", h("a", { href: `#/models/${enc(p.model)}` }, p.model));
  }
  return parts.length ? parts : "–";
}

function outcome(job) {
  if (job.state === "failed" || job.last_error) {
    const text = job.last_error || "no error recorded";
    return h("details", { class: job.state === "failed" ? "job-error error" : "job-error" },
      h("summary", {}, job.state === "failed" ? "Failed: " : "Retrying after: ",
        text.length > 80 ? text.slice(0, 79) + "…" : text),
      h("pre", { class: "result" }, text));
  }
  const r = job.result;
  if (!r) return "";
  if (r.version !== undefined && r.model) {
    const link = job.type === "train"
      ? h("a", { href: `#/models/${enc(r.model)}/card/${r.version}` }, `${r.model} v${r.version}`)
      : `${r.model} v${r.version}`;
    return [job.type === "train" ? "trained " : "scored with ", link,
      r.predictions !== undefined ? ` (${r.predictions} predictions)` : ""];
  }
  return "done";
}

function list(jobs) {
  const rows = jobs.map((job) => {
    const waited = seconds(job.created_at, job.started_at);
    const ran = job.started_at ? seconds(job.started_at, job.finished_at) : null;
    return h("tr", { dataset: { job: job.id, state: job.state } },
      h("td", {}, h("code", { class: "job-id" }, job.id)),
      h("td", {}, job.type),
      h("td", {}, badge(job.state)),
      h("td", { class: "num" }, job.attempts),
      h("td", {}, subject(job)),
      h("td", {}, formatTime(job.created_at)),
      h("td", { class: "num" }, formatDuration(waited)),
      h("td", { class: "num" }, ran === null ? "–" : formatDuration(ran)),
      h("td", { class: "outcome" }, outcome(job)));
  });
  return table(["Job", "Type", "State", "Attempts", "Data", "Created", "Waited", "Ran", "Result"],
    rows, { caption: "Jobs, newest first", numeric: [3, 6, 7], id: "jobs-table" });
}
