// A job's live status: poll GET /jobs/{id} until it succeeds (metrics) or fails (error).

import { ApiError, enc, get } from "./api.js";
import { announce, badge, formatMetric, h, replace } from "./dom.js";

const POLL_MS = 700;
const TERMINAL = new Set(["succeeded", "failed"]);

// Renders into `box` until the job ends; returns a function that stops the polling.
export function watchJob(box, jobId, { onDone } = {}) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    let job;
    try {
      job = await get(`/jobs/${enc(jobId)}`);
    } catch (err) {
      replace(box, h("p", { class: "error" },
        `Could not read job ${jobId}: ${err instanceof ApiError ? err.describe() : err}`));
      return;
    }
    if (stopped) return;
    replace(box, describe(job));
    if (TERMINAL.has(job.state)) {
      announce(`job ${job.id} ${job.state}`);
      if (onDone) onDone(job);
    } else {
      timer = setTimeout(tick, POLL_MS);
    }
  };
  tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function describe(job) {
  const parts = [
    h("p", {}, "Job ", h("code", {}, job.id), " ", h("span", { class: "job-state" }, badge(job.state)),
      ` attempts ${job.attempts}`),
  ];
  if (job.state === "succeeded" && job.result) {
    const r = job.result;
    const metrics = Object.entries(r.metrics || {})
      .map(([name, value]) => `${name} ${formatMetric(value)}`).join(", ");
    parts.push(h("p", { class: "job-result" },
      r.version !== undefined ? `Trained ${r.model} version ${r.version}` : "Done",
      metrics ? `: ${metrics}.` : ".",
      r.model ? [" ", h("a", { href: `#/models/${enc(r.model)}` }, "See models")] : null));
  } else if (job.state === "failed") {
    parts.push(h("p", { class: "error job-error" }, `Failed: ${job.last_error || "no error recorded"}`));
  } else if (job.last_error) {
    parts.push(h("p", { class: "muted" }, `Last attempt failed, retrying: ${job.last_error}`));
  }
  return parts;
}
