// A hand-written SVG line chart of one metric across model versions (no chart library).

import { el } from "./svg.js";

const W = 640;
const H = 260;
const PAD = { left: 64, right: 48, top: 34, bottom: 44 };

// points: [{version, value}] in version order; marked: versions to highlight (by alias).
export function metricChart(metric, points, { marked = new Map() } = {}) {
  const shown = points.filter((p) => typeof p.value === "number" && Number.isFinite(p.value));
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc",
    "data-points": shown.length,
  });
  svg.append(el("title", { id: "chart-title" }, `${metric} by model version`));
  svg.append(el("desc", { id: "chart-desc" }, shown.length
    ? shown.map((p) => `version ${p.version}: ${metric} ${p.value.toFixed(4)}`).join("; ")
    : "no versions with this metric yet"));
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y0 = H - PAD.bottom;
  const y1 = PAD.top;
  svg.append(el("line", { class: "axis", x1: x0, y1: y0, x2: x1, y2: y0 }));
  svg.append(el("line", { class: "axis", x1: x0, y1: y0, x2: x0, y2: y1 }));
  if (!shown.length) {
    svg.append(el("text", { x: (x0 + x1) / 2, y: (y0 + y1) / 2, "text-anchor": "middle" },
      "No versions yet"));
    return svg;
  }
  let lo = Math.min(...shown.map((p) => p.value));
  let hi = Math.max(...shown.map((p) => p.value));
  if (hi - lo < 1e-9) {
    lo -= 0.05;
    hi += 0.05;
  }
  const span = hi - lo;
  lo -= span * 0.1;
  hi += span * 0.1;
  // Scores such as accuracy live in [0, 1]: keep the axis there rather than show 1.008.
  if (shown.every((p) => p.value >= 0 && p.value <= 1)) {
    lo = Math.max(lo, 0);
    hi = Math.min(hi, 1);
  }
  const versions = shown.map((p) => p.version);
  const vMin = Math.min(...versions);
  const vMax = Math.max(...versions);
  const x = (v) => (vMax === vMin ? (x0 + x1) / 2 : x0 + ((v - vMin) / (vMax - vMin)) * (x1 - x0));
  const y = (value) => y0 - ((value - lo) / (hi - lo)) * (y0 - y1);
  for (let i = 0; i <= 4; i += 1) {
    const value = lo + ((hi - lo) * i) / 4;
    svg.append(el("line", { class: "grid-line", x1: x0, y1: y(value), x2: x1, y2: y(value) }));
    svg.append(el("text", { x: x0 - 6, y: y(value) + 4, "text-anchor": "end" }, value.toFixed(3)));
  }
  for (const p of shown) {
    svg.append(el("text", { x: x(p.version), y: y0 + 18, "text-anchor": "middle" }, `v${p.version}`));
  }
  svg.append(el("text", { x: (x0 + x1) / 2, y: H - 4, "text-anchor": "middle" }, "version"));
  svg.append(el("polyline", {
    class: "line", points: shown.map((p) => `${x(p.version)},${y(p.value)}`).join(" "),
  }));
  for (const p of shown) {
    const aliases = marked.get(p.version) || [];
    const dot = el("circle", {
      class: aliases.includes("production") ? "point production" : "point",
      cx: x(p.version), cy: y(p.value), r: aliases.length ? 7 : 5, "data-version": p.version,
    });
    dot.append(el("title", {},
      `v${p.version}: ${p.value.toFixed(4)}${aliases.length ? " (" + aliases.join(", ") + ")" : ""}`));
    svg.append(dot);
    if (aliases.length) {
      svg.append(el("text", { class: "alias-label", x: x(p.version), y: y(p.value) - 12,
        "text-anchor": "middle" },
        aliases.join(", ")));
    }
  }
  return svg;
}
