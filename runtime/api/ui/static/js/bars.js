// Horizontal SVG bar charts: permutation importance (one series, with its spread) and the
// same for two versions side by side (two bars per feature).

import { clipped, el } from "./svg.js";

const W = 640;
const ROW = 26;
const LABEL = 190;
const VALUE = 70;

function frame(rows, title, description, extra = 0) {
  const height = 16 + rows * ROW + extra;
  const id = `bars-${Math.random().toString(36).slice(2, 8)}`;
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${height}`, role: "img", class: "bars",
    "aria-labelledby": `${id}-t ${id}-d`, "data-bars": rows,
  });
  svg.append(el("title", { id: `${id}-t` }, title));
  svg.append(el("desc", { id: `${id}-d` }, description));
  return svg;
}

function label(svg, y, name) {
  const text = el("text", { x: LABEL - 8, y, "text-anchor": "end", class: "bar-label" },
    clipped(name, 26));
  text.append(el("title", {}, name));
  svg.append(text);
}

// features: [{name, mean, std}] most important first; metric: what drops when shuffled.
export function importanceBars(features, { metric = "score" } = {}) {
  const top = Math.max(...features.map((f) => f.mean + (f.std || 0)), 1e-9);
  const span = W - LABEL - VALUE;
  const x = (v) => LABEL + (Math.max(0, v) / top) * span;
  const svg = frame(features.length, `Permutation importance (drop in ${metric})`,
    features.map((f) => `${f.name}: ${f.mean.toFixed(4)} ± ${f.std.toFixed(4)}`).join("; "));
  features.forEach((f, i) => {
    const y = 8 + i * ROW;
    label(svg, y + 15, f.name);
    const bar = el("rect", { x: LABEL, y: y + 4, width: Math.max(0, x(f.mean) - LABEL), height: ROW - 10,
      class: "bar", "data-feature": f.name, "data-mean": f.mean });
    bar.append(el("title", {}, `${f.name}: ${metric} drops by ${f.mean.toFixed(4)} (± ${f.std.toFixed(4)})`));
    svg.append(bar);
    if (f.std > 0 && f.mean > 0) {
      svg.append(el("line", { x1: x(f.mean - f.std), x2: x(f.mean + f.std), y1: y + ROW / 2 - 1,
        y2: y + ROW / 2 - 1, class: "whisker" }));
    }
    svg.append(el("text", { x: W - VALUE + 6, y: y + 15, class: "bar-value" }, f.mean.toFixed(3)));
  });
  return svg;
}

// Two versions' importances: per feature one bar each (a: first series, b: second).
export function pairedBars(names, a, b, { labels = ["a", "b"], metric = "score" } = {}) {
  const values = names.flatMap((n) => [a.get(n) ?? 0, b.get(n) ?? 0]);
  const top = Math.max(...values, 1e-9);
  const span = W - LABEL - VALUE;
  const width = (v) => (Math.max(0, v) / top) * span;
  const svg = frame(names.length, `Permutation importance, ${labels[0]} and ${labels[1]}`,
    names.map((n) => `${n}: ${labels[0]} ${(a.get(n) ?? 0).toFixed(4)}, ${labels[1]} ${(b.get(n) ?? 0).toFixed(4)}`)
      .join("; "), 22);
  names.forEach((name, i) => {
    const y = 8 + i * ROW;
    label(svg, y + 15, name);
    [[a, "bar", 3], [b, "bar second", 12]].forEach(([series, cls, dy], k) => {
      const value = series.get(name);
      const bar = el("rect", { x: LABEL, y: y + dy, width: width(value ?? 0), height: 8, class: cls,
        "data-feature": name, "data-series": labels[k] });
      svg.append(el("text", { x: LABEL + width(value ?? 0) + 4, y: y + dy + 8, class: "bar-value small" },
        value === undefined ? "–" : value.toFixed(3)));
      bar.append(el("title", {}, `${labels[k]}: ${name} ${value === undefined ? "not in the top features"
        : `${metric} drops by ${value.toFixed(4)}`}`));
      svg.append(bar);
    });
  });
  const legendY = 8 + names.length * ROW + 8;
  svg.append(el("rect", { x: LABEL, y: legendY, width: 12, height: 8, class: "bar" }));
  svg.append(el("text", { x: LABEL + 16, y: legendY + 8, class: "bar-value" }, labels[0]));
  svg.append(el("rect", { x: LABEL + 80, y: legendY, width: 12, height: 8, class: "bar second" }));
  svg.append(el("text", { x: LABEL + 96, y: legendY + 8, class: "bar-value" }, labels[1]));
  return svg;
}
