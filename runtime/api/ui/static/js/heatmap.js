// The confusion matrix as an SVG heat map: rows are the true classes, columns the predicted
// ones, each cell's shade its share of the row (so a class's recall reads along the
// diagonal whatever its size), each cell's count written in it.

import { clipped, el } from "./svg.js";

const CELL_MAX = 56;
const CELL_MIN = 14;
const LABEL_CHARS = 14;

// White to the accent blue; text turns white on the darker half.
function shade(share) {
  const from = [255, 255, 255];
  const to = [29, 78, 216];
  const mix = from.map((f, i) => Math.round(f + (to[i] - f) * share));
  return `rgb(${mix.join(",")})`;
}

export function confusionHeatmap(classes, matrix, { title = "Confusion matrix" } = {}) {
  const n = classes.length;
  const cell = Math.max(CELL_MIN, Math.min(CELL_MAX, Math.floor(440 / Math.max(n, 1))));
  const labelWidth = 8 + 7.5 * Math.min(LABEL_CHARS, Math.max(...classes.map((c) => String(c).length), 4));
  const left = labelWidth + 22;
  const top = labelWidth + 22;
  // Room on the right for the last column's label, written at 45 degrees.
  const width = left + n * cell + Math.max(8, labelWidth * 0.72 - cell / 2);
  const height = top + n * cell + 8;
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = classes.reduce((sum, _, i) => sum + (matrix[i]?.[i] ?? 0), 0);
  const id = `hm-${Math.random().toString(36).slice(2, 8)}`;
  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`, role: "img", class: "heatmap",
    "aria-labelledby": `${id}-t ${id}-d`, "data-classes": n, "data-total": total,
    width: Math.max(width, 240),
  });
  svg.append(el("title", { id: `${id}-t` }, title));
  svg.append(el("desc", { id: `${id}-d` },
    `${correct} of ${total} held-out rows on the diagonal. ` + classes.map((c, i) =>
      `true ${c}: ` + classes.map((p, j) => `${matrix[i][j]} predicted ${p}`).join(", ")).join("; ")));
  svg.append(el("text", { x: left + (n * cell) / 2, y: 12, "text-anchor": "middle", class: "axis-title" },
    "predicted"));
  svg.append(el("text", {
    x: 12, y: top + (n * cell) / 2, "text-anchor": "middle", class: "axis-title",
    transform: `rotate(-90 12 ${top + (n * cell) / 2})`,
  }, "true"));
  classes.forEach((label, j) => {
    const x = left + j * cell + cell / 2;
    const text = el("text", {
      x, y: top - 6, "text-anchor": "start", class: "class-label",
      transform: `rotate(-45 ${x} ${top - 6})`,
    }, clipped(label, LABEL_CHARS));
    text.append(el("title", {}, String(label)));
    svg.append(text);
  });
  classes.forEach((label, i) => {
    const rowTotal = matrix[i].reduce((a, b) => a + b, 0);
    const text = el("text", { x: left - 6, y: top + i * cell + cell / 2 + 4, "text-anchor": "end",
      class: "class-label" }, clipped(label, LABEL_CHARS));
    text.append(el("title", {}, String(label)));
    svg.append(text);
    classes.forEach((predicted, j) => {
      const count = matrix[i][j];
      const share = rowTotal ? count / rowTotal : 0;
      const rect = el("rect", {
        x: left + j * cell, y: top + i * cell, width: cell - 1, height: cell - 1,
        fill: shade(share), class: i === j ? "cell diagonal" : "cell",
        "data-true": label, "data-predicted": predicted, "data-count": count,
      });
      rect.append(el("title", {},
        `true ${label}, predicted ${predicted}: ${count} of ${rowTotal} (${(share * 100).toFixed(0)}%)`));
      svg.append(rect);
      if (cell >= 22) {
        svg.append(el("text", {
          x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 4, "text-anchor": "middle",
          class: share > 0.5 ? "count dark" : "count", "pointer-events": "none",
        }, String(count)));
      }
    });
  });
  return svg;
}
